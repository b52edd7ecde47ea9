"""Schemathesis hooks for .ci/schemathesis: make every call start from the same world.

Before each call the simulator goes back to its demo org (the ids the spec's examples use),
and the connected accounts go back to exactly one, `acme`, pointing at the simulator with
its real token. Account repairs go through the gateway's own API (the token is encrypted in
the database), so each repair call is appended to $HOOK_CALLS_FILE; the coverage report
subtracts them from the gateway's metrics, which then count schemathesis' calls alone.

The spec's account examples name an org (https://dev-12345.okta.com) and tokens: here that
org is the simulator, which learns the tokens, so the examples succeed as they would there.

A few 400s answer schema-valid input by rules the schema does not state (SEMANTIC_400S
below); only those are excused from the positive_data_acceptance check, each logged to
$EXCUSED_FILE. Everything else schemathesis finds fails the run.

Environment (set by .ci/schemathesis): GATEWAY_URL, GATEWAY_ADMIN_KEY, SIM_URL, SIM_TOKEN,
HOOK_CALLS_FILE, EXCUSED_FILE.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
import uuid

import schemathesis
import yaml

GATEWAY_URL = os.environ["GATEWAY_URL"]
ADMIN_KEY = os.environ["GATEWAY_ADMIN_KEY"]
SIM_URL = os.environ["SIM_URL"]
SIM_TOKEN = os.environ["SIM_TOKEN"]
HOOK_CALLS_FILE = os.environ["HOOK_CALLS_FILE"]
EXCUSED_FILE = os.environ["EXCUSED_FILE"]
ACCOUNT = "acme"

SPEC_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "openapi.yaml")

# Repairs owed to the accounts table, found after a call changed it.
_pending: list[tuple[str, str, str, dict | None]] = []


def _request(method: str, url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _gateway(method: str, route: str, path: str, body: dict | None = None) -> None:
    """One repair call through the gateway, recorded for the coverage report."""
    status, text = _request(method, GATEWAY_URL + path, body, {"Authorization": f"Bearer {ADMIN_KEY}"})
    with open(HOOK_CALLS_FILE, "a", encoding="utf-8") as calls:
        calls.write(f"{method} {route} {status}\n")
    if status >= 300:
        raise RuntimeError(f"hook repair {method} {path} answered {status}: {text[:500]!r}")


def _connect_body() -> dict:
    return {"domain": SIM_URL, "apiToken": SIM_TOKEN, "verify": False}


def _reset_simulator() -> None:
    status, text = _request("POST", SIM_URL + "/__sim/reset", {"seed": "demo"})
    if status != 200:
        raise RuntimeError(f"simulator reset answered {status}: {text[:500]!r}")


def _repair_accounts() -> None:
    while _pending:
        method, route, path, body = _pending.pop(0)
        _gateway(method, route, path, body)


def _account_examples() -> tuple[set[str], set[str]]:
    """The org URLs and API tokens of the spec's account examples."""
    with open(SPEC_FILE, encoding="utf-8") as file:
        spec = yaml.safe_load(file)
    domains, tokens = set(), set()
    for path, method in (("/accounts", "post"), ("/accounts/{name}", "put")):
        media = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
        bodies = [media["example"]] if "example" in media else []
        bodies += [example["value"] for example in media.get("examples", {}).values()]
        for body in bodies:
            if "domain" in body:
                domains.add(body["domain"])
            if "apiToken" in body:
                tokens.add(body["apiToken"])
    return domains, tokens


