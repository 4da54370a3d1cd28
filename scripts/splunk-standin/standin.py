"""A stand-in for the part of Splunk's REST API that Workspace Manager's Splunk helper uses.

This is NOT Splunk. No Splunk image can be pulled where Workspace Manager is developed, so the
`splunk` application kind is tested against this: a standard-library HTTP service on port 8089
that answers

- ``POST /services/search/jobs/export`` with HTTP basic auth (``SPLUNK_USERNAME`` /
  ``SPLUNK_PASSWORD`` from its environment) and a form body ``search=<SPL>&output_mode=json``,
  streaming one JSON object per line, ``{"preview": false, "offset": n, "result": {...}}``,
  computed over a small built-in dataset, as Splunk's export endpoint does;
- ``GET /services/server/info`` (authenticated), for readiness checks.

Bad credentials are 401, a search it cannot run is 400 with Splunk-style ``messages``. The SPL it
understands: ``search`` with ``field=value`` terms (``*`` wildcards, quotes) and bare words, then
``| head N``, ``| fields a, b`` / ``| table a b``, ``| stats count [by a[, b]]``, ``| sort [-]a``.
``python3 standin.py --self-test`` checks it end to end and exits 0.
"""

from __future__ import annotations

import base64
import fnmatch
import hmac
import json
import os
import shlex
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("STANDIN_PORT", "8089"))
BIND = os.environ.get("STANDIN_BIND", "127.0.0.1")

_ACCESS = ("_time", "host", "method", "uri", "status", "bytes")
_SECURE = ("_time", "host", "action", "user", "src")
EVENTS: list[dict[str, str]] = [
    {"index": "main", "sourcetype": "access_combined", **dict(zip(_ACCESS, row, strict=True))}
    for row in (
        ("2024-05-01T10:00:00Z", "web-01", "GET", "/", "200", "5120"),
        ("2024-05-01T10:00:05Z", "web-01", "GET", "/login", "200", "2048"),
        ("2024-05-01T10:00:09Z", "web-02", "POST", "/login", "401", "310"),
        ("2024-05-01T10:01:12Z", "web-02", "GET", "/missing", "404", "190"),
        ("2024-05-01T10:02:30Z", "web-01", "GET", "/api/items", "500", "120"),
        ("2024-05-01T10:03:00Z", "web-03", "GET", "/api/items", "200", "8800"),
    )
] + [
    {"index": "security", "sourcetype": "linux_secure", **dict(zip(_SECURE, row, strict=True))}
    for row in (
        ("2024-05-01T10:04:41Z", "bastion", "failure", "root", "203.0.113.7"),
        ("2024-05-01T10:04:43Z", "bastion", "failure", "admin", "203.0.113.7"),
        ("2024-05-01T10:05:10Z", "bastion", "success", "alice", "198.51.100.4"),
    )
]


class SearchError(Exception):
    """A search the stand-in cannot run: answered 400 with Splunk-style messages."""


def _matches(event: dict[str, str], term: str) -> bool:
    if "=" in term:
        field, _, pattern = term.partition("=")
        value = event.get(field)
        return value is not None and fnmatch.fnmatchcase(value.lower(), pattern.lower())
    word = term.lower()
    return any(fnmatch.fnmatchcase(value.lower(), f"*{word}*") for value in event.values())


def _fields(args: list[str]) -> list[str]:
    return [name for arg in args for name in arg.split(",") if name]


def run_search(spl: str) -> list[dict[str, str]]:
    """The results of `spl` over EVENTS."""
    stages = [stage.strip() for stage in spl.split("|")]
    first = stages.pop(0)
    try:
        terms = shlex.split(first)
    except ValueError as error:
        raise SearchError(f"Error in 'search' command: {error}.") from error
    if not terms or terms[0] != "search":
        raise SearchError("The search must start with 'search' (the helper adds it).")
    rows = [event for event in EVENTS if all(_matches(event, term) for term in terms[1:])]
    for stage in stages:
        try:
            command, *args = shlex.split(stage)
        except ValueError as error:
            raise SearchError(f"Error in '{stage}': {error}.") from error
        if command == "head":
            count = int(args[0]) if args and args[0].isdigit() else 10
            rows = rows[:count]
        elif command in ("fields", "table"):
            names = _fields(args)
            rows = [{name: row[name] for name in names if name in row} for row in rows]
        elif command == "stats":
            if not args or args[0] != "count":
                raise SearchError("The stand-in's stats command only knows 'count [by field]'.")
            by = _fields(args[2:]) if len(args) > 2 and args[1] == "by" else []
            counts: dict[tuple[str, ...], int] = {}
            for row in rows:
                if all(name in row for name in by):
                    key = tuple(row[name] for name in by)
                    counts[key] = counts.get(key, 0) + 1
            rows = [
                {**dict(zip(by, key, strict=True)), "count": str(count)}
                for key, count in sorted(counts.items())
            ]
        elif command == "sort":
            if not args:
                raise SearchError("Error in 'sort' command: a field is required.")
            field = args[0].lstrip("-+")
            rows = sorted(rows, key=lambda row: row.get(field, ""), reverse=args[0][0] == "-")
        else:
            raise SearchError(f"Unknown search command '{command}'.")
    return rows


