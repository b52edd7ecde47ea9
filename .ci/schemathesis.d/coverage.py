"""Prove that schemathesis reached a 2xx on every operation of the spec.

Reads the gateway's `GET /metrics` text (gateway_http_requests_total{method,route,action,
status}), subtracts the calls the hooks made themselves to repair the accounts (one
"METHOD ROUTE STATUS" line each in the hook-calls file), and prints one row per operation of
openapi.yaml: its calls by status class. Exits 1 when an operation has no 2xx.

Paths after HOOK_CALLS are left out: schemathesis was told not to test them.

Usage: coverage.py OPENAPI_YAML METRICS_TEXT HOOK_CALLS [EXCLUDED_PATH...]
"""

from __future__ import annotations

import re
import sys
from collections import Counter

import yaml

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
SAMPLE = re.compile(r"^gateway_http_requests_total\{(?P<labels>.*)\}\s+(?P<value>\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def operations(spec_path: str) -> list[tuple[str, str]]:
    with open(spec_path, encoding="utf-8") as file:
        spec = yaml.safe_load(file)
    return [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in METHODS
        if method in item
    ]


def counts(metrics_path: str, hook_calls_path: str) -> Counter:
    """Calls by (method, route, status), less the hooks' own."""
    total: Counter = Counter()
    with open(metrics_path, encoding="utf-8") as file:
        for line in file:
            match = SAMPLE.match(line.strip())
            if not match:
                continue
            labels = dict(LABEL.findall(match["labels"]))
            key = (labels.get("method", "?"), labels.get("route", "-"), int(labels["status"]))
            total[key] += int(float(match["value"]))
    with open(hook_calls_path, encoding="utf-8") as file:
        for line in file:
            if line.strip():
                method, route, status = line.split()
                total[(method, route, int(status))] -= 1
    return total


def main() -> int:
    spec_path, metrics_path, hook_calls_path = sys.argv[1:4]
    excluded = set(sys.argv[4:])
    ops = [(method, path) for method, path in operations(spec_path) if path not in excluded]
    calls = counts(metrics_path, hook_calls_path)
    if not any(method != "?" for method, _, _ in calls):
        print("gateway_http_requests_total has no method label", file=sys.stderr)
        return 1
    classes = ("2xx", "3xx", "4xx", "5xx")
    width = max(len(f"{m} {p}") for m, p in ops)
    print(f"{'operation':<{width}}  " + "  ".join(f"{c:>5}" for c in classes))
    missing = []
    server_errors = []
    for method, path in ops:
        by_class = Counter()
        for (m, route, status), n in calls.items():
            if m == method and route == path:
                by_class[f"{status // 100}xx"] += n
        print(f"{method + ' ' + path:<{width}}  " + "  ".join(f"{by_class[c]:>5}" for c in classes))
        if by_class["2xx"] <= 0:
            missing.append(f"{method} {path}")
        if by_class["5xx"] > 0:
            server_errors.append(f"{method} {path}")
    unrouted = sum(n for (m, route, _), n in calls.items() if route == "-")
    print(f"requests outside the spec's routes (404/405 probes): {unrouted}")
    status = 0
    if missing:
        print(f"\n{len(missing)} operation(s) never answered 2xx:", file=sys.stderr)
        for op in missing:
            print(f"  {op}", file=sys.stderr)
        status = 1
    if server_errors:
        print(f"\n{len(server_errors)} operation(s) answered 5xx:", file=sys.stderr)
        for op in server_errors:
            print(f"  {op}", file=sys.stderr)
        status = 1
    if status == 0:
        print(f"every one of the {len(ops)} operations answered 2xx at least once; no 5xx")
    return status


if __name__ == "__main__":
    sys.exit(main())
