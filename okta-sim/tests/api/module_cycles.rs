//! The simulator's layering, read from its source: the `crate::` references between the
//! top-level modules of `src/` form no cycle, and the data layer (`model`, `org`) names no
//! HTTP type. A new cross-module call that closes a loop fails here with the loop spelled out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module → the other top-level modules its code names through `crate::`.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// Modules that hold data only: entities, the org and its indexes.
const DATA_LAYER: &[&str] = &["model", "org"];

/// What the data layer must not name: the request plumbing and the HTTP crates.
const HTTP_SIDE: &[&str] = &[
    "crate::ctx",
    "crate::error",
    "crate::http",
    "crate::router",
    "crate::server",
    "crate::control",
    "http::",
    "hyper",
    "bytes::",
];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).expect("src/ is readable");
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`users/list.rs` → `users`), or `None` for the
/// crate roots, which only declare and re-export.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).expect("file under src/");
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_string())
}

/// The source without `//` comments (doc links are not dependencies).
fn code_only(text: &str) -> String {
    text.lines()
        .map(|line| line.find("//").map_or(line, |i| &line[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Every module named after `crate::`, including inside `crate::{a, b::c}` groups.
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for item in inner.split(',') {
                let name = ident_at(item.trim());
                if !name.is_empty() && name != "self" {
                    refs.insert(name.to_string());
                }
            }
        } else {
            let name = ident_at(rest);
            if !name.is_empty() {
                refs.insert(name.to_string());
            }
        }
    }
    refs
}

fn read_sources() -> Vec<(String, String)> {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .iter()
        .filter_map(|f| {
            let module = top_module(&src, f)?;
            let text = std::fs::read_to_string(f).expect("source is readable");
            Some((module, code_only(&text)))
        })
        .collect()
}

fn module_graph() -> Graph {
    let sources = read_sources();
    let modules: BTreeSet<String> = sources.iter().map(|(m, _)| m.clone()).collect();
    let mut graph = Graph::new();
    for (module, code) in &sources {
        let deps = graph.entry(module.clone()).or_default();
        for dep in crate_refs(code) {
            // Items defined in the crate root (`crate::large`, macros) are not modules here.
            if &dep != module && modules.contains(&dep) {
                deps.insert(dep);
            }
        }
    }
    graph
}

/// One cycle through each strongly connected group of modules, written `a -> b -> a`.
fn cycles(graph: &Graph) -> Vec<String> {
    let reaches = |from: &str, to: &str| -> Option<Vec<String>> {
        // Breadth-first, so the reported loop is a shortest one.
        let mut previous: BTreeMap<String, String> = BTreeMap::new();
        let mut frontier = vec![from.to_string()];
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for node in frontier {
                for dep in graph.get(&node).into_iter().flatten() {
                    if dep == to {
                        let mut path = vec![to.to_string(), node.clone()];
                        let mut at = node.clone();
                        while let Some(p) = previous.get(&at) {
                            path.push(p.clone());
                            at = p.clone();
                        }
                        path.reverse();
                        return Some(path);
                    }
                    if dep != from && !previous.contains_key(dep) {
                        previous.insert(dep.clone(), node.clone());
                        next.push(dep.clone());
                    }
                }
            }
            frontier = next;
        }
        None
    };
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut found = Vec::new();
    for module in graph.keys() {
        if seen.contains(module) {
            continue;
        }
        if let Some(path) = reaches(module, module) {
            seen.extend(path.iter().cloned());
            found.push(path.join(" -> "));
        }
    }
    found
}

#[test]
fn the_simulators_modules_form_no_cycle() {
    let graph = module_graph();
    assert!(graph.len() > 10, "read too few modules: {graph:?}");
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "module cycles in okta-sim/src: {}",
        found.join("; ")
    );
}

#[test]
fn the_data_layer_names_no_http_type() {
    let mut offences = Vec::new();
    for (module, code) in read_sources() {
        if !DATA_LAYER.contains(&module.as_str()) {
            continue;
        }
        for needle in HTTP_SIDE {
            if code.contains(needle) {
                offences.push(format!("{module} names {needle}"));
            }
        }
    }
    assert!(offences.is_empty(), "{}", offences.join("; "));
}

#[test]
fn the_cycle_finder_names_a_cycle() {
    let mut graph = Graph::new();
    for (from, to) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        graph.entry(from.into()).or_default().insert(to.into());
    }
    assert_eq!(cycles(&graph), ["a -> b -> c -> a"]);
    assert_eq!(
        crate_refs("use crate::{x::Y, self, z};\nlet v = crate::w::f();"),
        BTreeSet::from(["w".to_string(), "x".to_string(), "z".to_string()])
    );
}
