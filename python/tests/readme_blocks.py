"""Helpers of test_readme.py: the README's code blocks, and one shell session to paste them into.

Why a session rather than one ``bash -c`` per block: a user pastes the README's commands into one
terminal, so variables set by one block (``WS=$(npx wm workspace create ...)``) are there for the
next, and an id printed by one command can be pasted into the next one.
"""

from __future__ import annotations

import queue
import re
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^```(\w*)\s*$")
IDS = re.compile(r"\b(ws|sb|ck)_[0-9a-f]{20}\b")


@dataclass(frozen=True)
class Block:
    """One fenced code block of the README."""

    lang: str
    text: str
    line: int  # 1-based line of the opening fence

    def __str__(self) -> str:
        return f"README.md:{self.line} ({self.lang})"


def code_blocks(readme: Path, langs: tuple[str, ...]) -> list[Block]:
    """Every fenced block whose language is one of ``langs``, in order."""
    blocks: list[Block] = []
    lang: str | None = None
    start = 0
    body: list[str] = []
    for number, line in enumerate(readme.read_text(encoding="utf-8").splitlines(), start=1):
        match = FENCE.match(line)
        if lang is None:
            if match:
                lang, start, body = match.group(1), number, []
        elif match and not match.group(1):
            if lang in langs:
                blocks.append(Block(lang, "\n".join(body) + "\n", start))
            lang = None
        else:
            body.append(line)
    return blocks


def shell_commands(text: str) -> list[str]:
    """The commands of a shell block: lines joined across trailing backslashes, no comments."""
    commands: list[str] = []
    current = ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line + "\n"
        if not line.endswith("\\"):
            commands.append(current.rstrip("\n"))
            current = ""
    if current:
        commands.append(current.rstrip("\n"))
    return commands


class Shell:
    """A bash process that commands are pasted into one at a time, keeping its state."""

    def __init__(self, cwd: Path, scripts: Path, env: dict[str, str]) -> None:
        self.scripts = scripts
        self.count = 0
        self.last_ids: dict[str, str] = {}
        self.proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, command: str, timeout: float = 300) -> tuple[int, str]:
        """Run one command (stdin from /dev/null, as nothing is typed); its status and output.

        Ids the output shows (``ws_…``, ``sb_…``, ``ck_…``) are remembered, the last of each kind.
        """
        assert self.proc.stdin is not None
        self.count += 1
        script = self.scripts / f"command-{self.count}.sh"
        script.write_text(command + "\n", encoding="utf-8")
        marker = f"__readme_command_{self.count}_status__"
        self.proc.stdin.write(
            f"source {shlex.quote(str(script))} </dev/null; printf '\\n{marker} %s\\n' \"$?\"\n"
        )
        self.proc.stdin.flush()
        output: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"no end within {timeout}s of: {command}\n{''.join(output)}"
                ) from None
            if line is None:
                raise AssertionError(f"the shell exited during: {command}\n{''.join(output)}")
            if line.startswith(marker):
                text = "".join(output)
                for found in IDS.finditer(text):
                    self.last_ids[found.group(1)] = found.group(0)
                return int(line.split()[1]), text
            output.append(line)

    def value(self, name: str) -> str:
        """The value of a shell variable."""
        status, output = self.run(f'printf "%s\\n" "${{{name}:-}}"')
        assert status == 0, output
        return output.strip()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
