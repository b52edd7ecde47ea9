//! The field types the action inputs share: each knows its JSON Schema (with the gateway's
//! refusal text), so an input struct says what a field is by its type.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::params::{NON_BLANK, X_DRY_RUN, X_PAGED, X_PROBLEM, X_USER_REFERENCE};

/// `JsonSchema` for a field type whose schema is always written inline, never as a `$ref`.
macro_rules! inline_schema {
    ($ty:ident, $schema:tt) => {
        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }

            fn inline_schema() -> bool {
                true
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!($schema)
            }
        }
    };
}

/// References become path segments, so they are never blank, `.` or `..` (NOTES.md §5).
const REFERENCE_MAX: u32 = 256;

/// An Okta id: a path segment of an Okta URL.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct Reference(String);

impl Reference {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

inline_schema!(Reference, {
    "type": "string",
    "minLength": 1,
    "maxLength": REFERENCE_MAX,
    "pattern": NON_BLANK,
    "not": {"enum": [".", ".."]},
    X_PROBLEM: "must be an Okta id or login",
});

/// A user's Okta id or login, never `me`: Okta resolves `me` to the API token's owner (often
/// a super admin) instead of refusing it.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct UserRef(String);

impl UserRef {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

inline_schema!(UserRef, {
    "type": "string",
    "minLength": 1,
    "maxLength": REFERENCE_MAX,
    "pattern": NON_BLANK,
    "not": {"anyOf": [{"enum": [".", ".."]}, {"pattern": "^[Mm][Ee]$"}]},
    X_PROBLEM: "must be an Okta id or login",
    X_USER_REFERENCE: true,
});

/// A password, sent as `{"value": "…"}`; kept as a secret from parsing on.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Password {
    pub value: SecretString,
}

inline_schema!(Password, {
    "type": "object",
    "additionalProperties": false,
    "required": ["value"],
    "properties": {"value": {"type": "string", "minLength": 1, "maxLength": 256}},
    "writeOnly": true,
    X_PROBLEM: "must be an object {\"value\": \"...\"} with a non-empty string value",
});

/// An ISO 8601 date-time with an offset, e.g. `2026-01-01T00:00:00Z`, kept as sent (the
/// input check parses it).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct DateTimeText(String);

impl DateTimeText {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

inline_schema!(DateTimeText, {"type": "string", "format": "date-time", "maxLength": 64});

/// A JSON object of string values.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct StringMap(Map<String, Value>);

impl StringMap {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    pub fn to_map(&self) -> Map<String, Value> {
        self.0.clone()
    }
}

inline_schema!(StringMap, {
    "type": "object",
    "additionalProperties": {"type": "string", "maxLength": 1024},
    "maxProperties": 20,
});

/// `dryRun`: do the same reads and checks as the real call, and no writes.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
#[serde(transparent)]
pub struct DryRun(bool);

impl DryRun {
    pub fn on(self) -> bool {
        self.0
    }
}

inline_schema!(DryRun, {
    "type": "boolean",
    "description": "Do the reads and checks of the real call but change nothing; answer with a preview so the flow can ask for confirmation.",
    "default": false,
    X_DRY_RUN: true,
});

/// `after`: the cursor of the page to read.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct Cursor(String);

impl Cursor {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

inline_schema!(Cursor, {
    "type": "string",
    "minLength": 1,
    "maxLength": 16384,
    "description": "The nextCursor (or X-Next-Cursor header) of the previous page, passed back unchanged, to read the next page. It fixes the query, so send it only with limit and paged.",
});

/// `paged`: answer `{items, nextCursor}` instead of the bare array.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Paged(bool);

impl Paged {
    pub fn on(self) -> bool {
        self.0
    }
}

inline_schema!(Paged, {
    "type": "boolean",
    "description": "Answer {\"items\": [...], \"nextCursor\": \"...\" | null} instead of the bare array (the X-Next-Cursor header is set either way).",
    "default": false,
    X_PAGED: true,
});
