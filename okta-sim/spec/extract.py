#!/usr/bin/env python3
"""Extracts the part of Okta's Management API spec that okta-sim implements.

The operations are read from the simulator's own route table (`okta-sim/src/router.rs`,
the `entry!(METHOD, "/api/v1/...", Route)` lines), so the subset always covers exactly
what the simulator serves. For each of them the script keeps the whole operation object
(parameters, request body, responses) plus the path-level parameters, and then every
component those reference, transitively (`#/components/schemas/...`, `responses`,
`parameters`, `requestBodies`, `headers`, `examples`). Nothing is edited: the subset is
the upstream text, cut down. Conversion to JSON Schema happens in the test
(`okta-sim/tests/api/spec/`), where each relaxation is explained.

Each kept operation carries its `security` requirements (`apiToken`, or `oauth2` with the
scopes an access token needs) and the subset keeps `components.securitySchemes`: the
simulator reads the OAuth scopes it enforces per operation, and the catalogue of Okta's
scopes, from the subset (`okta-sim/src/scopes.rs`). An operation without `security` stops
the script, so no operation can silently lose its scope check.

It writes
  okta-sim/spec/okta-management-subset.json   (sorted keys, 1-space indent, trailing newline)
  okta-sim/spec/SOURCE.md                     (provenance and both sha256 digests)

Usage (PyYAML is the only dependency; keep it out of the system Python):
  python3 -m venv target/spec-venv
  target/spec-venv/bin/pip install PyYAML==6.0.3
  target/spec-venv/bin/python okta-sim/spec/extract.py ../shared/okta/management-openapi.yaml

The source file must be the one described in SOURCE.md (its sha256 is checked), so a
re-run reproduces the committed subset byte for byte.
"""

import datetime
import hashlib
import json
import pathlib
import re
import sys

import yaml

SOURCE_REPO = "okta/okta-management-openapi-spec"
SOURCE_PATH = "dist/current/management-oneOfInheritance.yaml"
SOURCE_HEAD = "fdda229e82940cf5af4611ad673ca6a27974e31b"
SOURCE_FILE_COMMIT = "5ef70f744c9db8260c4f8e867a99459a3651fed6"
SOURCE_BLOB = "328e52e585ca6d77689ea7164842864e0ce5be8b"
SOURCE_SHA256 = "efcb1b558c88ee5188001fc417c1585264ccb81d19ff5a1c0cdbb282b37bf1b0"

HERE = pathlib.Path(__file__).resolve().parent
ROUTER = HERE.parent / "src" / "router.rs"
OUT = HERE / "okta-management-subset.json"
NOTE = HERE / "SOURCE.md"

ENTRY = re.compile(r'entry!\(\s*(GET|POST|PUT|DELETE|PATCH)\s*,\s*"([^"]+)"', re.S)


def routes():
    """(method, template) pairs of the simulator's route table, in table order."""
    found = ENTRY.findall(ROUTER.read_text(encoding="utf-8"))
    if not found:
        sys.exit(f"no entry!(…) lines found in {ROUTER}")
    return [(m.lower(), t) for m, t in found]


def plain(node):
    """YAML → JSON-safe data: string keys, dates as ISO strings."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, (datetime.date, datetime.datetime)):
        return node.isoformat()
    return node


def refs(node, out):
    """Every local `$ref` target below `node`."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith("#/components/"):
                sys.exit(f"non-local $ref {ref}")
            out.add(ref)
        for v in node.values():
            refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)


def pointer(doc, ref):
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[part]
    return node


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    source = pathlib.Path(sys.argv[1])
    raw = source.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit(f"{source}: sha256 {digest}, expected {SOURCE_SHA256} (see SOURCE.md)")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec = plain(yaml.load(raw, Loader=loader))

    paths = {}
    for method, template in routes():
        item = spec["paths"].get(template)
        if item is None or method not in item:
            sys.exit(f"the spec has no {method.upper()} {template}")
        if not isinstance(item[method].get("security"), list):
            sys.exit(f"{method.upper()} {template} has no security requirements")
        kept = paths.setdefault(template, {})
        if "parameters" in item:
            kept["parameters"] = item["parameters"]
        kept[method] = item[method]

    components = {}
    pending = set()
    refs(paths, pending)
    seen = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        target = pointer(spec, ref)
        components.setdefault(kind, {})[name] = target
        refs(target, pending)

    subset = {
        "openapi": spec["openapi"],
        "info": {
            "title": spec["info"]["title"] + " (okta-sim subset)",
            "version": spec["info"]["version"],
            "license": spec["info"]["license"],
            "x-okta-sim-source": {
                "repository": SOURCE_REPO,
                "path": SOURCE_PATH,
                "repositoryHead": SOURCE_HEAD,
                "fileCommit": SOURCE_FILE_COMMIT,
                "gitBlob": SOURCE_BLOB,
                "sha256": SOURCE_SHA256,
            },
        },
        "servers": spec.get("servers", []),
        "paths": paths,
        "components": components,
    }
    if "securitySchemes" in spec.get("components", {}):
        components["securitySchemes"] = spec["components"]["securitySchemes"]

    text = json.dumps(subset, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    data = text.encode("utf-8")
    OUT.write_bytes(data)
    subset_sha = hashlib.sha256(data).hexdigest()

    ops = sum(1 for p in paths.values() for k in p if k != "parameters")
    counts = {k: len(v) for k, v in sorted(components.items())}
    NOTE.write_text(
        f"""# Vendored Okta Management API subset

`okta-management-subset.json` holds the operations okta-sim implements ({ops} operations on
{len(paths)} paths, read from the route table in `../src/router.rs`) and every component they
reference, transitively ({", ".join(f"{n} {k}" for k, n in counts.items())}). It is cut from
Okta's official spec without editing any object; only the selection and JSON formatting are ours.
The tests read only this file, never `../shared`. Each operation keeps its `security`
requirements, from which the simulator reads the OAuth scopes it enforces (`../src/scopes.rs`).

| | |
|---|---|
| repository | `{SOURCE_REPO}` (GitHub) |
| file | `{SOURCE_PATH}` |
| repository HEAD | `{SOURCE_HEAD}` |
| last commit touching the file | `{SOURCE_FILE_COMMIT}` |
| git blob | `{SOURCE_BLOB}` |
| source sha256 | `{SOURCE_SHA256}` |
| spec version | `{spec["info"]["version"]}` (OpenAPI {spec["openapi"]}) |
| licence | Apache-2.0 (`info.license` of the spec), © Okta, Inc. |
| subset file | `okta-management-subset.json`, {len(data)} bytes |
| subset sha256 | `{subset_sha}` |

Regenerate (after adding a route to the simulator) with

```sh
python3 -m venv target/spec-venv
target/spec-venv/bin/pip install PyYAML==6.0.3
target/spec-venv/bin/python okta-sim/spec/extract.py ../shared/okta/management-openapi.yaml
```

`extract.py` refuses a source file with another sha256, writes the subset with sorted keys so
a re-run is byte-identical, and rewrites this note. The test
`conformance::the_vendored_subset_is_the_one_described` checks the subset's sha256 against the
row above, and `conformance::every_route_is_a_spec_operation_and_every_subset_operation_a_route`
checks that the subset and the route table name the same operations. How the tests convert
OpenAPI 3.0 to JSON Schema, and what they relax, is described in `../tests/api/spec/`.
""",
        encoding="utf-8",
    )
    print(f"{OUT.name}: {ops} operations, {len(data)} bytes, sha256 {subset_sha}")


if __name__ == "__main__":
    main()