# The examples' org is, in this test, the simulator, and their tokens are valid there: so the
# examples succeed as they would against the org they describe.
EXAMPLE_DOMAINS, EXAMPLE_TOKENS = _account_examples()
for _token in EXAMPLE_TOKENS:
    _status, _text = _request("POST", SIM_URL + "/__sim/tokens", {"token": _token})
    if _status >= 300:
        raise RuntimeError(f"registering an example token answered {_status}: {_text[:500]!r}")


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    _reset_simulator()
    _repair_accounts()
    if (
        case.operation.path in ("/accounts", "/accounts/{name}")
        and isinstance(case.body, dict)
        and isinstance(case.body.get("domain"), str)
        and case.body["domain"] in EXAMPLE_DOMAINS
    ):
        case.body["domain"] = SIM_URL
    # Each generated call is a new request, as a flow's retry is not: it gets its own
    # Idempotency-Key (one key reused for another body is refused with 422 by design). Keys
    # that are not valid stay as generated, so their refusal is still checked.
    for name, value in list((case.headers or {}).items()):
        if (
            name.lower() == "idempotency-key"
            and isinstance(value, str)
            and 1 <= len(value) <= 255
            and all(0x20 <= ord(c) <= 0x7E for c in value)
        ):
            case.headers[name] = uuid.uuid4().hex


@schemathesis.hook
def after_call(context, case, response) -> None:
    if not 200 <= response.status_code < 300:
        return
    path = case.operation.path
    method = case.method.upper()
    if path == "/accounts" and method == "POST":
        created = json.loads(response.content)["name"]
        _pending.append(("DELETE", "/accounts/{name}", f"/accounts/{created}", None))
    elif path == "/accounts/{name}" and method == "PUT":
        _pending.append(("PUT", "/accounts/{name}", f"/accounts/{ACCOUNT}", _connect_body()))
    elif path == "/accounts/{name}" and method == "DELETE":
        _pending.append(("POST", "/accounts", "/accounts", {"name": ACCOUNT, **_connect_body()}))


# Schema-valid input that the gateway still refuses with 400: rules no static schema can hold,
# because they depend on the configuration, the stored account, the Okta org's settings and
# data, or the clock. Only these are excused from the positive_data_acceptance check (ST202);
# each must come with INVALID_FIELD_VALUE and the reason below. Anything else still fails the
# run.
def _fields(error: dict) -> set[str]:
    return {f.get("field") for f in (error.get("details") or {}).get("fields") or []}


def _okta_causes(error: dict) -> str:
    okta = (error.get("details") or {}).get("okta") or {}
    return " ".join(str(c.get("errorSummary", "")) for c in okta.get("errorCauses") or [])


def _okta_code(error: dict) -> str | None:
    return ((error.get("details") or {}).get("okta") or {}).get("errorCode")


def _okta_cause_list(error: dict) -> list[str]:
    okta = (error.get("details") or {}).get("okta") or {}
    return [str(c.get("errorSummary", "")) for c in okta.get("errorCauses") or []]


# The login's format is the org's profile-schema setting (an email address by default), and
# Okta's email rules are stricter than the schema's pattern.
OKTA_PROFILE_CAUSES = {
    "login: Username must be in the form of an email address",
    "email: Does not match required pattern",
    "secondEmail: Does not match required pattern",
}


def _okta_profile_refusal(error: dict) -> bool:
    causes = _okta_cause_list(error)
    return _okta_code(error) == "E0000001" and bool(causes) and set(causes) <= OKTA_PROFILE_CAUSES


def _cursor_refusal(fixed: set[str]):
    """`after` that is no cursor of this action and account, or sent with what it fixes."""

    def rule(error: dict, body) -> bool:
        sent = isinstance(body, dict) and body.get("after") is not None
        return sent and bool(_fields(error)) and _fields(error) <= {"after"} | fixed

    return rule


