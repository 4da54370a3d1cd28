"""An in-memory stand-in of the API for the wm_client unit tests, over httpx.MockTransport.

Why a fake rather than canned replies: ``create_workspace``, ``delete_workspace`` and the
token transfers are sequences of calls whose effects depend on each other (a sandbox that
fails leaves a workspace to delete; a token minted for one path opens only that path). The
fake keeps just enough state to check those sequences and records every request. This
module holds no tests; it is named ``test_wm_client_*`` so it sits with the suites it serves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx

from wm_client import WorkspaceManagerClient

URL = "http://127.0.0.1:8080"
NOW = "2026-11-24T10:00:00.000Z"
Route = Callable[[httpx.Request, "re.Match[str]"], httpx.Response]


def error(status: int, code: int, message: str = "refused") -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


class FakeApi:
    """State: workspaces, sandboxes, files, minted tokens and checkpoints; plus knobs."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.workspaces: dict[str, dict[str, Any]] = {}
        self.sandboxes: dict[str, dict[str, Any]] = {}
        self.files: dict[tuple[str, str], bytes] = {}
        self.tokens: dict[str, dict[str, str]] = {}
        self.checkpoints: dict[str, dict[str, Any]] = {}
        self.public_base = URL  # where the server builds token URLs
        self.valid_tokens = True  # False: minted tokens are refused (tampered, wrong secret)
        self.sandbox_failure: tuple[int, int] | None = None  # (status, code) of POST /sandboxes
        self.first_state = "running"  # state POST /sandboxes answers with
        self.polls_until_running = 0  # GETs of a starting sandbox before it runs
        self.run_result: dict[str, Any] = {"exit_code": 0, "stdout": "ok\n", "stderr": ""}
        self.missing: set[str] = set()  # route names answering 404 (not landed yet)
        self.search_results: list[dict[str, Any]] = [{"_raw": "line", "host": "h1"}]
        self._ids = 0
        self._routes: list[tuple[str, str, str, Route]] = [
            ("GET", r"/health", "health", self._health),
            ("GET", r"/v1/application-kinds", "kinds", self._kinds),
            ("POST", r"/v1/workspaces", "workspaces", self._create_workspace),
            ("GET", r"/v1/workspaces", "workspaces", self._list_workspaces),
            ("POST", r"/v1/workspaces/([^/]+)/files/tokens", "tokens", self._mint),
            ("GET", r"/v1/workspaces/([^/]+)/files/content", "files", self._read),
            ("PUT", r"/v1/workspaces/([^/]+)/files/content", "files", self._write),
            ("GET", r"/v1/workspaces/([^/]+)", "workspaces", self._get_workspace),
            ("DELETE", r"/v1/workspaces/([^/]+)", "workspaces", self._delete_workspace),
            ("POST", r"/v1/sandboxes", "sandboxes", self._create_sandbox),
            ("GET", r"/v1/sandboxes", "sandboxes", self._list_sandboxes),
            ("POST", r"/v1/sandboxes/([^/]+)/processes", "processes", self._run),
            ("GET", r"/v1/sandboxes/([^/]+)/ports/(\d+)", "ports", self._port),
            ("POST", r"/v1/sandboxes/([^/]+)/checkpoints", "checkpoints", self._checkpoint),
            ("GET", r"/v1/sandboxes/([^/]+)/checkpoints", "checkpoints", self._checkpoints),
            (
                "POST",
                r"/v1/sandboxes/([^/]+)/checkpoints/([^/]+)/restore",
                "checkpoints",
                self._restore,
            ),
            ("DELETE", r"/v1/sandboxes/([^/]+)/checkpoints/([^/]+)", "checkpoints", self._drop),
            ("POST", r"/v1/sandboxes/([^/]+)/splunk/search", "splunk", self._search),
            ("GET", r"/v1/sandboxes/([^/]+)", "sandboxes", self._get_sandbox),
            ("DELETE", r"/v1/sandboxes/([^/]+)", "sandboxes", self._delete_sandbox),
        ]

    # Plumbing

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for method, pattern, name, route in self._routes:
            match = re.fullmatch(pattern, request.url.path)
            if match and method == request.method:
                if name in self.missing:
                    return error(404, 1007, "no route")
                return route(request, match)
        return error(404, 1007, f"no route {request.method} {request.url.path}")

    def client(self, **options: Any) -> WorkspaceManagerClient:
        options.setdefault("base_url", URL)
        return WorkspaceManagerClient(transport=httpx.MockTransport(self), **options)

    def seen(self, method: str, path_pattern: str) -> list[httpx.Request]:
        return [
            r
            for r in self.requests
            if r.method == method and re.fullmatch(path_pattern, r.url.path)
        ]

    def _id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids}"

    @staticmethod
    def body(request: httpx.Request) -> Any:
        return json.loads(request.content) if request.content else None

    # Workspaces and files

    def _health(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        return httpx.Response(200, json={"status": "ok", "version": "0.1.0"})

    def _kinds(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        kind = {"kind": "splunk", "plugin": "splunk", "template": "wm-splunk-standin:latest"}
        return httpx.Response(200, json={"application_kinds": [kind]})

    def _create_workspace(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        body = self.body(request) or {}
        ws = {"id": self._id("ws"), "created_at": NOW, "updated_at": NOW, "nfs_url": None}
        ws.update(name=body.get("name"), metadata=body.get("metadata"))
        self.workspaces[ws["id"]] = ws
        return httpx.Response(201, json=ws)

    def _list_workspaces(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        return httpx.Response(200, json={"workspaces": list(self.workspaces.values())})

    def _get_workspace(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        ws = self.workspaces.get(match[1])
        return httpx.Response(200, json=ws) if ws else error(404, 7001, "no workspace")

    def _delete_workspace(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        if match[1] not in self.workspaces:
            return error(404, 7001, "no workspace")
        if any(sb["workspace_id"] == match[1] for sb in self.sandboxes.values()):
            return error(409, 7002, "workspace in use by sandboxes")
        del self.workspaces[match[1]]
        return httpx.Response(204)

    def _mint(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        body = self.body(request)
        token = f"wm1.{self._id('t')}"
        if self.valid_tokens:
            self.tokens[token] = {"ws": match[1], "path": body["path"], "op": body["operation"]}
        query = urlencode({"path": body["path"], "token": token})
        url = f"{self.public_base}/v1/workspaces/{match[1]}/files/content?{query}"
        reply = {"token": token, "url": url, "expires_at": NOW, "operation": body["operation"]}
        reply.update(path=body["path"], header="Authorization", query_param="token")
        return httpx.Response(201, json=reply)

    def _token_ok(self, request: httpx.Request, ws: str, op: str) -> bool | None:
        """None: no token presented; else whether it opens this file for this operation."""
        auth = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        token = auth or request.url.params.get("token")
        if not token:
            return None
        grant = self.tokens.get(token)
        path = request.url.params.get("path")
        return grant == {"ws": ws, "path": path, "op": op}

    def _read(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        if self._token_ok(request, match[1], "download") is False:
            return error(401, 6001, "token not valid here")
        data = self.files.get((match[1], request.url.params["path"]))
        if data is None:
            return error(404, 5001, "no such file")
        return httpx.Response(200, content=data, headers={"Content-Length": str(len(data))})

    def _write(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        if self._token_ok(request, match[1], "upload") is False:
            return error(401, 6001, "token not valid here")
        path = request.url.params["path"]
        data = request.read()
        self.files[(match[1], path)] = data
        info = {"name": path.rsplit("/", 1)[-1], "path": path, "type": "file", "size": len(data)}
        return httpx.Response(200, json=info)

    # Sandboxes, processes, ports, checkpoints, Splunk

    def _create_sandbox(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        body = self.body(request)
        if body["workspace_id"] not in self.workspaces:
            return error(404, 7001, "no workspace")
        sb = {
            "id": self._id("sb"),
            "workspace_id": body["workspace_id"],
            "template": body.get("template") or "default:latest",
            "state": self.first_state,
            "created_at": NOW,
            "updated_at": NOW,
            "env": body.get("env"),
            "application_kind": body.get("application_kind"),
            "last_activity_at": NOW,
        }
        self.sandboxes[sb["id"]] = sb
        if self.sandbox_failure:
            sb["state"] = "error"  # left behind, as a failed start may be
            status, code = self.sandbox_failure
            return error(status, code, "sandbox failed to start")
        return httpx.Response(201, json=sb)

    def _list_sandboxes(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        wanted = request.url.params.get("workspace_id")
        items = [s for s in self.sandboxes.values() if wanted in (None, s["workspace_id"])]
        return httpx.Response(200, json={"sandboxes": items})

    def _sandbox(self, match: re.Match[str]) -> dict[str, Any] | None:
        return self.sandboxes.get(match[1])

    def _get_sandbox(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        sb = self._sandbox(match)
        if sb is None:
            return error(404, 2001, "no sandbox")
        if sb["state"] == "starting":
            if self.polls_until_running <= 0:
                sb["state"] = "running"
            self.polls_until_running -= 1
        return httpx.Response(200, json=sb)

    def _delete_sandbox(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        if self.sandboxes.pop(match[1], None) is None:
            return error(404, 2001, "no sandbox")
        return httpx.Response(204)

    def _run(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        if self._sandbox(match) is None:
            return error(404, 2001, "no sandbox")
        return httpx.Response(200, json={"pid": 7, **self.run_result})

    def _port(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        url = f"{URL}/v1/sandboxes/{match[1]}/proxy/{match[2]}/"
        return httpx.Response(200, json={"host": "127.0.0.1", "port": int(match[2]), "url": url})

    def _checkpoint(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        sb = self._sandbox(match)
        if sb is None:
            return error(404, 2001, "no sandbox")
        ck = {"id": self._id("ck"), "sandbox_id": sb["id"], "workspace_id": sb["workspace_id"]}
        ck.update(name=(self.body(request) or {}).get("name"), kind="filesystem")
        ck.update(image=f"wm-checkpoint:{ck['id']}", created_at=NOW)
        self.checkpoints[ck["id"]] = ck
        return httpx.Response(201, json=ck)

    def _checkpoints(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        items = [c for c in self.checkpoints.values() if c["sandbox_id"] == match[1]]
        return httpx.Response(200, json={"checkpoints": items})

    def _restore(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        sb = self._sandbox(match)
        if sb is None or match[2] not in self.checkpoints:
            return error(404, 1007, "no checkpoint")
        sb["template"] = self.checkpoints[match[2]]["image"]
        return httpx.Response(200, json=sb)

    def _drop(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        if self.checkpoints.pop(match[2], None) is None:
            return error(404, 1007, "no checkpoint")
        return httpx.Response(204)

    def _search(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        sb = self._sandbox(match)
        if sb is None:
            return error(404, 2001, "no sandbox")
        if sb["application_kind"] != "splunk":
            return error(400, 1001, "not a splunk sandbox")
        return httpx.Response(200, json={"results": self.search_results})
