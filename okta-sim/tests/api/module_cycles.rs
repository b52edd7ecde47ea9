//! The simulator's layering, read from its source: the top-level modules of `src/` form no
//! cycle, and the data layer (`model`, `org`) names no request plumbing and no HTTP crate. A new
//! cross-module call that closes a loop fails here with the loop spelled out.

use std::path::{Path, PathBuf};

#[path = "../../../tests/support/module_graph.rs"]
mod module_graph;

/// Modules that hold data only: entities, the org and its indexes.
const DATA_LAYER: &[&str] = &["model", "org"];

/// The request plumbing the data layer must not name.
const REQUEST_SIDE: &[&str] = &["ctx", "error", "http", "router", "server", "control"];

/// The HTTP crates the data layer must not name either.
const HTTP_CRATES: &[&str] = &["http::", "hyper", "bytes::"];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn the_simulators_modules_form_no_cycle() {
    module_graph::assert_no_module_cycles(&src_dir());
}

#[test]
fn the_data_layer_names_no_http_type() {
    let graph = module_graph::module_graph(&src_dir());
    let mut offences = Vec::new();
    for module in DATA_LAYER {
        let named = graph.get(*module).cloned().unwrap_or_default();
        for (target, evidence) in named {
            if REQUEST_SIDE.contains(&target.as_str()) {
                offences.push(format!(
                    "{module} names crate::{target} ({}:{})",
                    evidence.file.display(),
                    evidence.line
                ));
            }
        }
        let dir = src_dir().join(module);
        let mut files = vec![src_dir().join(format!("{module}.rs"))];
        if let Ok(entries) = std::fs::read_dir(&dir) {
            files.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
        }
        for file in files {
            let Ok(code) = std::fs::read_to_string(&file) else {
                continue;
            };
            for needle in HTTP_CRATES {
                if code.contains(needle) {
                    offences.push(format!("{} names {needle}", file.display()));
                }
            }
        }
    }
    assert!(offences.is_empty(), "{}", offences.join("; "));
}
