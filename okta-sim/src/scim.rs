//! A small SCIM filter language (RFC 7644 §3.4.2.2), as Okta accepts it in `search`,
//! `filter` (users, groups) and the System Log `filter`.
//!
//! Grammar (operators and keywords are case-insensitive, attribute names case-sensitive):
//! ```text
//! expr    := and ("or" and)*
//! and     := unary ("and" unary)*
//! unary   := "not" unary | "(" expr ")" | attr "pr" | attr op value
//! op      := eq | ne | co | sw | ew | gt | ge | lt | le
//! value   := "string" | true | false | null | number
//! ```
//! Evaluation walks a JSON document: `a.b.c` follows object keys, and when a step meets an
//! array any element may match (so `target.id eq "…"` matches any target of a log event).

use serde_json::Value;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn parse(word: &str) -> Option<Op> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Co => "co",
            Op::Sw => "sw",
            Op::Ew => "ew",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::Lt => "lt",
            Op::Le => "le",
        }
    }
}

/// A literal on the right of an operator.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Str(String),
    Bool(bool),
    Null,
    Num(f64),
}

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Present(String),
    Compare(String, Op, Literal),
}

/// Why a filter failed to parse, with the 0-based character position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub message: String,
    pub position: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Num(f64),
    LParen,
    RParen,
}

