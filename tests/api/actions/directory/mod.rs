//! The directory reads against okta-sim: list_users (queries, paging to the last page, the
//! combinations refused before any call), find_user_by_email (one, none or several users, an
//! address Okta's filter must read literally), and a user's groups and app links.

use okta_sim::RecordedRequest;
use serde_json::Value;

use super::support::without_links;

mod find_user_by_email;
mod list_users;
mod user_lists;

fn ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap_or_else(|| panic!("an array: {items}"))
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// The JSON Okta answered to a recorded request.
fn answered(request: &RecordedRequest) -> Value {
    serde_json::from_str(request.response_body.as_deref().unwrap_or("null"))
        .expect("okta-sim answers JSON")
}

/// Okta's objects as the gateway passes them on: without `_links`, and with every key of the
/// action's sample (null where Okta left it out).
fn shaped_like(okta: &Value, sample: &Value) -> Value {
    let fill = |item: &Value| {
        let mut item = without_links(item.clone());
        fill_missing(&mut item, sample);
        item
    };
    match okta {
        Value::Array(items) => Value::Array(items.iter().map(fill).collect()),
        item => fill(item),
    }
}

fn fill_missing(item: &mut Value, sample: &Value) {
    let (Value::Object(item), Value::Object(sample)) = (item, sample) else {
        return;
    };
    for (key, inner) in sample {
        match item.get_mut(key) {
            None => {
                item.insert(key.clone(), Value::Null);
            }
            Some(nested @ Value::Object(_)) => fill_missing(nested, inner),
            Some(_) => {}
        }
    }
}

/// The sample of an action's first response, as the catalog publishes it.
fn sample_of(action: &str) -> Value {
    let catalog = okta_gateway::actions::Catalog::new();
    let (action, _) = catalog.get(action).expect("a catalog action");
    let sample = okta_gateway::actions::sample(&action.responses[0]);
    match sample {
        Value::Array(mut items) => items.swap_remove(0),
        object => object,
    }
}
