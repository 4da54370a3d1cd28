"""Server-sent events: a small incremental parser, and process events read from it.

Why our own parser: the process output routes answer ``text/event-stream`` and httpx
has no SSE support. This follows the WHATWG event-stream rules that matter here: lines
end in LF, CRLF or a lone CR (even when a chunk boundary splits a CRLF); ``data:`` lines
join with newlines; lines starting with ``:`` are comments (keep-alives); ``id:`` sets
the last event id, which every later event carries; one space after the colon is
dropped; an event is dispatched at a blank line and only when it has data, so a
half-received event at the end of a stream is discarded. Bytes are decoded as UTF-8
incrementally, so a character split across chunks survives.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass

from .errors import CLIENT_BAD_RESPONSE, CLIENT_NETWORK_ERROR, WorkspaceError
from .models import ProcessEvent

TERMINAL_TYPES = frozenset({"exit", "error"})


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event: its type (``message`` if unnamed), data, and last event id."""

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None


class SSEParser:
    """Feed it byte chunks; it returns the events each chunk completes."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending: list[str] = []  # the unfinished line, in pieces (see ``_parse``)
        self._started = False
        self._event = ""
        self._data: list[str] = []
        self._last_id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Parse ``chunk``; return the events it completes, in order."""
        return self._parse(self._decoder.decode(chunk), final=False)

    def close(self) -> list[ServerSentEvent]:
        """End of stream: finish the last line; an event without its blank line is dropped."""
        return self._parse(self._decoder.decode(b"", final=True), final=True)

    def _parse(self, text: str, final: bool) -> list[ServerSentEvent]:
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        pending_cr = bool(self._pending) and self._pending[-1].endswith("\r")
        if not final and not pending_cr and "\n" not in text and "\r" not in text:
            self._pending.append(text)  # a long line in many chunks: join it once, at its end
            return []
        buffer = "".join(self._pending) + text
        events: list[ServerSentEvent] = []
        start = 0
        size = len(buffer)
        while start < size:
            cr, lf = buffer.find("\r", start), buffer.find("\n", start)
            if cr == -1 and lf == -1:
                break
            end = lf if cr == -1 or (lf != -1 and lf < cr) else cr
            if buffer[end] == "\r" and end + 1 == size and not final:
                break  # a CRLF may be split across chunks: wait for the next one
            line = buffer[start:end]
            start = end + 2 if buffer.startswith("\r\n", end) else end + 1
            event = self._line(line)
            if event is not None:
                events.append(event)
        self._pending = [buffer[start:]] if start < size and not final else []
        return events

    def _line(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        event, data = self._event, self._data
        self._event, self._data = "", []
        if not data:
            return None
        return ServerSentEvent(event or "message", "\n".join(data), self._last_id, self._retry)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def process_event(sse: ServerSentEvent) -> ProcessEvent:
    """Read one process event: the SSE event name is its type, the data a JSON object.

    Tolerant: an unnamed event takes its type from a ``type`` field of the JSON, and data
    that is not a JSON object is taken as the text of the event.
    """
    try:
        payload = json.loads(sse.data)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        payload = {"data": sse.data}
    kind = sse.event
    if kind == "message" and isinstance(payload.get("type"), str):
        kind = payload["type"]
    data, message = payload.get("data"), payload.get("message")
    return ProcessEvent(
        type=kind,
        data=data if isinstance(data, str) else "",
        code=_int(payload.get("code")),
        message=message if isinstance(message, str) else None,
        pid=_int(payload.get("pid")),
        timed_out=payload.get("timed_out") is True,
        dropped=_int(payload.get("dropped")),
        id=sse.id,
    )


class ProcessEventReader:
    """Turns the chunks of one event stream into ``ProcessEvent`` s, up to ``exit``/``error``.

    Why a class: the sync and async services read their streams differently but share
    this, so where a stream stops, and the error when it breaks off early, are the same.
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self.done = False
        self._parser = SSEParser()
        self._last_id: str | None = None
        self._pid: int | None = None

    @staticmethod
    def check(content_type: str, what: str) -> None:
        """Refuse a successful reply that is not an event stream (code 9003)."""
        if not content_type.lower().startswith("text/event-stream"):
            raise WorkspaceError(
                CLIENT_BAD_RESPONSE,
                f"{what} answered {content_type or 'no content type'} instead of an event stream",
            )

    def feed(self, chunk: bytes) -> list[ProcessEvent]:
        """The events ``chunk`` completes; none after the terminal one."""
        return self._take(self._parser.feed(chunk))

    def close(self) -> list[ProcessEvent]:
        """The end of the body: the events its last bytes complete."""
        return self._take(self._parser.close())

    def finish(self) -> None:
        """After ``close``: raise (code 9001) if the stream broke off before the process ended."""
        if self.done:
            return
        where = f" (pid {self._pid})" if self._pid is not None else ""
        resume = f", after={self._last_id!r}" if self._last_id is not None else ""
        raise WorkspaceError(
            CLIENT_NETWORK_ERROR,
            f"the event stream of {self.what}{where} ended before the process exited; "
            f"attach(sandbox_id, pid{resume}) resumes it",
            {"pid": self._pid, "last_event_id": self._last_id},
        )

    def _take(self, raw: list[ServerSentEvent]) -> list[ProcessEvent]:
        events: list[ProcessEvent] = []
        for sse in raw:
            if self.done:
                break
            event = process_event(sse)
            self._last_id = event.id if event.id is not None else self._last_id
            if event.pid is not None and self._pid is None:
                self._pid = event.pid
            events.append(event)
            self.done = event.type in TERMINAL_TYPES
        return events
