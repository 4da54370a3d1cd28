"""JSON <-> dataclass conversion, tolerant of fields this version does not know.

Why tolerant: the server may grow new response fields at any time; an old client
must keep working, so unknown keys are dropped. A missing required field is a
broken response and raises ``WorkspaceError`` code 9003 rather than a TypeError.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, TypeVar

from .errors import CLIENT_BAD_RESPONSE, WorkspaceError

T = TypeVar("T")


def from_json(cls: type[T], data: object) -> T:
    """Build dataclass ``cls`` from a decoded JSON object, ignoring unknown keys."""
    if not isinstance(data, dict):
        raise WorkspaceError(
            CLIENT_BAD_RESPONSE, f"expected a JSON object for {cls.__name__}, got {data!r:.200}"
        )
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    known = {f.name for f in fields}
    kwargs = {key: value for key, value in data.items() if key in known}
    missing = [
        f.name
        for f in fields
        if f.name not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise WorkspaceError(
            CLIENT_BAD_RESPONSE, f"{cls.__name__} in the response lacks {', '.join(missing)}"
        )
    hints = typing.get_type_hints(cls)
    for key, value in kwargs.items():
        kwargs[key] = _nested(hints.get(key), value)
    return cls(**kwargs)


def _nested(hint: object, value: object) -> object:
    """``value`` read as ``hint`` where that is a dataclass (or a list of one, or optional)."""
    if isinstance(value, dict) and isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return from_json(hint, value)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in args if arg is not type(None)]
        return _nested(inner[0], value) if len(inner) == 1 else value
    if origin is list and args and isinstance(value, list):
        return [_nested(args[0], item) for item in value]
    if origin is dict and len(args) == 2 and isinstance(value, dict):
        return {key: _nested(args[1], item) for key, item in value.items()}
    return value


def list_from_json(cls: type[T], data: object, key: str) -> list[T]:
    """Read ``{key: [object, ...]}`` into a list of ``cls``."""
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise WorkspaceError(CLIENT_BAD_RESPONSE, f"expected {{{key!r}: [...]}} in the response")
    return [from_json(cls, item) for item in items]


def to_json(params: object) -> dict[str, Any]:
    """Dataclass -> request body, leaving out fields that are None (the server's default).

    A field holding a dataclass (``network``), or a dict of them (``secrets``), becomes
    nested objects the same way.
    """
    return {
        f.name: _to_json_value(value)
        for f in dataclasses.fields(params)  # type: ignore[arg-type]
        if (value := getattr(params, f.name)) is not None
    }


def _to_json_value(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(value)
    if isinstance(value, dict):
        return {key: _to_json_value(item) for key, item in value.items()}
    return value
