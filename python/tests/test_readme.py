"""Live: the README's commands, run in order as a new user pastes them, against WM_TEST_API_URL.

Why: the README is what a new user runs first; a block that stops working must fail a test.
Every ``bash``, ``python`` and ``ts`` block of README.md is matched to exactly one plan below by
a text only it contains; a block that matches none fails the test, so a new block cannot go
unchecked. A plan runs the block or says why it cannot run here. Shell blocks go, command by
command, into one bash session (so ``$WS``/``$SB`` set by one block are there for the next);
Python blocks run in this venv and TypeScript blocks with tsx, all in a scratch directory whose
``node_modules`` is the repository's (so ``npx wm`` resolves as it does in a clone).

What the test substitutes, and nothing else: the test server's URL for ``http://127.0.0.1:8080``
(and ``WORKSPACE_API_URL``), its API key for ``$KEY``, the NFS ports it listens on for 12049 and
12050, ids earlier commands set or printed for placeholders (``<id>``, ``<cid>``,
``<workspace id>``), and ``curl`` runs with ``--fail-with-body -sS`` so an error reply fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from live import LIVE_URL, skip_unless_live
from readme_blocks import Block, Shell, code_blocks, shell_commands

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DEFAULT_URL = "http://127.0.0.1:8080"
API_KEY = os.environ.get("WM_TEST_API_KEY", "")

# A placeholder's value, computed when the command that contains it is about to run.
Value = Callable[["Run"], str]


@dataclass(frozen=True)
class Plan:
    """What to do with the one README block that contains ``marker``."""

    marker: str
    skip: str | None = None  # the whole block cannot run here: why
    skip_commands: dict[str, str] = field(default_factory=dict)  # command text -> why not
    placeholders: dict[str, Value] = field(default_factory=dict)
    expect: tuple[str, ...] = ()  # texts the block's output must contain
    needs_root: bool = False


def shell_var(name: str) -> Value:
    return lambda run: run.shell.value(name)


def last_id(kind: str) -> Value:
    return lambda run: run.shell.last_ids[kind]


PLANS = [
    Plan(
        "git clone",
        skip="clones this repository and starts a server on 8080: the test runs in a clone, "
        "against the server npm test started",
    ),
    Plan("npm test", skip="npm test is what runs this test"),
    Plan("from workspace_sdk import", expect=("hello",)),
    Plan("import { WorkspaceClient }", expect=("'hi\\n'", "code: 3")),
    Plan(
        "npx wm --help",
        skip_commands={"npx wm shell": "an interactive terminal: needs a person at a TTY"},
        expect=("Usage: wm",),
    ),
    Plan("npx wm sandbox pause", expect=("  paused\n", "  stopped\n")),
    Plan("from wm_client import", expect=("hi", "web-01")),
    Plan("import { WorkspaceManagerClient", expect=("hi", "web-01")),
    Plan(
        "sudo mount",
        skip="mounts need a kernel NFS client (and sudo); the test machines have none, so the "
        "NFS block after it reaches the same exports with libnfs",
    ),
    Plan(
        "nfs-ls",
        placeholders={"<id>": shell_var("WS")},
        expect=("notes.txt", "some notes"),
        needs_root=True,  # libnfs speaks from a privileged port, as the exports require
    ),
    Plan(
        "/checkpoints",
        placeholders={"<id>": shell_var("SB"), "<cid>": last_id("ck")},
        expect=('"kind":', '"checkpoints":[{', '"state":"running"'),
    ),
    Plan(
        "/splunk/search",
        placeholders={"<workspace id>": shell_var("WS"), "<id>": last_id("sb")},
        expect=('"results":[{"host":"web-01"',),
    ),
]


class Run:
    """The state of one pass over the README: the scratch directory, its shell, its env."""

    def __init__(self, scratch: Path, env: dict[str, str]) -> None:
        self.scratch = scratch
        self.env = env
        (scratch / "work").mkdir()
        (scratch / "commands").mkdir()
        # A clone's node_modules, so npx finds the repository's wm and tsx, never the registry.
        (scratch / "work" / "node_modules").symlink_to(REPO / "node_modules")
        self.shell = Shell(scratch / "work", scratch / "commands", env)
        self.shell.run('curl() { command curl --fail-with-body -sS "$@"; }')
        self.count = 0

    def substitute(self, text: str, plan: Plan) -> str:
        text = text.replace(DEFAULT_URL, LIVE_URL)
        for placeholder, value in plan.placeholders.items():
            if placeholder in text:
                text = text.replace(placeholder, value(self))
        return nfs_ports(text) if "nfsport=" in text else text

    def block(self, block: Block, plan: Plan) -> str:
        """Run one block; its output. Fails on a non-zero exit."""
        if block.lang == "bash":
            output = ""
            for command in shell_commands(block.text):
                reason = next(
                    (why for cmd, why in plan.skip_commands.items() if cmd in command), ""
                )
                if reason:
                    print(f"{block}: skipped `{command}`: {reason}")
                    continue
                status, out = self.shell.run(self.substitute(command, plan))
                output += out
                assert status == 0, f"{block}: `{command}` exited {status}:\n{out}"
            return output
        self.count += 1
        source = self.substitute(block.text, plan)
        if block.lang == "python":
            argv = [sys.executable, "-"]
        else:
            path = self.scratch / "work" / f"readme-block-{self.count}.mts"
            path.write_text(source, encoding="utf-8")
            argv, source = ["node", "--import", "tsx", path.name], ""
        done = subprocess.run(
            argv,
            input=source,
            cwd=self.scratch / "work",
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{block} exited {done.returncode}:\n{output}"
        return output


def nfs_ports(text: str) -> str:
    """The test server's NFS and MOUNT ports in place of the defaults 12049 and 12050."""
    with client() as http:
        workspaces = http.get("/v1/workspaces").json()["workspaces"]
    url = next((w["nfs_url"] for w in workspaces if w["nfs_url"]), None)
    if url is None:
        pytest.fail("the test server exports no workspace over NFS (is NFS-Ganesha installed?)")
    port = re.search(r":(\d+)/", url)
    assert port, url
    mount_port = listening_sibling(int(port.group(1)))
    return text.replace("nfsport=12049", f"nfsport={port.group(1)}").replace(
        "mountport=12050", f"mountport={mount_port}"
    )


