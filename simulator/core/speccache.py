"""Parsed spec documents kept between runs, so start-up does not parse the same YAML again.

Building the Python objects of the five specs from YAML takes ~35 ms of every start; reading them
back with :mod:`marshal` takes ~1 ms. A cached document is named by a hash of the spec's bytes (and
of the Python and PyYAML versions), so an edited spec is simply a new entry and a stale one can
never be read. The cache lives in the ``specs`` folder of :mod:`simulator.core.cachedir`
(``SIMULATOR_CACHE_DIR=off`` turns it off). A cache that cannot be read or written is ignored: the
spec is parsed as before.

marshal (not pickle) because it rebuilds plain data only and never runs code from the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from simulator.core.cachedir import cache_dir, store

_FORMAT = f"py{sys.version_info[0]}.{sys.version_info[1]}-marshal{marshal.version}-pyyaml{yaml.__version__}"


def load_document(path: Path, parse: Callable[[str], Any]) -> Any:
    """The document in ``path``: from the cache when this exact text was parsed before, else ``parse(text)``."""
    raw = path.read_bytes()
    folder = cache_dir("specs")
    if folder is None:
        return parse(raw.decode("utf-8"))
    digest = hashlib.sha256(_FORMAT.encode() + b"\0" + raw).hexdigest()[:32]
    entry = folder / f"{path.stem}-{digest}.marshal"
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
        return marshal.loads(entry.read_bytes())
    document = parse(raw.decode("utf-8"))
    _store(entry, document)
    return document


def _store(entry: Path, document: Any) -> None:
    with contextlib.suppress(ValueError):  # a value marshal cannot hold (a YAML date, say): parse it every time
        store(entry, marshal.dumps(document))
