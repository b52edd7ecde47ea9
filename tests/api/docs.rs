//! The README's tables agree with the code they describe: the action table with the catalog
//! (every action, in the catalog's order, with its fields and which are required) and the
//! error table with the error table in `src/error.rs` (status, code and HTTP status).

use okta_gateway::actions::Catalog;
use okta_gateway::error::ErrorStatus;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

/// The body rows of the Markdown table whose header row is `header`, split into cells.
fn table(text: &str, header: &str) -> Vec<Vec<String>> {
    let mut lines = text.lines().skip_while(|line| line.trim() != header);
    assert!(lines.next().is_some(), "no table headed {header}");
    lines
        .skip(1)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            line.trim()
                .trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_owned())
                .collect()
        })
        .collect()
}

/// `a*, b (note, more), c* `x`` → `[("a", true), ("b", false), ("c", true)]`: the notes in
/// parentheses and code spans are prose.
fn documented_fields(cell: &str) -> Vec<(String, bool)> {
    let mut plain = String::new();
    let (mut depth, mut code) = (0, false);
    for c in cell.chars() {
        match c {
            '`' => code = !code,
            '(' if !code => depth += 1,
            ')' if !code => depth -= 1,
            _ if depth == 0 && !code => plain.push(c),
            _ => {}
        }
    }
    plain
        .split(',')
        .map(str::trim)
        .filter(|field| !field.is_empty())
        .map(|field| {
            let name = field.split_whitespace().next().unwrap_or_default();
            (name.trim_end_matches('*').to_owned(), name.ends_with('*'))
        })
        .collect()
}

#[test]
fn the_readme_action_table_lists_every_action_with_its_fields() {
    let catalog = Catalog::new();
    let rows = table(&readme(), "| action | parameters | answer |");
    let mut documented = Vec::new();
    for row in &rows {
        // One row may document several actions with the same fields (`a / b / c`).
        for name in row[0].split(" / ") {
            let (_, input) = catalog
                .get(name)
                .unwrap_or_else(|| panic!("the README documents an unknown action {name}"));
            let defined: Vec<(String, bool)> = input
                .fields()
                .iter()
                .map(|field| (field.name.clone(), field.required))
                .collect();
            assert_eq!(documented_fields(&row[1]), defined, "{name}");
            documented.push(name.to_owned());
        }
    }
    assert_eq!(documented, catalog.names());
}

#[test]
fn the_readme_error_table_is_the_error_table() {
    let rows = table(&readme(), "| status | code | HTTP | meaning |");
    let documented: Vec<&str> = rows.iter().map(|row| row[0].as_str()).collect();
    let defined: Vec<&str> = ErrorStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(documented, defined);
    for (row, status) in rows.iter().zip(ErrorStatus::ALL) {
        assert!(
            row[1].contains(&status.default_code().to_string()),
            "{}: code {}",
            row[0],
            row[1]
        );
        assert_eq!(
            row[2],
            status.http_status().as_u16().to_string(),
            "{}",
            row[0]
        );
    }
}
