"""The official MCP Python SDK against a live gateway's /mcp (Streamable HTTP).

Connects with an action key, checks the handshake and the tool list (one tool per action,
the `account` enum, the destructive hint), then calls three tools against okta-sim: a read, a
list (answered as a page) and a destructive one without `confirm` (a dry run that changes
nothing). Exits non-zero with the reason on the first thing that differs.

Usage: GATEWAY_URL=http://127.0.0.1:PORT GATEWAY_KEY=... ACCOUNT=acme python mcp-sdk-check.py
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

JORDAN = "jordan.lee@example.com"


class CheckFailed(Exception):
    pass


def expect(condition: bool, what: str, detail: object = "") -> None:
    if not condition:
        raise CheckFailed(f"{what}: {detail}")


async def call(session: ClientSession, tool: str, arguments: dict) -> dict:
    result = await session.call_tool(tool, arguments)
    expect(not result.is_error, f"{tool} answered an error", result.model_dump_json())
    content = result.structured_content
    expect(isinstance(content, dict), f"{tool} has no structured content", result)
    expect(len(result.content) > 0, f"{tool} has no text rendering", result)
    print(f"  {tool}: {result.content[0].text[:120]}")
    return content


async def check(url: str, key: str, account: str) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    # Read timeout as the SDK's own default client: a response may stream.
    timeout = httpx2.Timeout(30.0, read=300.0)
    failure = None
    async with httpx2.AsyncClient(headers=headers, timeout=timeout) as http:
        async with streamable_http_client(f"{url}/mcp", http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                # Raised out of the SDK's task groups it would arrive wrapped.
                try:
                    await checks(session, account)
                except CheckFailed as failed:
                    failure = failed
    if failure is not None:
        raise failure


async def checks(session: ClientSession, account: str) -> None:
    init = await session.initialize()
    print(f"initialized: {init.server_info.name} {init.server_info.version}, "
          f"protocol {init.protocol_version}")
    expect(init.server_info.name == "okta-gateway", "server name", init.server_info)
    expect(init.capabilities.tools is not None, "no tools capability", init)

    listed = await session.list_tools()
    tools = {tool.name: tool for tool in listed.tools}
    print(f"tools/list: {len(tools)} tools")
    for name in ("get_user", "list_users", "suspend_user"):
        expect(name in tools, "a tool is missing", name)
    expect("list_accounts" not in tools, "an action key sees the account tools")
    accounts = tools["get_user"].input_schema["properties"]["account"]["enum"]
    expect(accounts == [account], "the account enum", accounts)
    hints = tools["suspend_user"].annotations
    expect(hints is not None and hints.destructive_hint is True,
           "suspend_user is not marked destructive", hints)
    expect(tools["get_user"].annotations.read_only_hint is True,
           "get_user is not marked read-only", tools["get_user"].annotations)

    by_login = {"account": account, "searchBy": "login", "searchValue": JORDAN}
    user = await call(session, "get_user", by_login)
    expect(user.get("profile", {}).get("login") == JORDAN, "get_user's user",
           json.dumps(user)[:300])

    page = await call(session, "list_users", {"account": account, "limit": 2})
    expect(len(page.get("items", [])) == 2, "list_users' page", json.dumps(page)[:300])
    expect("nextCursor" in page, "list_users' page has no nextCursor", list(page))

    preview = await call(session, "suspend_user", {"account": account, "userId": JORDAN})
    expect(preview.get("dryRun") is True, "suspend_user without confirm is not a dry run",
           json.dumps(preview)[:300])
    after = await call(session, "get_user", by_login)
    expect(after.get("status") == user.get("status"), "the dry run changed the user's status",
           (user.get("status"), after.get("status")))


def main() -> int:
    url = os.environ["GATEWAY_URL"].rstrip("/")
    key = os.environ["GATEWAY_KEY"]
    account = os.environ.get("ACCOUNT", "acme")
    try:
        asyncio.run(check(url, key, account))
    except CheckFailed as failure:
        print(f"MCP SDK check FAILED: {failure}", file=sys.stderr)
        return 1
    print("the MCP Python SDK listed the tools and called three of them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
