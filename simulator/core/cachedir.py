"""Where the simulator keeps what it derives from its own files between runs (parsed specs, bytecode).

``SIMULATOR_CACHE_DIR`` (default ``$XDG_CACHE_HOME`` or ``~/.cache``, under ``vendor-api-simulator``)
moves the cache; ``SIMULATOR_CACHE_DIR=off`` turns every cache off. Every entry is named or checked
by a hash of what it was derived from, so a stale entry is never used.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

CACHE_ENV = "SIMULATOR_CACHE_DIR"


def cache_dir(kind: str) -> Path | None:
    """The folder for one kind of cached entry, or None when caching is off."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return None if configured.lower() == "off" else Path(configured) / kind
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vendor-api-simulator" / kind


def store(entry: Path, data: bytes) -> None:
    """Write atomically (a reader never sees half a file); give up quietly if the folder is not writable."""
    with contextlib.suppress(OSError):
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=f".{entry.stem}-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, entry)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