fn tokenize(input: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            tokens.push((Token::LParen, i));
            i += 1;
        } else if c == ')' {
            tokens.push((Token::RParen, i));
            i += 1;
        } else if c == '"' {
            let start = i;
            i += 1;
            let mut s = String::new();
            let mut closed = false;
            while i < chars.len() {
                match chars[i] {
                    '\\' if i + 1 < chars.len() => {
                        s.push(chars[i + 1]);
                        i += 2;
                    }
                    '"' => {
                        closed = true;
                        i += 1;
                        break;
                    }
                    other => {
                        s.push(other);
                        i += 1;
                    }
                }
            }
            if !closed {
                return Err(ParseError {
                    message: "Unterminated string literal".into(),
                    position: start,
                });
            }
            tokens.push((Token::Str(s), start));
        } else if c.is_ascii_digit() || c == '-' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || matches!(chars[i], '-' | '.')) {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            match text.parse::<f64>() {
                Ok(n) => tokens.push((Token::Num(n), start)),
                Err(_) => {
                    return Err(ParseError {
                        message: format!("Invalid number '{text}'"),
                        position: start,
                    });
                }
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '.' | ':' | '-' | '$'))
            {
                i += 1;
            }
            tokens.push((Token::Word(chars[start..i].iter().collect()), start));
        } else {
            return Err(ParseError {
                message: format!("Unexpected character '{c}'"),
                position: i,
            });
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    fn position(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |(_, p)| *p)
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            message: message.into(),
            position: self.position(),
        })
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, ParseError> {
        if depth > 64 {
            return self.err("Expression is nested too deeply");
        }
        let mut left = self.and(depth)?;
        while self.keyword("or") {
            self.pos += 1;
            let right = self.and(depth)?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let mut left = self.unary(depth)?;
        while self.keyword("and") {
            self.pos += 1;
            let right = self.unary(depth)?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, ParseError> {
        if self.keyword("not") {
            self.pos += 1;
            let inner = self.unary(depth + 1)?;
            return Ok(Expr::Not(Box::new(inner)));
        }
        match self.peek().cloned() {
            Some(Token::LParen) => {
                self.pos += 1;
                let inner = self.expr(depth + 1)?;
                if self.peek() != Some(&Token::RParen) {
                    return self.err("Expected ')'");
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Token::Word(attr)) => {
                self.pos += 1;
                let op_word = match self.peek().cloned() {
                    Some(Token::Word(w)) => w,
                    _ => return self.err(format!("Expected an operator after '{attr}'")),
                };
                if op_word.eq_ignore_ascii_case("pr") {
                    self.pos += 1;
                    return Ok(Expr::Present(attr));
                }
                let Some(op) = Op::parse(&op_word) else {
                    return self.err(format!(
                        "Unrecognized attribute operator '{op_word}'. Expected: eq,ne,co,sw,ew,pr,gt,ge,lt,le"
                    ));
                };
                self.pos += 1;
                let literal = match self.peek().cloned() {
                    Some(Token::Str(s)) => Literal::Str(s),
                    Some(Token::Num(n)) => Literal::Num(n),
                    Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
                    Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
                    Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Literal::Null,
                    _ => {
                        return self.err(
                            "Expected a value (a quoted string, true, false, null or a number)",
                        );
                    }
                };
                self.pos += 1;
                Ok(Expr::Compare(attr, op, literal))
            }
            _ => self.err("Expected an attribute, 'not' or '('"),
        }
    }
}

/// Parses a filter expression.
pub(crate) fn parse(input: &str) -> Result<Expr, ParseError> {
    let tokens = tokenize(input)?;
    let end = input.chars().count();
    let mut parser = Parser {
        tokens,
        pos: 0,
        end,
    };
    if parser.peek().is_none() {
        return parser.err("Empty filter expression");
    }
    let expr = parser.expr(0)?;
    if parser.peek().is_some() {
        return parser.err("Unexpected input after the expression");
    }
    Ok(expr)
}

impl Expr {
    /// Every (attribute, operator) pair in the expression; `pr` is reported as `None`.
    pub fn comparisons(&self) -> Vec<(&str, Option<Op>)> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<(&'a str, Option<Op>)>) {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.collect(out);
                b.collect(out);
            }
            Expr::Not(a) => a.collect(out),
            Expr::Present(attr) => out.push((attr, None)),
            Expr::Compare(attr, op, _) => out.push((attr, Some(*op))),
        }
    }

    /// If the whole expression is `attr eq "value"`, the value (used for index fast paths).
    pub fn as_single_eq(&self, attr: &str) -> Option<&str> {
        match self {
            Expr::Compare(a, Op::Eq, Literal::Str(v)) if a == attr => Some(v),
            _ => None,
        }
    }

    /// Does `doc` satisfy the expression? `ignore_case` makes string comparisons
    /// case-insensitive (Okta's `search`); `filter` compares strings exactly.
    pub fn matches(&self, doc: &Value, ignore_case: bool) -> bool {
        match self {
            Expr::And(a, b) => a.matches(doc, ignore_case) && b.matches(doc, ignore_case),
            Expr::Or(a, b) => a.matches(doc, ignore_case) || b.matches(doc, ignore_case),
            Expr::Not(a) => !a.matches(doc, ignore_case),
            Expr::Present(attr) => {
                let mut found = Vec::new();
                lookup(doc, attr, &mut found);
                found.iter().any(|v| match v {
                    Value::Null => false,
                    Value::String(s) => !s.is_empty(),
                    Value::Array(a) => !a.is_empty(),
                    _ => true,
                })
            }
            Expr::Compare(attr, op, lit) => {
                let mut found = Vec::new();
                lookup(doc, attr, &mut found);
                if found.is_empty() {
                    // A missing attribute behaves like null.
                    return compare(&Value::Null, *op, lit, ignore_case);
                }
                if *op == Op::Ne {
                    // `ne` holds only if no value equals the literal.
                    return found.iter().all(|v| compare(v, Op::Ne, lit, ignore_case));
                }
                found.iter().any(|v| compare(v, *op, lit, ignore_case))
            }
        }
    }
}

fn lookup<'a>(doc: &'a Value, path: &str, out: &mut Vec<&'a Value>) {
    let mut current: Vec<&'a Value> = vec![doc];
    for step in path.split('.') {
        let mut next = Vec::new();
        for v in current {
            match v {
                Value::Object(map) => {
                    if let Some(child) = map.get(step) {
                        push_flat(child, &mut next);
                    }
                }
                Value::Array(items) => {
                    for item in items {
                        if let Some(child) = item.get(step) {
                            push_flat(child, &mut next);
                        }
                    }
                }
                _ => {}
            }
        }
        current = next;
    }
    out.extend(current);
}

