"""Schemathesis hooks for scripts/run-schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

1. OpenAPI 3.0 has no keyword that constrains the keys of a map, so the server's
   document carries draft-07 ``propertyNames`` (env names, metadata keys) as the
   extension ``x-propertyNames``. Before the document is loaded it becomes a
   ``patternProperties`` entry (which schemathesis' generator honours; it ignores
   ``propertyNames``), so generated "valid" bodies really are valid.
2. A workspace path is refused past 4096 bytes, or with a name over 255 (the file
   system's limits, in UTF-8 bytes): the document's pattern and maxLength count
   characters and say the rest in words, so generated paths keep to the bytes too
   (filter hooks reach fuzzing and stateful cases; coverage cases at those bounds
   are ASCII, where characters are bytes).
3. Two reports are dropped where the server is right (``filter_failure``): the port
   proxy's (and the Splunk search's) 502 code 2005 when nothing listens on the
   port inside the sandbox (documented; the check
   "not a server error" takes any 5xx for a bug), and "created resource not found"
   when the 404 names something other than the created resource (e.g. 5001, a file
   missing in a workspace that was just created and is there).
4. cpu and memory of a create are bounded by the host that runs the server (400 code
   1001 beyond it, said in the document's words), which no static schema knows: a
   schema-valid create leaves them to the server's defaults, and a schema-violating
   one keeps them (its violation may be there).
5. A create with a template that exists starts a real container. At most
   WM_SCHEMATHESIS_MAX_SANDBOXES (default 3) are created in one run; later creates
   name a template that does not exist (a documented 404) instead. The script
   removes every sandbox and workspace the run made.
6. Whether a workspace quota can be enforced depends on the filesystem of the server's
   data directory (400 code 1001 where it cannot, said in the document's words), which no
   static schema knows: schema-valid workspace creates and changes leave `quota_bytes` out.
7. A network policy's allow entries follow a grammar the document gives in words (host
   names, addresses, CIDRs, optional ports), and only mode allowlist takes them: a
   schema-valid policy keeps an allow list only in mode allowlist, with entries that follow
   it, and a create gives its mode once (network, not also network_mode, which must
   agree with it). A policy change on a sandbox made outside the egress gateway (network none or
   bridge) is refused whatever the body (400 code 1001 naming its network_mode), which is
   the sandbox's state, not the request's: that report is dropped.
8. A secret's hosts follow the host-name grammar of allow entries, and its name may be
   neither in the create's env nor one the server reserves (said in the document's
   words): a schema-valid create with secrets gets one secret that follows them.
9. Whether a sandbox's disk_bytes can be honoured depends on the engine's storage driver (400
   code 1001 where it cannot), and a size string's grammar and minimum (1m) are given in words:
   a schema-valid create leaves disk_bytes to the server's default, as it does cpu and memory.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

MAX_SANDBOXES = int(os.environ.get("WM_SCHEMATHESIS_MAX_SANDBOXES", "3"))
ABSENT_TEMPLATE = "wm-schemathesis-absent:none"
NAME_MAX_BYTES = 255
PATH_MAX_BYTES = 4096
PATH_FIELDS = ("path", "source", "destination")

created_sandboxes: list[str] = []


def _key_pattern(names: dict[str, Any]) -> str:
    if "pattern" in names:
        return str(names["pattern"])
    return f"^[\\s\\S]{{{names.get('minLength', 0)},{names.get('maxLength', '')}}}$"


def _promote_property_names(node: Any) -> None:
    if isinstance(node, dict):
        names = node.pop("x-propertyNames", None)
        if isinstance(names, dict) and isinstance(
            node.get("additionalProperties"), dict
        ):
            node["patternProperties"] = {
                _key_pattern(names): node["additionalProperties"]
            }
            node["additionalProperties"] = False
        for value in node.values():
            _promote_property_names(value)
    elif isinstance(node, list):
        for item in node:
            _promote_property_names(item)


@schemathesis.hook
def before_load_schema(ctx: Any, raw_schema: dict[str, Any]) -> None:
    _promote_property_names(raw_schema)


def _names_fit(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    if len(value.encode("utf-8", "surrogatepass")) > PATH_MAX_BYTES:
        return False
    return all(
        len(name.encode("utf-8", "surrogatepass")) <= NAME_MAX_BYTES
        for name in value.split("/")
    )


def _paths_fit(container: Any) -> bool:
    if not isinstance(container, dict):
        return True
    return all(_names_fit(container.get(field)) for field in PATH_FIELDS)


@schemathesis.hook
def filter_query(ctx: Any, query: Any) -> bool:
    return _paths_fit(query)


@schemathesis.hook
def filter_body(ctx: Any, body: Any) -> bool:
    return _paths_fit(body)


def _is_sandbox_create(case: Any) -> bool:
    return case.method.upper() == "POST" and case.operation.path == "/v1/sandboxes"


def _is_positive(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    return meta is not None and meta.generation.mode.is_positive


WORKSPACE_WRITES = {("POST", "/v1/workspaces"), ("PATCH", "/v1/workspaces/{id}")}
NETWORK_CHANGE = ("PATCH", "/v1/sandboxes/{id}/network")
VALID_ALLOW = ["example.com"]
VALID_SECRET_NAME = "SCHEMA_SECRET"


def _operation(case: Any) -> tuple[str, str]:
    return case.method.upper(), case.operation.path


def _valid_policy(policy: Any) -> None:
    if not isinstance(policy, dict) or "allow" not in policy:
        return
    if policy.get("mode") == "allowlist":
        policy["allow"] = list(VALID_ALLOW)
    else:
        policy.pop("allow")


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: dict[str, Any]) -> None:
    body = case.body
    if not isinstance(body, dict):
        return
    if _is_positive(case):
        if _operation(case) in WORKSPACE_WRITES:
            body.pop("quota_bytes", None)
        if _operation(case) == NETWORK_CHANGE:
            _valid_policy(body)
        if _is_sandbox_create(case) and isinstance(body.get("network"), dict):
            _valid_policy(body["network"])
            # network_mode, when given beside it, must name the same mode.
            body.pop("network_mode", None)
        if (
            _is_sandbox_create(case)
            and isinstance(body.get("secrets"), dict)
            and body["secrets"]
        ):
            body["secrets"] = {
                VALID_SECRET_NAME: {"value": "s", "hosts": ["api.example.com"]}
            }
            if isinstance(body.get("env"), dict):
                body["env"].pop(VALID_SECRET_NAME, None)
    if not _is_sandbox_create(case):
        return
    if _is_positive(case):
        body.pop("cpu", None)
        body.pop("memory", None)
        body.pop("disk_bytes", None)
    if len(created_sandboxes) >= MAX_SANDBOXES and isinstance(
        body.get("template"), (str, type(None))
    ):
        body["template"] = ABSENT_TEMPLATE


@schemathesis.hook
def after_call(ctx: Any, case: Any, response: Any) -> None:
    if not (_is_sandbox_create(case) and response.status_code == 201):
        return
    try:
        sandbox_id = str(response.json()["id"])
    except (ValueError, KeyError, TypeError):
        return
    created_sandboxes.append(sandbox_id)
    # The script checks that no container of these sandboxes outlives the run.
    record = os.environ.get("WM_SCHEMATHESIS_CREATED")
    if record:
        with open(record, "a", encoding="utf-8") as file:
            file.write(sandbox_id + "\n")


# 404 codes that say the resource named in the path is missing (workspace, sandbox, route).
RESOURCE_MISSING_CODES = {1007, 2001, 7001}


def _error_code(response: Any) -> int | None:
    try:
        return int(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


@schemathesis.hook
def filter_failure(ctx: Any, failure: Any, case: Any, response: Any) -> bool:
    code = _error_code(response)
    # A reply to HEAD has no body to carry the code.
    unreachable_port = code == 2005 or (
        case.method.upper() == "HEAD" and not response.content
    )
    if failure.code == "ST101" and response.status_code == 502 and unreachable_port:
        path = case.operation.path
        return "/proxy/" not in path and not path.endswith("/splunk/search")
    if failure.code == "ST302" and response.status_code == 404 and code is not None:
        return code in RESOURCE_MISSING_CODES
    if failure.code == "ST202" and _operation(case) == NETWORK_CHANGE and code == 1001:
        return "network_mode" not in _error_details(response)
    return True


def _error_details(response: Any) -> dict[str, Any]:
    try:
        details = response.json()["error"].get("details")
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}
    return details if isinstance(details, dict) else {}
