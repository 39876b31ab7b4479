"""The error a ``--state-dir`` that cannot be used raises; apart so the CLI can catch it without SQLite."""

from __future__ import annotations


class StoreError(Exception):
    """The state directory cannot be used; the message is one line naming the file and the reason."""