fn push_flat<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) if items.iter().all(|i| !i.is_object()) => {
            out.extend(items.iter());
        }
        other => out.push(other),
    }
}

fn compare(value: &Value, op: Op, lit: &Literal, ignore_case: bool) -> bool {
    match (value, lit) {
        (Value::String(s), Literal::Str(l)) => {
            let (s, l) = if ignore_case {
                (s.to_lowercase(), l.to_lowercase())
            } else {
                (s.clone(), l.clone())
            };
            match op {
                Op::Eq => s == l,
                Op::Ne => s != l,
                Op::Co => s.contains(&l),
                Op::Sw => s.starts_with(&l),
                Op::Ew => s.ends_with(&l),
                Op::Gt => s > l,
                Op::Ge => s >= l,
                Op::Lt => s < l,
                Op::Le => s <= l,
            }
        }
        (Value::Bool(b), Literal::Bool(l)) => match op {
            Op::Eq => b == l,
            Op::Ne => b != l,
            _ => false,
        },
        (Value::Number(n), Literal::Num(l)) => {
            let Some(n) = n.as_f64() else { return false };
            match op {
                Op::Eq => n == *l,
                Op::Ne => n != *l,
                Op::Gt => n > *l,
                Op::Ge => n >= *l,
                Op::Lt => n < *l,
                Op::Le => n <= *l,
                _ => false,
            }
        }
        (Value::Null, Literal::Null) => matches!(op, Op::Eq),
        (Value::Null, _) => matches!(op, Op::Ne),
        (_, Literal::Null) => matches!(op, Op::Ne),
        _ => matches!(op, Op::Ne),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Value {
        json!({
            "eventType": "user.lifecycle.create",
            "actor": {"id": "00uadmin"},
            "target": [{"id": "00u1", "type": "User"}, {"id": "00g1", "type": "UserGroup"}],
            "outcome": {"result": "SUCCESS"},
        })
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let e = parse(r#"eventType eq "x" or eventType sw "user" and actor.id eq "00uadmin""#)
            .expect("parses");
        assert!(e.matches(&event(), false));
        let e = parse(r#"(eventType eq "x" or eventType sw "user") and actor.id eq "nobody""#)
            .expect("parses");
        assert!(!e.matches(&event(), false));
    }

    #[test]
    fn array_steps_match_any_element() {
        let e = parse(r#"target.id eq "00g1""#).expect("parses");
        assert!(e.matches(&event(), false));
        let e = parse(r#"target.id co "u1" AND target.type EQ "UserGroup""#).expect("parses");
        assert!(e.matches(&event(), false));
    }

    #[test]
    fn case_sensitivity_follows_the_mode() {
        let e = parse(r#"outcome.result eq "success""#).expect("parses");
        assert!(!e.matches(&event(), false));
        assert!(e.matches(&event(), true));
    }

    #[test]
    fn not_ne_ew_and_pr_work() {
        let doc = event();
        assert!(
            parse(r#"not (eventType eq "a")"#)
                .expect("parses")
                .matches(&doc, false)
        );
        assert!(
            parse(r#"eventType ne "a""#)
                .expect("parses")
                .matches(&doc, false)
        );
        assert!(
            parse(r#"eventType ew "create""#)
                .expect("parses")
                .matches(&doc, false)
        );
        assert!(parse("actor.id pr").expect("parses").matches(&doc, false));
        assert!(
            !parse("actor.missing pr")
                .expect("parses")
                .matches(&doc, false)
        );
    }

    #[test]
    fn bad_input_reports_a_position() {
        let err = parse(r#"eventType eqq "x""#).expect_err("bad operator");
        assert_eq!(err.position, 10);
        assert!(parse(r#"eventType eq "x"#).is_err());
        assert!(parse("(eventType eq \"x\"").is_err());
        assert!(parse("").is_err());
        assert!(parse("eventType eq").is_err());
        assert!(parse(r#"a eq "x" b"#).is_err());
        let deep = format!("{}a pr{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).is_err());
    }
}
