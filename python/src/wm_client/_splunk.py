"""``SplunkWorkspace``: a workspace whose sandbox runs Splunk, and searches through it.

Why credentials on the client: seed-000's helper took ``SPLUNK_USERNAME`` /
``SPLUNK_PASSWORD`` from the caller's environment. Here they are checked before anything
is created (a clear error naming what is missing) and given to the sandbox it creates, in
its environment: the Splunk inside is set up with them and the server's search, run inside
the sandbox, authenticates with them (the sandbox's own environment wins over the server's
defaults for the kind). They are never kept on this object, printed in a repr or put in an
error; handles show ``SPLUNK_PASSWORD`` as ``<redacted>``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from workspace_sdk import ConfigurationError

from . import _calls as calls
from ._client import WorkspaceManagerClient
from ._handle import WorkspaceHandle

SPLUNK_KIND = "splunk"
CREDENTIAL_VARIABLES = ("SPLUNK_USERNAME", "SPLUNK_PASSWORD")


def splunk_credentials(
    username: str | None = None,
    password: str | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """``{"SPLUNK_USERNAME": ..., "SPLUNK_PASSWORD": ...}``: argument, else environment.

    Raises ``ConfigurationError`` naming every missing variable (never a value).
    """
    environ = os.environ if env is None else env
    given = {"SPLUNK_USERNAME": username, "SPLUNK_PASSWORD": password}
    found: dict[str, str] = {}
    for variable in CREDENTIAL_VARIABLES:
        value = given[variable]
        if value is None:
            value = environ.get(variable, "")
        if not isinstance(value, str):
            raise ConfigurationError(f"{variable} must be a string")
        if value.strip():
            found[variable] = value
    missing = [variable for variable in CREDENTIAL_VARIABLES if variable not in found]
    if missing:
        raise ConfigurationError(
            f"SplunkWorkspace needs Splunk credentials: set {' and '.join(missing)} in the "
            "environment (or pass username= / password=)",
            details={"missing": missing},
        )
    return found


class SplunkWorkspace:
    """A workspace of application kind ``splunk``; ``search(query)`` returns result dicts.

    ``SplunkWorkspace(handle)`` wraps a handle whose sandbox is of kind ``splunk``;
    ``SplunkWorkspace(client)`` (or no argument: a client from the environment) creates one,
    passing ``image``, ``cpu``, ``mem``, ``env``, ``name``, ``wait_ready`` and ``timeout`` on to
    ``create_workspace``. Either way ``SPLUNK_USERNAME`` / ``SPLUNK_PASSWORD`` (or
    ``username=`` / ``password=``) must be set. Other attributes (``id``, ``exec``, ``delete``,
    ...) are the handle's; as a context manager it deletes the workspace on exit.
    """

    def __init__(
        self,
        source: WorkspaceHandle | WorkspaceManagerClient | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
        image: str | None = None,
        cpu: str | float | None = None,
        mem: str | int | None = None,
        env: dict[str, str] | None = None,
        name: str | None = None,
        wait_ready: bool = True,
        timeout: float | None = None,
    ) -> None:
        credentials = splunk_credentials(username, password)
        if isinstance(source, WorkspaceHandle):
            kind = source.application_kind
            if source.sandbox_id is None or kind != SPLUNK_KIND:
                raise ValueError(
                    f"workspace {source.id} has no sandbox of application kind {SPLUNK_KIND!r} "
                    f"(its primary sandbox is of kind {kind!r})"
                )
            self.handle = source
            return
        client = source if source is not None else WorkspaceManagerClient()
        self.handle = client.create_workspace(
            image=image,
            application_kind=SPLUNK_KIND,
            cpu=cpu,
            mem=mem,
            env={**(env or {}), **credentials},
            name=name,
            wait_ready=wait_ready,
            timeout=timeout,
        )

    def search(self, query: str, *, timeout: float | None = None) -> list[dict[str, Any]]:
        """Run ``query`` (SPL; ``search`` is prepended unless it starts with it or ``|``).

        Runs inside the sandbox against its Splunk; ``timeout`` in seconds, 1 to 3600 (server
        default 60). Returns the ``result`` object of every line Splunk's export streamed.
        """
        sandbox_id = self.handle._require_sandbox("run a Splunk search")
        return self.handle._client._http.call(calls.splunk_search(sandbox_id, query, timeout))

    def __getattr__(self, name: str) -> Any:
        if name == "handle":  # not set yet: __init__ failed part-way
            raise AttributeError(name)
        return getattr(self.handle, name)

    def __enter__(self) -> SplunkWorkspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.handle.delete()

    def __repr__(self) -> str:
        return f"SplunkWorkspace(id={self.handle.id!r}, sandbox_id={self.handle.sandbox_id!r})"
