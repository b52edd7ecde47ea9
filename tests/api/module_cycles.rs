//! No module cycle between the gateway's top-level modules: each layer names only the layers
//! below it (the Okta client knows nothing of the public error table, the store nothing of
//! the account cache).

#[path = "../support/module_graph.rs"]
mod module_graph;

#[test]
fn the_gateways_top_level_modules_form_no_cycle() {
    module_graph::assert_no_module_cycles(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
    );
}

/// The Okta client is self-contained (it could be its own crate): it names no gateway module
/// but the metric label helpers, least of all the public error table. The store names none:
/// what is derived from its rows (the account cache) listens to it.
#[test]
fn the_okta_client_and_the_store_name_no_layer_above_them() {
    let graph =
        module_graph::module_graph(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let names = |module: &str| -> Vec<&str> { graph[module].keys().map(String::as_str).collect() };
    assert_eq!(names("okta"), ["metrics"], "{:?}", graph["okta"]);
    assert!(names("store").is_empty(), "{:?}", graph["store"]);
}
