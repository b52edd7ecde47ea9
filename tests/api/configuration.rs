//! The settings as `okta-gateway serve --help` lists them, and the documents that list them too
//! (README's configuration table, `.env.example`), kept in agreement.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use okta_gateway::config::SETTINGS;

use crate::helpers::{Backend, TestDb};

const SECRET_ADMIN_KEY: &str = "s3cret-admin-key-never-in-help";

/// Every setting `serve --help` lists: its variable and its default, if any.
fn settings_from_help() -> BTreeMap<String, Option<String>> {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_okta-gateway"))
        .args(["serve", "--help"])
        .env_clear()
        .env("GATEWAY_ADMIN_KEYS", SECRET_ADMIN_KEY)
        .output()
        .expect("runs");
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        !help.contains(SECRET_ADMIN_KEY),
        "--help shows an environment value"
    );
    let mut settings = BTreeMap::new();
    for line in help.lines().filter(|l| l.contains("[env: ")) {
        let (text, rest) = line.split_once("[env: ").expect("env");
        let (var, rest) = rest.split_once(']').expect("env ends");
        assert!(!text.trim().is_empty(), "{var} has no help");
        let default = rest
            .split_once("[default: ")
            .map(|(_, d)| d.trim_end().trim_end_matches(']').to_owned());
        settings.insert(var.to_owned(), default);
    }
    settings
}

fn read(file: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).expect(file)
}

/// README's configuration table: every variable its first column names, with its default cell.
fn readme_table() -> Vec<(String, String)> {
    let readme = read("README.md");
    let (_, section) = readme.split_once("\n## Configuration\n").expect("section");
    let section = section.split("\n## ").next().unwrap_or_default();
    let mut rows = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').collect();
        for name in cells[1].split('`').skip(1).step_by(2) {
            rows.push((name.to_owned(), cells[2].trim().to_owned()));
        }
    }
    rows
}

/// Names assigned in `.env.example`, in live lines and in commented ones (`# NAME=value`).
fn env_example_names() -> BTreeSet<String> {
    read(".env.example")
        .lines()
        .filter_map(|line| {
            let line = line.trim_start_matches('#').trim_start();
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty() && line[name.len()..].starts_with('=')).then_some(name)
        })
        .collect()
}

/// Variables docker-compose.yml substitutes (`${NAME...}`): `.env.example` may set those too.
fn compose_variables() -> BTreeSet<String> {
    read("docker-compose.yml")
        .split("${")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn the_readme_table_lists_exactly_the_settings_of_serve_help_with_their_defaults() {
    let settings = settings_from_help();
    let defined: BTreeSet<&str> = SETTINGS.iter().map(|s| s.var).collect();
    assert_eq!(
        settings.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        defined,
        "--help lists every setting"
    );
    let table = readme_table();
    for (name, default_cell) in &table {
        let Some(default) = settings.get(name) else {
            panic!("README's configuration table names {name}, which is no setting");
        };
        match default {
            Some(default) => assert!(
                default_cell.starts_with(&format!("`{default}`")),
                "README gives {name} the default {default_cell}, --help {default}"
            ),
            None => assert!(
                !default_cell.contains('`'),
                "README gives {name} the default {default_cell}; it has none"
            ),
        }
    }
    let documented: BTreeSet<&String> = table.iter().map(|(name, _)| name).collect();
    for name in settings.keys() {
        assert!(
            documented.contains(name),
            "{name} is missing from README's configuration table"
        );
    }
}

#[test]
fn env_example_names_every_setting_and_nothing_else_but_compose_variables() {
    let settings = settings_from_help();
    let names = env_example_names();
    for name in settings.keys() {
        assert!(names.contains(name), "{name} is missing from .env.example");
    }
    // COMPOSE_PROFILES is docker compose's own variable.
    let compose = compose_variables();
    for name in &names {
        assert!(
            settings.contains_key(name) || compose.contains(name) || name == "COMPOSE_PROFILES",
            ".env.example sets {name}, which is neither a setting nor used by docker-compose.yml"
        );
    }
}

#[tokio::test]
async fn a_flag_wins_over_the_environment() {
    let db = TestDb::new(Backend::Sqlite).await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_okta-gateway"))
        .args(["migrate", "--database-url", &db.url()])
        .env_clear()
        .env("DATABASE_URL", "mysql://not-a-gateway-database")
        .env("LOG_FORMAT", "")
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pool = sqlx::SqlitePool::connect(&db.url()).await.expect("db");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(&pool)
        .await
        .expect("migrated");
    assert_eq!(count, 0);
}
