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