def listening_sibling(nfs_port: int) -> str:
    """The other TCP port the process serving ``nfs_port`` listens on: ganesha's MOUNT port."""
    lines = subprocess.run(
        ["ss", "-Hltnp"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    owner = next((re.search(r"pid=(\d+)", line) for line in lines if f":{nfs_port} " in line), None)
    assert owner, f"nothing listens on NFS port {nfs_port}"
    ports = {
        m.group(1)
        for line in lines
        if f"pid={owner.group(1)}," in line and (m := re.search(r":(\d+) ", line))
    }
    ports.discard(str(nfs_port))
    assert len(ports) == 1, f"ganesha (pid {owner.group(1)}) listens on {ports} besides NFS"
    return ports.pop()


def client() -> httpx.Client:
    headers = {"X-API-Key": API_KEY} if API_KEY else {}
    return httpx.Client(base_url=LIVE_URL, headers=headers, timeout=60)


def ids(http: httpx.Client) -> tuple[set[str], set[str]]:
    workspaces = {w["id"] for w in http.get("/v1/workspaces").json()["workspaces"]}
    sandboxes = {s["id"] for s in http.get("/v1/sandboxes").json()["sandboxes"]}
    return workspaces, sandboxes


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    """A scratch directory and shell; what the README created on the server is removed after."""
    env = dict(os.environ)
    env.update(
        WORKSPACE_API_URL=LIVE_URL,
        KEY=API_KEY,
        SPLUNK_USERNAME=os.environ.get("SPLUNK_USERNAME", "admin"),
        SPLUNK_PASSWORD=os.environ.get("SPLUNK_PASSWORD", "changeme123"),
        npm_config_offline="true",
        npm_config_update_notifier="false",
    )
    if API_KEY:
        env["WORKSPACE_API_KEY"] = API_KEY
    with client() as http:
        before = ids(http)
        state = Run(tmp_path, env)
        try:
            yield state
        finally:
            state.shell.close()
            # The blocks' local files (a 64 MB big.bin among them); node_modules is only a link.
            shutil.rmtree(tmp_path / "work", ignore_errors=True)
            workspaces, sandboxes = ids(http)
            for sandbox in sandboxes - before[1]:
                http.delete(f"/v1/sandboxes/{sandbox}", params={"force": "true"})
            for workspace in workspaces - before[0]:
                http.delete(f"/v1/workspaces/{workspace}")


def plan_for(block: Block) -> Plan:
    matches = [plan for plan in PLANS if plan.marker in block.text]
    assert len(matches) == 1, (
        f"{block} matches {len(matches)} plans of test_readme.py: give every README block "
        f"exactly one (run it, or say why it cannot run):\n{block.text}"
    )
    return matches[0]


@skip_unless_live
def test_readme_blocks_run_in_order(run: Run) -> None:
    blocks = code_blocks(README, ("bash", "python", "ts"))
    plans = [plan_for(block) for block in blocks]
    assert len({plan.marker for plan in plans}) == len(PLANS), "a plan matches no README block"
    for block, plan in zip(blocks, plans, strict=True):
        if plan.skip or (plan.needs_root and os.geteuid() != 0):
            print(f"{block}: skipped: {plan.skip or 'needs root'}")
            continue
        output = run.block(block, plan)
        print(f"{block}: ran; its output:\n{output}")
        for text in plan.expect:
            assert text in output, f"{block}: no {text!r} in its output:\n{output}"


def test_npx_wm_runs_from_the_repository_root() -> None:
    env = dict(os.environ, npm_config_offline="true", npm_config_update_notifier="false")
    for args in (["--help"], ["sandbox", "--help"]):
        done = subprocess.run(
            ["npx", "wm", *args], cwd=REPO, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"npx wm {' '.join(args)}:\n{done.stdout}{done.stderr}"
        assert "Usage: wm" in done.stdout
