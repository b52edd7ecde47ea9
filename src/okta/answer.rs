//! Guards on Okta's answers before anything parses them: a size cap read as the body streams
//! in (nothing past the cap is buffered), and a one-pass check that a JSON body is shaped like
//! an Okta answer: an object, or an array of objects, nested no deeper than [`MAX_DEPTH`].

use bytes::{Bytes, BytesMut};

/// Okta's objects nest a handful of levels (a log event's `target[].detailEntry` is the
/// deepest); anything far deeper is not Okta, and would cost stack in every later parse.
pub const MAX_DEPTH: usize = 64;

/// Why a body was not read whole.
#[derive(Debug)]
pub enum ReadError {
    /// The body is larger than the cap (by `Content-Length` or as it streamed).
    TooLarge(usize),
    Timeout,
    Broken(String),
}

/// Read a body of at most `cap` bytes: refused up front when `Content-Length` says more, and
/// cut as soon as the streamed bytes pass the cap (dropping the response closes the
/// connection, so the rest is never read).
pub async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<Bytes, ReadError> {
    if response
        .content_length()
        .is_some_and(|length| length > cap as u64)
    {
        return Err(ReadError::TooLarge(cap));
    }
    let mut body = BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > cap {
                    return Err(ReadError::TooLarge(cap));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body.freeze()),
            Err(err) if err.is_timeout() => return Err(ReadError::Timeout),
            Err(err) => return Err(ReadError::Broken(err.without_url().to_string())),
        }
    }
}

/// Check the outline of a successful answer's JSON without parsing it: the top level is an
/// object, or an array whose elements are all objects, and nothing nests deeper than
/// [`MAX_DEPTH`]. An empty body passes (204s and the like). Whether the text is valid JSON is
/// left to the parser that reads it next.
pub fn check_outline(body: &[u8]) -> Result<(), &'static str> {
    let mut depth = 0usize;
    let mut seen_top = false;
    let mut top_is_array = false;
    let mut at = 0;
    while at < body.len() {
        let byte = body[at];
        at += 1;
        if byte.is_ascii_whitespace() {
            continue;
        }
        if depth == 0 {
            if seen_top {
                return Err("the answer has text after its JSON value");
            }
            seen_top = true;
            match byte {
                b'{' => {}
                b'[' => top_is_array = true,
                _ => return Err("the answer is not a JSON object or array"),
            }
        } else if depth == 1 && top_is_array && !matches!(byte, b'{' | b',' | b']') {
            return Err("the answer is a list whose elements are not objects");
        }
        match byte {
            // Most of an answer is string text: jump to the closing quote, past escapes.
            b'"' => loop {
                match memchr::memchr2(b'"', b'\\', &body[at..]) {
                    Some(offset) if body[at + offset] == b'\\' => {
                        at = (at + offset + 2).min(body.len())
                    }
                    Some(offset) => {
                        at += offset + 1;
                        break;
                    }
                    // An unterminated string: the parser that reads it next refuses it.
                    None => return Ok(()),
                }
            },
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err("the answer nests deeper than an Okta object does");
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn okta_shaped_answers_pass() {
        for body in [
            "",
            "{}",
            " {\"a\": [1, \"]\", {\"b\": null}]} ",
            "[]",
            "[{\"id\": \"x\"}, {\"id\": \"[\"}]",
            "{\"s\": \"\\\"{[\"}",
        ] {
            assert_eq!(check_outline(body.as_bytes()), Ok(()), "{body}");
        }
    }

    #[test]
    fn strings_are_skipped_whole_even_when_they_end_the_body() {
        // Cut inside a string, right after a backslash too: no panic, left to the parser.
        for body in ["{\"a\": \"x\\", "{\"a\": \"x\\\\", "{\"a\": \"unterminated"] {
            assert_eq!(check_outline(body.as_bytes()), Ok(()), "{body}");
        }
        assert_eq!(
            check_outline(b"{\"a\": \"\\\"}\"} x"),
            Err("the answer has text after its JSON value")
        );
        assert_eq!(
            check_outline(b"[\"a\"]"),
            Err("the answer is a list whose elements are not objects")
        );
    }

    #[test]
    fn other_outlines_are_refused() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let just_deep = format!(
            "{}{}",
            "{\"a\":".repeat(65),
            "1".to_owned() + &"}".repeat(65)
        );
        for body in [
            "null",
            "42",
            "\"text\"",
            "true",
            "[1, 2]",
            "[{\"id\": 1}, null]",
            "[\"a\"]",
            "[[]]",
            "{} {}",
            deep.as_str(),
            just_deep.as_str(),
        ] {
            assert!(check_outline(body.as_bytes()).is_err(), "{body}");
        }
        let at_limit = format!(
            "{}{}",
            "{\"a\":".repeat(64),
            "1".to_owned() + &"}".repeat(64)
        );
        assert_eq!(check_outline(at_limit.as_bytes()), Ok(()));
    }
}
