"""One module per area of the API (workspace, sandbox, process); each has a sync and an async
service built over one module of ``Call`` builders (``_<area>_calls``)."""
