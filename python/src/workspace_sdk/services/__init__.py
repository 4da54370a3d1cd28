"""One module per area of the API (``workspace`` today); each has a sync and an async service."""
