//! The graph of a crate's top-level modules, read from its source: module `a` depends on `b`
//! when code under `a` names `crate::b` (in a `use` or in a path, `use crate::{b, ..}` included)
//! or reaches `b` through `super::` from a nested module. Comments and string literals are
//! skipped, so doc links do not count. The crate root (`lib.rs`, `main.rs`) is not a node.
//!
//! Shared by every crate of the workspace: include it with
//! `#[path = "<relative path to>/tests/support/module_graph.rs"] mod module_graph;` and call
//! [`assert_no_module_cycles`] with the crate's `src` directory.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Why `from` depends on `to`: the first place that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub file: PathBuf,
    pub line: usize,
}

/// Top-level module -> the top-level modules it names, each with its first evidence.
pub type ModuleGraph = BTreeMap<String, BTreeMap<String, Evidence>>;

/// Fails naming every module cycle among the top-level modules under `src`, with where each
/// edge of the cycle comes from.
pub fn assert_no_module_cycles(src: &Path) {
    let graph = module_graph(src);
    assert!(
        graph.len() > 1,
        "found no modules under {}: wrong directory?",
        src.display()
    );
    let cycles = cycles(&graph);
    if cycles.is_empty() {
        return;
    }
    let mut report = format!("module cycles under {}:\n", src.display());
    for (members, cycle) in &cycles {
        let members: Vec<&str> = members.iter().map(String::as_str).collect();
        report.push_str(&format!(
            "  {} depend on each other, e.g. {}\n",
            members.join(", "),
            cycle.join(" -> ")
        ));
        for pair in cycle.windows(2) {
            let evidence = &graph[&pair[0]][&pair[1]];
            report.push_str(&format!(
                "    {} -> {}: {}:{}\n",
                pair[0],
                pair[1],
                evidence.file.display(),
                evidence.line
            ));
        }
    }
    panic!("{report}");
}

/// Read every `.rs` file under `src` into the graph of top-level modules.
pub fn module_graph(src: &Path) -> ModuleGraph {
    let mut files = Vec::new();
    collect_rs_files(src, &mut files);
    files.sort();
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|file| top_level_module(src, file))
        .collect();
    let mut graph: ModuleGraph = modules
        .iter()
        .map(|m| (m.clone(), BTreeMap::new()))
        .collect();
    for file in &files {
        let Some(from) = top_level_module(src, file) else {
            continue;
        };
        let depth = module_depth(src, file);
        let text = fs::read_to_string(file)
            .unwrap_or_else(|err| panic!("reading {}: {err}", file.display()));
        for (to, line) in references(&code_only(&text), depth) {
            if to != from && modules.contains(&to) {
                graph
                    .get_mut(&from)
                    .expect("every module is a node")
                    .entry(to)
                    .or_insert_with(|| Evidence {
                        file: file.clone(),
                        line,
                    });
            }
        }
    }
    graph
}

/// Each group of mutually dependent modules (a strongly connected component of more than one
/// module), with one cycle through it as a path that starts and ends on the same module.
pub fn cycles(graph: &ModuleGraph) -> Vec<(BTreeSet<String>, Vec<String>)> {
    let mut found = Vec::new();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for start in graph.keys() {
        if done.contains(start.as_str()) {
            continue;
        }
        let component: BTreeSet<&str> = graph
            .keys()
            .map(String::as_str)
            .filter(|other| reaches(graph, start, other) && reaches(graph, other, start))
            .collect();
        done.extend(component.iter().copied());
        if component.len() > 1
            && let Some(back) = shortest_path(graph, start, start)
        {
            found.push((component.iter().map(|m| (*m).to_owned()).collect(), back));
        }
    }
    found
}

/// Whether `to` can be reached from `from` (every module reaches itself).
fn reaches(graph: &ModuleGraph, from: &str, to: &str) -> bool {
    from == to || shortest_path(graph, from, to).is_some()
}

/// The shortest path of at least one edge from `from` to `to`, both ends included.
fn shortest_path(graph: &ModuleGraph, from: &str, to: &str) -> Option<Vec<String>> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([from]);
    while let Some(current) = queue.pop_front() {
        for next in graph.get(current).into_iter().flat_map(BTreeMap::keys) {
            if next == to {
                let mut path = vec![to.to_owned(), current.to_owned()];
                let mut at = current;
                while at != from {
                    at = came_from[at];
                    path.push(at.to_owned());
                }
                path.reverse();
                return Some(path);
            }
            if next != from && !came_from.contains_key(next.as_str()) {
                came_from.insert(next, current);
                queue.push_back(next);
            }
        }
    }
    None
}

