"""The SSE parser and the process events read from it, chunk boundaries included."""

from __future__ import annotations

import time

import pytest

from workspace_sdk import ProcessEvent, WorkspaceError
from workspace_sdk._sse import ProcessEventReader, ServerSentEvent, SSEParser, process_event


def parse(*chunks: bytes) -> list[ServerSentEvent]:
    parser = SSEParser()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events += parser.feed(chunk)
    return events + parser.close()


def bytewise(data: bytes) -> list[ServerSentEvent]:
    return parse(*(data[i : i + 1] for i in range(len(data))))


STREAM = b'id: 1\nevent: stdout\ndata: {"data":"hi"}\n\n'


def test_basic_event() -> None:
    assert parse(STREAM) == [ServerSentEvent("stdout", '{"data":"hi"}', "1")]


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_line_endings(eol: bytes) -> None:
    data = STREAM.replace(b"\n", eol) * 2
    expected = [ServerSentEvent("stdout", '{"data":"hi"}', "1")] * 2
    assert parse(data) == expected
    assert bytewise(data) == expected  # a CRLF split across chunks is one line end


def test_crlf_split_at_chunk_boundary_is_not_an_empty_line() -> None:
    events = parse(b"data: a\r", b"\ndata: b\r\n\r\n")
    assert events == [ServerSentEvent("message", "a\nb")]


def test_multi_line_data_comments_and_unknown_fields() -> None:
    data = b": keep-alive\ndata: one\nfoo: bar\ndata:two\ndata\ndata:  three\n\n"
    assert parse(data) == [ServerSentEvent("message", "one\ntwo\n\n three")]


def test_comment_only_and_data_less_events_are_not_dispatched() -> None:
    assert parse(b": ping\n\n", b"event: stdout\n\n", b"id: 4\n\n") == []


def test_last_event_id_carries_over_and_nul_ids_are_ignored() -> None:
    data = b"id: 7\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\nid\ndata: d\n\n"
    assert [(e.data, e.id) for e in parse(data)] == [("a", "7"), ("b", "7"), ("c", "7"), ("d", "")]


def test_retry_and_field_without_space() -> None:
    events = parse(b"retry: 1500\nevent:exit\ndata:{}\n\nretry: soon\ndata: x\n\n")
    assert [(e.event, e.retry) for e in events] == [("exit", 1500), ("message", 1500)]


def test_incomplete_event_at_end_is_dropped() -> None:
    assert parse(b"data: whole\n\ndata: half\n") == [ServerSentEvent("message", "whole")]
    assert parse(b"data: whole\n\ndata: half") == [ServerSentEvent("message", "whole")]


def test_trailing_cr_at_end_of_stream_ends_the_line() -> None:
    assert parse(b"data: a\r\r") == [ServerSentEvent("message", "a")]


def test_utf8_split_across_chunks_and_bom() -> None:
    data = "\ufeffdata: héllo ✓\n\n".encode()
    assert bytewise(data) == [ServerSentEvent("message", "héllo ✓")]
    assert parse(b"\xef\xbb", b"\xbfdata: x\n\n") == [ServerSentEvent("message", "x")]


def test_invalid_utf8_is_replaced() -> None:
    assert parse(b"data: \xff\n\n") == [ServerSentEvent("message", "\ufffd")]


E = ServerSentEvent


@pytest.mark.parametrize(
    ("sse", "expected"),
    [
        (E("start", '{"pid": 42}', "1"), ProcessEvent("start", pid=42, id="1")),
        (E("stdout", '{"data": "a\\nb"}', "2"), ProcessEvent("stdout", "a\nb", id="2")),
        (E("stderr", '{"data": "e", "dropped": 10}'), ProcessEvent("stderr", "e", dropped=10)),
        (E("exit", '{"code": 7, "timed_out": false}'), ProcessEvent("exit", code=7)),
        (E("exit", '{"code": null, "timed_out": true}'), ProcessEvent("exit", timed_out=True)),
        (E("error", '{"message": "agent gone"}'), ProcessEvent("error", message="agent gone")),
        (E("message", '{"type": "stdout", "data": "x"}'), ProcessEvent("stdout", "x")),
        (E("stdout", "plain text"), ProcessEvent("stdout", "plain text")),
        (E("stdout", '"a string"'), ProcessEvent("stdout", '"a string"')),
        (E("future", '{"data": 1, "code": "x", "pid": true}'), ProcessEvent("future")),
    ],
)
def test_process_event(sse: ServerSentEvent, expected: ProcessEvent) -> None:
    assert process_event(sse) == expected


def test_reader_stops_after_exit() -> None:
    reader = ProcessEventReader("x")
    events = reader.feed(b'event: start\ndata: {"pid": 3}\n\nevent: exit\ndata: {"code": 0}\n\n')
    assert [e.type for e in events] == ["start", "exit"]
    assert reader.done
    assert reader.feed(b'event: stdout\ndata: {"data": "late"}\n\n') == []
    reader.finish()


def test_reader_reports_a_stream_that_breaks_off() -> None:
    reader = ProcessEventReader("'sleep' in sandbox sb1")
    reader.feed(
        b'id: 1\nevent: start\ndata: {"pid": 3}\n\nid: 2\nevent: stdout\ndata: {"data": "a"}\n\n'
    )
    assert reader.close() == []
    with pytest.raises(WorkspaceError) as info:
        reader.finish()
    assert info.value.code == 9001
    assert info.value.details == {"pid": 3, "last_event_id": "2"}
    assert "(pid 3)" in info.value.message and "after='2'" in info.value.message


def test_reader_refuses_other_content_types() -> None:
    ProcessEventReader.check("text/event-stream; charset=utf-8", "x")
    with pytest.raises(WorkspaceError) as info:
        ProcessEventReader.check("application/json", "x")
    assert info.value.code == 9003


def test_a_long_line_in_many_chunks_is_joined_once() -> None:
    payload = "x" * (16 * 1024 * 1024)
    data = f'event: stdout\ndata: {{"data": "{payload}"}}\n\n'.encode()
    parser = SSEParser()
    started = time.monotonic()
    events = []
    for i in range(0, len(data), 65536):
        events += parser.feed(data[i : i + 65536])
    assert time.monotonic() - started < 5
    assert len(events) == 1 and len(events[0].data) == len(payload) + 12


def test_lone_cr_then_a_chunk_without_line_end() -> None:
    assert parse(b"data: a\r", b"\rdata: b", b"\n\n") == [
        ServerSentEvent("message", "a"),
        ServerSentEvent("message", "b"),
    ]