def _messages(kind: str, text: str) -> bytes:
    return json.dumps({"messages": [{"type": kind, "text": text}]}).encode()


class Handler(BaseHTTPRequestHandler):
    server_version = "splunk-standin/1.0"

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="/splunk"')
        self.end_headers()
        self.wfile.write(body)

    def _authenticated(self) -> bool:
        user = os.environ.get("SPLUNK_USERNAME", "")
        password = os.environ.get("SPLUNK_PASSWORD", "")
        header = self.headers.get("Authorization", "")
        if not user or not password or not header.startswith("Basic "):
            return False
        try:
            given = base64.b64decode(header[6:], validate=True)
        except ValueError:
            return False
        return hmac.compare_digest(given, f"{user}:{password}".encode())

    def do_GET(self) -> None:
        if not self._authenticated():
            self._send(401, _messages("WARN", "call not properly authenticated"))
        elif urllib.parse.urlsplit(self.path).path == "/services/server/info":
            info = {"entry": [{"content": {"product_type": "standin", "version": "0.0-standin"}}]}
            self._send(200, json.dumps(info).encode())
        else:
            self._send(404, _messages("ERROR", "Not Found"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        if not self._authenticated():
            self._send(401, _messages("WARN", "call not properly authenticated"))
            return
        if urllib.parse.urlsplit(self.path).path != "/services/search/jobs/export":
            self._send(404, _messages("ERROR", "Not Found"))
            return
        if form.get("output_mode", [""])[0] != "json":
            self._send(400, _messages("FATAL", "The stand-in speaks output_mode=json only."))
            return
        if not form.get("search"):
            self._send(400, _messages("FATAL", "Empty search."))
            return
        try:
            rows = run_search(form["search"][0])
        except SearchError as error:
            self._send(400, _messages("FATAL", str(error)))
            return
        lines = []
        for offset, row in enumerate(rows):
            item: dict[str, object] = {"preview": False, "offset": offset, "result": row}
            if offset == len(rows) - 1:
                item["lastrow"] = True
            lines.append(json.dumps(item))
        self._send(200, "".join(f"{line}\n" for line in lines).encode())

    def log_message(self, format: str, *args: object) -> None:
        # The request line only: never headers (credentials) nor bodies (queries).
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def self_test() -> None:
    """Starts the service on a free port and checks searches, credentials and errors."""
    os.environ.update(SPLUNK_USERNAME="standin", SPLUNK_PASSWORD="s3cret pass")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/services/search/jobs/export"

    def export(search: str, password: str) -> tuple[int, list[dict[str, object]]]:
        token = base64.b64encode(f"standin:{password}".encode()).decode()
        body = urllib.parse.urlencode({"search": search, "output_mode": "json"}).encode()
        request = urllib.request.Request(base, body, {"Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, [json.loads(line) for line in response if line.strip()]
        except urllib.error.HTTPError as error:
            return error.code, []

    status, lines = export("search index=main status=5* | stats count by host", "s3cret pass")
    assert status == 200, status
    assert [line["result"] for line in lines] == [{"host": "web-01", "count": "1"}], lines
    assert export("search index=main", "wrong")[0] == 401
    assert export("search index=main | frobnicate", "s3cret pass")[0] == 400
    server.shutdown()
    print("splunk stand-in self-test passed")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
    else:
        sys.stderr.write(f"splunk stand-in (not Splunk) listening on {BIND}:{PORT}\n")
        ThreadingHTTPServer((BIND, PORT), Handler).serve_forever()
