//! Tracing set-up: human-readable or JSON lines, filtered by `RUST_LOG` (read and validated
//! with the rest of the configuration).
//!
//! Every event is one line, whatever a value in it holds: callers' values (user references,
//! names, filters) reach log lines, and a line break in one must not forge another line. JSON
//! escapes them itself; the writer below escapes whatever a format leaves raw.

use std::io::{self, Write};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// Install the global subscriber with `filter` (`Config::log_filter`). Call once, from `main`.
pub fn init(format: LogFormat, filter: &str) {
    dispatch(format, EnvFilter::new(filter), io::stderr).init();
}

/// The subscriber `init` installs, writing to `writer` (tests capture it).
pub fn dispatch<W>(format: LogFormat, filter: EnvFilter, writer: W) -> tracing::Dispatch
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(OneLine(writer));
    match format {
        LogFormat::Pretty => builder.finish().into(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .finish()
            .into(),
    }
}

/// Makes [`OneLineWriter`]s around another writer.
pub struct OneLine<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for OneLine<M> {
    type Writer = OneLineWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        OneLineWriter(self.0.make_writer())
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        OneLineWriter(self.0.make_writer_for(meta))
    }
}

/// The formatter hands over each event whole, ending in its one newline: every other line
/// break (CR, LF, NEL, U+2028, U+2029) and control character in it is written escaped. Tabs
/// and ESC (terminal colours) pass.
pub struct OneLineWriter<W>(W);

impl<W: Write> Write for OneLineWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (body, end) = match buf.strip_suffix(b"\n") {
            Some(body) => (body, &b"\n"[..]),
            None => (buf, &b""[..]),
        };
        let text = String::from_utf8_lossy(body);
        if !text.chars().any(needs_escape) {
            self.0.write_all(buf)?;
            return Ok(buf.len());
        }
        let mut escaped = String::with_capacity(buf.len() + 16);
        for c in text.chars() {
            match c {
                '\n' => escaped.push_str("\\n"),
                '\r' => escaped.push_str("\\r"),
                // `\uXXXX`, which also keeps a JSON line valid (these only occur in strings).
                c if needs_escape(c) => escaped.push_str(&format!("\\u{:04x}", u32::from(c))),
                c => escaped.push(c),
            }
        }
        self.0.write_all(escaped.as_bytes())?;
        self.0.write_all(end)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\u{1b}') || c == '\u{2028}' || c == '\u{2029}'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_line(input: &str) -> String {
        let mut out = Vec::new();
        OneLineWriter(&mut out)
            .write_all(input.as_bytes())
            .expect("write");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn line_breaks_inside_an_event_are_escaped_and_its_end_kept() {
        assert_eq!(one_line("plain\tline\n"), "plain\tline\n");
        assert_eq!(
            one_line("user=a\nINFO forged\r\n"),
            "user=a\\nINFO forged\\r\n"
        );
        assert_eq!(
            one_line("a\u{85}b\u{2028}c\u{0}\n"),
            "a\\u0085b\\u2028c\\u0000\n"
        );
    }
}
