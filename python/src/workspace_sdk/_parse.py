"""JSON <-> dataclass conversion, tolerant of fields this version does not know.

Why tolerant: the server may grow new response fields at any time; an old client
must keep working, so unknown keys are dropped. A missing required field is a
broken response and raises ``WorkspaceError`` code 9003 rather than a TypeError.
"""

from __future__ import annotations

import dataclasses
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
    return cls(**kwargs)


def list_from_json(cls: type[T], data: object, key: str) -> list[T]:
    """Read ``{key: [object, ...]}`` into a list of ``cls``."""
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise WorkspaceError(CLIENT_BAD_RESPONSE, f"expected {{{key!r}: [...]}} in the response")
    return [from_json(cls, item) for item in items]


def to_json(params: object) -> dict[str, Any]:
    """Dataclass -> request body, leaving out fields that are None (the server's default)."""
    return {
        f.name: getattr(params, f.name)
        for f in dataclasses.fields(params)  # type: ignore[arg-type]
        if getattr(params, f.name) is not None
    }