SEMANTIC_400S = [
    # The accepted org hosts depend on OKTA_EXTRA_HOSTS and OKTA_ALLOW_INSECURE_LOOPBACK;
    # exactly one of apiToken and oauth (in the description); a private key must be one that
    # signs (the schema says only "a string or a JWK object").
    (
        ("POST", "/accounts"),
        lambda e, b: _fields(e) and _fields(e) <= {"domain", "apiToken", "oauth", "oauth.privateKey"},
    ),
    # ... and an update's rules on the stored account: new domain needs new credentials; an
    # update changes at least one of domain, credentials and rate-limit reserve.
    (
        ("PUT", "/accounts/{name}"),
        lambda e, b: _fields(e)
        and _fields(e) <= {"domain", "apiToken", "oauth", "oauth.privateKey", "rateLimitReserve"},
    ),
    (("POST", "/accounts/{name}/actions/create_user"), lambda e, b: _okta_profile_refusal(e)),
    # An update names at least one profile field (a rule across parameters, in the description).
    (
        ("POST", "/accounts/{name}/actions/update_user"),
        lambda e, b: _okta_profile_refusal(e)
        or (_fields(e) == {"body"} and "at least one of" in json.dumps(e["details"])),
    ),
    # Okta checks the old password and its password policy.
    (("POST", "/accounts/{name}/actions/change_password"), lambda e, b: _okta_code(e) == "E0000014"),
    # Okta refuses a second factor of a type the user already has; which profile members a
    # factor type takes, and GOOGLE's only factor type, are rules across parameters (in the
    # description).
    (
        ("POST", "/accounts/{name}/actions/enroll_factor"),
        lambda e, b: (_okta_code(e) == "E0000001" and "already set up" in _okta_causes(e))
        or (_fields(e) and all(f.split(".")[0] in {"provider", "profile"} for f in _fields(e))),
    ),
    # The System Log keeps 180 days (`since` is relative to now, and `until` to `since`), and
    # Okta parses `filter` (SCIM) and `q` itself.
    (
        ("POST", "/accounts/{name}/actions/get_audit_logs"),
        lambda e, b: (_fields(e) and _fields(e) <= {"since", "until"})
        or (_okta_code(e) in ("E0000001", "E0000053") and not _fields(e)),
    ),
    # Login failures are read from at most 180 days back up to now.
    (
        ("POST", "/accounts/{name}/actions/get_login_failures"),
        lambda e, b: _fields(e) == {"since"},
    ),
    # list_users takes at most one of q, search and filter (a rule across parameters, in
    # their descriptions; Okta's E0000033), and Okta parses search and filter itself.
    (
        ("POST", "/accounts/{name}/actions/list_users"),
        lambda e, b: (
            _fields(e)
            and _fields(e) <= {"search", "filter"}
            and "Okta takes only one of q, search and filter" in json.dumps(e["details"])
        )
        or (_okta_code(e) == "E0000031" and not _fields(e)),
    ),
    # Okta parses an application filter itself (E0000031 for what it cannot filter on).
    (("POST", "/accounts/{name}/actions/list_applications"), lambda e, b: _okta_code(e) == "E0000031"),
    # The audit trail's cursor is only one the gateway issued (signed); until follows since.
    (("GET", "/audit"), lambda e, b: _fields(e) and _fields(e) <= {"after", "until"}),
    # A cursor is only one the gateway issued (signed), and it fixes the rest of the query.
    *[
        (("POST", f"/accounts/{{name}}/actions/{action}"), _cursor_refusal(fixed))
        for action, fixed in (
            ("list_users", {"q", "search", "filter"}),
            ("list_groups", {"q"}),
            ("list_group_members", set()),
            ("list_applications", {"q", "filter"}),
            ("list_app_users", set()),
            ("list_group_apps", set()),
            ("get_pending_approvals", set()),
            ("get_audit_logs", {"since", "until", "filter", "sortOrder"}),
        )
    ],
]


# A string's maxLength counts characters, while the gateway's 64 KiB body limit counts the
# bytes sent: a schema-valid body of escaped characters (`\u000f` is six bytes) can pass it.
BODY_LIMIT = 64 * 1024


def _over_body_limit(body) -> bool:
    return len(json.dumps(body).encode()) > BODY_LIMIT


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Keep every failure except the excused 400s above, and 413s for bodies over the limit
    (refused before their content is read, valid or not)."""
    if response.status_code == 413 and _over_body_limit(case.body):
        return False
    if failure.code != "ST202" or response.status_code != 400:
        return True
    try:
        error = json.loads(response.content)["error"]
    except (ValueError, KeyError, TypeError):
        return True
    if error.get("status") != "INVALID_FIELD_VALUE":
        return True
    operation = (case.method.upper(), case.operation.path)
    if any(op == operation and bool(rule(error, case.body)) for op, rule in SEMANTIC_400S):
        with open(EXCUSED_FILE, "a", encoding="utf-8") as excused:
            excused.write(f"{operation[0]} {operation[1]}\n")
        return False
    return True
