//! Where Okta's spec contradicts itself, and corrections that make it stricter.
//!
//! The schema is normative; examples are not. Where old examples contradict the schema
//! (factor phone numbers shown as `+1-555-415-1337` against the E.164 pattern, `_links.resend`
//! shown as an array against one link object), the schema wins: okta-sdk-python, generated
//! from it, rejects the example forms when it reads a response, and the simulator follows
//! the schema (`conformance::the_spec_s_old_examples_lose_to_its_schema`).
//!
//! A [`Patch`] is only for a schema that contradicts its own description. It names the node,
//! checks that the node still says what it said when the patch was written (so a newer spec
//! fails loudly instead of being patched blindly), and names its evidence
//! (`conformance::every_spec_patch_is_forced_by_the_spec`). A [`Tightening`] makes properties
//! that Okta always sends required. Everything else is validated exactly as the spec says.

use serde_json::Value;

/// What a patch does at its pointer.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    /// Replaces the node with this JSON text.
    Replace(&'static str),
}

/// One correction of the vendored spec.
#[derive(Debug, Clone, Copy)]
pub struct Patch {
    pub name: &'static str,
    /// JSON pointer of the node to change.
    pub pointer: &'static str,
    /// A pointer (relative to the document) and the value it must hold before patching.
    pub expect: (&'static str, &'static str),
    pub action: Action,
    /// Response examples of the spec (operationId, status, example name) that contradict the
    /// unpatched schema; empty when the evidence is the schema's own description (checked
    /// by the conformance test).
    pub evidence: &'static [(&'static str, u16, &'static str)],
    /// What the patched instance path looks like in those examples (a prefix of the errors).
    pub error_at: &'static str,
}

pub const PATCHES: &[Patch] = &[
    // `expand=user/{userId}` embeds "the assigned Application User" (the schema's own
    // description), but the schema types `_embedded.user` as a map whose every value is an
    // object, which no AppUser (`id`, `status`, `created` are strings) can satisfy. The patch
    // makes it the AppUser schema the description names: stricter than a plain object.
    Patch {
        name: "embedded-app-user-is-an-app-user",
        pointer: "/components/schemas/Application/properties/_embedded/properties/user",
        expect: (
            "/components/schemas/Application/properties/_embedded/properties/user/additionalProperties/type",
            r#""object""#,
        ),
        action: Action::Replace(r##"{"$ref": "#/components/schemas/AppUser"}"##),
        evidence: &[],
        error_at: "/_embedded/user",
    },
];

/// Properties Okta always sends in a response, made `required` for response validation.
///
/// The spec marks almost nothing required in `User`, `Group`, `UserFactor` and friends
/// because the same schemas describe request bodies, where these read-only properties are
/// absent. Without this a body missing `id` would pass. Each tightening names spec
/// examples (operationId, status, example name, pointer inside the example value) that
/// hold every listed property; `conformance::every_tightening_holds_in_the_spec_s_examples`
/// checks that, and that each property is one the schema declares.
pub struct Tightening {
    pub schema: &'static str,
    pub required: &'static [&'static str],
    pub evidence: &'static [(&'static str, u16, &'static str, &'static str)],
}

pub const TIGHTENINGS: &[Tightening] = &[
    Tightening {
        schema: "User",
        required: &[
            "id",
            "status",
            "created",
            "activated",
            "statusChanged",
            "lastLogin",
            "lastUpdated",
            "passwordChanged",
            "profile",
            "credentials",
            "_links",
        ],
        evidence: &[
            ("getUser", 200, "GetUserExample", ""),
            ("createUser", 200, "Create user with password", ""),
            ("createUser", 200, "Create user without credentials", ""),
        ],
    },
    Tightening {
        schema: "UserProfile",
        required: &["login", "email", "firstName", "lastName"],
        evidence: &[
            ("getUser", 200, "GetUserExample", "/profile"),
            (
                "createUser",
                200,
                "Create user without credentials",
                "/profile",
            ),
        ],
    },
    Tightening {
        schema: "Group",
        required: &[
            "id",
            "created",
            "lastUpdated",
            "lastMembershipUpdated",
            "objectClass",
            "type",
            "profile",
            "_links",
        ],
        evidence: &[
            ("getGroup", 200, "GroupExample", ""),
            ("listGroups", 200, "ListGroupsExample", "/0"),
        ],
    },
    Tightening {
        schema: "UserFactor",
        required: &[
            "id",
            "factorType",
            "provider",
            "status",
            "vendorName",
            "_links",
        ],
        evidence: &[
            ("getFactor", 200, "SMS", ""),
            ("getFactor", 200, "Email", ""),
            ("enrollFactor", 200, "sms", ""),
            ("enrollFactor", 200, "question", ""),
        ],
    },
    Tightening {
        schema: "AppUser",
        required: &[
            "id",
            "scope",
            "status",
            "created",
            "lastUpdated",
            "profile",
            "_links",
        ],
        evidence: &[("getApplicationUser", 200, "GetAppUserExample", "")],
    },
    Tightening {
        schema: "LogEvent",
        required: &[
            "uuid",
            "published",
            "eventType",
            "version",
            "severity",
            "displayMessage",
            "actor",
            "client",
            "outcome",
            "transaction",
            "debugContext",
        ],
        evidence: &[("listLogEvents", 200, "ListLogs", "/0")],
    },
    Tightening {
        schema: "Error",
        required: &[
            "errorCode",
            "errorSummary",
            "errorLink",
            "errorId",
            "errorCauses",
        ],
        evidence: &[
            ("getGroup", 404, "ResourceNotFound", ""),
            ("addGroup", 400, "APIValidationFailed", ""),
        ],
    },
];

/// Applies every patch and tightening; panics if the spec no longer says what a patch
/// expects.
pub fn apply(doc: &mut Value) {
    apply_patches(doc);
    for t in TIGHTENINGS {
        let schema = doc
            .pointer_mut(&format!("/components/schemas/{}", t.schema))
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("tightening: no schema {}", t.schema));
        let required = schema
            .entry("required")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = required {
            for name in t.required {
                let name = Value::String((*name).to_string());
                if !list.contains(&name) {
                    list.push(name);
                }
            }
        }
    }
}

/// Applies [`PATCHES`] only.
pub fn apply_patches(doc: &mut Value) {
    for patch in PATCHES {
        let (at, expected) = patch.expect;
        let expected: Value = serde_json::from_str(expected).expect("patch expectation is JSON");
        assert_eq!(
            doc.pointer(at),
            Some(&expected),
            "spec patch '{}': {at} changed; review the patch",
            patch.name
        );
        let (parent, key) = patch
            .pointer
            .rsplit_once('/')
            .expect("pointer has a parent");
        let parent = doc
            .pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("spec patch '{}': no {parent}", patch.name));
        match patch.action {
            Action::Replace(text) => {
                let value: Value = serde_json::from_str(text).expect("patch value is JSON");
                parent.insert(key.to_string(), value);
            }
        }
    }
}