fn collect_rs_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()))
            .path();
        if path.is_dir() {
            collect_rs_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/okta/client.rs` -> `okta`); `None` for the
/// crate root.
fn top_level_module(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first.strip_suffix(".rs") {
        Some("lib" | "main") => None,
        Some(module) => Some(module.to_owned()),
        None => Some(first.to_owned()),
    }
}

/// How deep the file's module sits below the crate root (`src/okta.rs` and `src/okta/mod.rs`:
/// 1, `src/okta/client.rs`: 2).
fn module_depth(src: &Path, file: &Path) -> usize {
    let relative = file.strip_prefix(src).unwrap_or(file);
    let components = relative.components().count();
    if relative.file_name().is_some_and(|name| name == "mod.rs") {
        components - 1
    } else {
        components
    }
}

/// The source with comments removed and string and character literals emptied, lines kept.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    // Newlines inside what is removed are kept, so line numbers stay right.
    let keep_newlines = |out: &mut String, skipped: &[char]| {
        out.extend(skipped.iter().filter(|c| **c == '\n'));
    };
    while i < chars.len() {
        let rest = &chars[i..];
        if rest.starts_with(&['/', '/']) {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if rest.starts_with(&['/', '*']) {
            let start = i;
            let mut depth = 0;
            while i < chars.len() {
                if chars[i..].starts_with(&['/', '*']) {
                    depth += 1;
                    i += 2;
                } else if chars[i..].starts_with(&['*', '/']) {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            keep_newlines(&mut out, &chars[start..i]);
        } else if let Some(end) = raw_string_end(rest) {
            keep_newlines(&mut out, &rest[..end]);
            out.push_str("\"\"");
            i += end;
        } else if chars[i] == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            keep_newlines(&mut out, &chars[start..i.min(chars.len())]);
            out.push_str("\"\"");
        } else if chars[i] == '\'' {
            // A character literal ('x', '\n', '\u{..}') is emptied; a lifetime is kept.
            let end = match rest.get(1) {
                Some('\\') => rest.iter().skip(2).position(|c| *c == '\'').map(|p| p + 3),
                Some(_) if rest.get(2) == Some(&'\'') => Some(3),
                _ => None,
            };
            match end {
                Some(end) => {
                    out.push_str("' '");
                    i += end;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The length of a raw string literal (`r"…"`, `r#"…"#`, `br"…"`) at the start of `rest`.
fn raw_string_end(rest: &[char]) -> Option<usize> {
    let after_prefix = match rest {
        ['r', ..] => 1,
        ['b', 'r', ..] => 2,
        _ => return None,
    };
    let hashes = rest[after_prefix..]
        .iter()
        .take_while(|c| **c == '#')
        .count();
    if rest.get(after_prefix + hashes) != Some(&'"') {
        return None;
    }
    let body = after_prefix + hashes + 1;
    let closing: Vec<char> = std::iter::once('"')
        .chain(std::iter::repeat_n('#', hashes))
        .collect();
    (body..rest.len())
        .find(|&at| rest[at..].starts_with(&closing))
        .map(|at| at + closing.len())
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The top-level modules a file's code names, with the line of each mention. `depth` is the
/// file's module depth; inline `mod x { .. }` blocks add to it for `super::`.
fn references(code: &str, depth: usize) -> Vec<(String, usize)> {
    let chars: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    let mut line = 1;
    // Brace depths at which an inline module was opened.
    let mut inline_modules: Vec<usize> = Vec::new();
    let mut braces = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_word = i == 0 || !is_ident_char(chars[i - 1]);
        if c == '\n' {
            line += 1;
        } else if c == '{' {
            braces += 1;
        } else if c == '}' {
            braces = braces.saturating_sub(1);
            if inline_modules.last() == Some(&braces) {
                inline_modules.pop();
            }
        } else if starts_word && word_at(&chars, i) == "mod" {
            let mut j = skip_space(&chars, i + 3);
            let name = word_at(&chars, j);
            j = skip_space(&chars, j + name.len());
            if !name.is_empty() && chars.get(j) == Some(&'{') {
                inline_modules.push(braces);
            }
        } else if starts_word && word_at(&chars, i) == "crate" {
            let j = skip_space(&chars, i + 5);
            if chars[j..].starts_with(&[':', ':']) {
                let j = skip_space(&chars, j + 2);
                found.extend(path_heads(&chars, j).into_iter().map(|m| (m, line)));
            }
        } else if starts_word && word_at(&chars, i) == "super" {
            // `super::super::x` from a module `levels` deep reaches the crate root after
            // `levels` steps; the segment after that names a top-level module.
            let levels = depth + inline_modules.len();
            let mut j = i;
            let mut steps = 0;
            while word_at(&chars, j) == "super" {
                let after = skip_space(&chars, j + 5);
                if !chars[after..].starts_with(&[':', ':']) {
                    break;
                }
                steps += 1;
                j = skip_space(&chars, after + 2);
            }
            if steps == levels {
                found.extend(path_heads(&chars, j).into_iter().map(|m| (m, line)));
            }
            i = j.max(i + 1);
            continue;
        }
        i += if starts_word && is_ident_char(c) {
            word_at(&chars, i).len().max(1)
        } else {
            1
        };
    }
    found
}

/// The first segment of the path at `at`, or of each path in a `{a, b::c}` group.
fn path_heads(chars: &[char], at: usize) -> Vec<String> {
    if chars.get(at) != Some(&'{') {
        let word = word_at(chars, at);
        return if word.is_empty() { vec![] } else { vec![word] };
    }
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expect_head = true;
    let mut i = at;
    while i < chars.len() {
        match chars[i] {
            '{' => {
                depth += 1;
                expect_head = depth == 1;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => expect_head = true,
            c if expect_head && is_ident_char(c) => {
                let word = word_at(chars, i);
                i += word.len();
                heads.push(word);
                expect_head = false;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    heads
}

fn word_at(chars: &[char], at: usize) -> String {
    chars[at.min(chars.len())..]
        .iter()
        .take_while(|c| is_ident_char(**c))
        .collect()
}

fn skip_space(chars: &[char], mut at: usize) -> usize {
    while at < chars.len() && chars[at].is_whitespace() {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads(code: &str, depth: usize) -> Vec<String> {
        references(&code_only(code), depth)
            .into_iter()
            .map(|(m, _)| m)
            .collect()
    }

    #[test]
    fn crate_paths_groups_and_super_chains_are_read() {
        let code = "use crate::a::X;\nuse crate::{b, c::{D, E}};\nfn f() { crate::d::g(); }\n\
                    use super::e::F;\nmod tests { use super::*; use super::super::h; }";
        assert_eq!(heads(code, 1), ["a", "b", "c", "d", "e", "h"]);
        assert_eq!(heads("use super::super::x;", 2), ["x"]);
        assert!(heads("use super::x;", 2).is_empty(), "a sibling, inside");
    }

    #[test]
    fn comments_and_strings_are_not_code() {
        let code = "/// see [`crate::a`]\n// crate::b\n/* crate::c */\nlet s = \"crate::d\";\n\
                    let r = r#\"crate::e\"#; let c = '\"'; fn f<'a>(x: &'a str) { crate::f::g() }";
        assert_eq!(heads(code, 1), ["f"]);
    }

    #[test]
    fn a_cycle_is_found_and_named() {
        let edge = |to: &str| {
            (
                to.to_owned(),
                Evidence {
                    file: PathBuf::from("x.rs"),
                    line: 1,
                },
            )
        };
        let mut graph = ModuleGraph::new();
        graph.insert("a".into(), BTreeMap::from([edge("b")]));
        graph.insert("b".into(), BTreeMap::from([edge("c")]));
        graph.insert("c".into(), BTreeMap::from([edge("a")]));
        graph.insert("d".into(), BTreeMap::from([edge("a")]));
        let found = cycles(&graph);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].0,
            BTreeSet::from(["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(found[0].1, ["a", "b", "c", "a"]);
        graph.get_mut("c").unwrap().clear();
        assert!(cycles(&graph).is_empty());
    }
}
