"""Seeded baselines kept between runs, so a fresh process does not import Faker and draw them again.

A vendor's seeded baseline (the records every namespace of a seed shares) costs a fresh process
~100 ms to draw (importing Faker, building it, drawing records) and Vonage's ~500 ms more (analysing
a thousand conversations). Read back as plain data with :mod:`marshal` it costs a few milliseconds.

An entry is named by a hash of everything the baseline derives from: the vendor, the seed, the
vendor's fixtures section (canonical JSON), this format's version, the Python, marshal and Faker
versions, and the source files that shape the seeded data (the vendor's package and the core modules
it names), so editing any of them makes a new entry and a stale one is never read. The entry repeats
its own key and is checked for it; the vendor's ``from_data`` rebuilds typed records from the plain
data and rejects a wrong shape. Entries live in the ``baselines`` folder of
:mod:`simulator.core.cachedir` (``SIMULATOR_CACHE_DIR=off`` turns them off); an entry that cannot be
read or written is ignored and the baseline is drawn as before.

marshal (not pickle) because it rebuilds plain data only and never runs code from the file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.util
import json
import marshal
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from simulator.core.cachedir import cache_dir, store
from simulator.core.rand import SeededSource

T = TypeVar("T")
FORMAT = 1  # bump when the shape of an entry changes
_CORE = Path(__file__).resolve().parent
SEEDING_CORE = (_CORE / "rand.py",)  # the core modules every seeded draw goes through
_VERSION = re.compile(rb'^VERSION\s*=\s*"([^"]+)"', re.MULTILINE)


def cached(vendor: str, source: SeededSource, fixtures: Mapping[str, Any], sources: Iterable[Path],
           draw: Callable[[], T], to_data: Callable[[T], Any], from_data: Callable[[Any], T]) -> T:
    """The baseline ``draw()`` gives from ``source`` and ``fixtures``: read back from the cache when it
    was drawn before from the same inputs, else drawn and stored. ``to_data`` / ``from_data`` turn it
    into marshal-able plain data (dicts, lists, tuples, str, bytes, numbers) and back."""
    folder = cache_dir("baselines")
    key = None if folder is None else entry_key(f"{vendor}:{source.scope}", source.seed, fixtures, sources)
    if folder is None or key is None:
        return draw()
    entry = folder / f"{vendor}-{key}.marshal"
    found = _read(entry, key, from_data)
    if found is not None:
        return found
    drawn = draw()
    with contextlib.suppress(ValueError, TypeError):  # a value marshal cannot hold: draw it every time
        store(entry, marshal.dumps((FORMAT, key, to_data(drawn))))
    return drawn


def entry_key(vendor: str, seed: int, fixtures: Mapping[str, Any], sources: Iterable[Path]) -> str | None:
    """The hash naming a baseline's entry (None: the fixtures are not JSON, so no entry)."""
    try:
        section = json.dumps(fixtures, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    digest = hashlib.sha256()
    for part in (f"format{FORMAT}", vendor, str(seed), section, _runtime(), sources_digest(tuple(sources))):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


@cache
def sources_digest(paths: tuple[Path, ...]) -> str:
    """A hash of these files' bytes (read once per process)."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def package_sources(package_file: str) -> tuple[Path, ...]:
    """The Python files of the package holding ``package_file`` (pass a vendor module's ``__file__``),
    and the core modules every draw goes through."""
    return (*sorted(Path(package_file).resolve().parent.glob("*.py")), *SEEDING_CORE)


@cache
def _runtime() -> str:
    return f"py{sys.version_info[0]}.{sys.version_info[1]}-marshal{marshal.version}-faker{faker_version()}"


def faker_version() -> str:
    """Faker's version, read from its package without importing it (importing Faker costs ~70 ms)."""
    spec = importlib.util.find_spec("faker")
    if spec is None or spec.origin is None:
        return "none"
    text = Path(spec.origin).read_bytes()
    found = _VERSION.search(text)
    return found.group(1).decode() if found else hashlib.sha256(text).hexdigest()[:16]


def fields_of(record: Any) -> dict[str, Any]:
    """A dataclass record's fields as a dict (shallow; fields named with "_" are caches and left out)."""
    kind: type = type(record)
    return {name: getattr(record, name) for name in _names(kind)}


def record_from(kind: type[T], fields: Mapping[str, Any]) -> T:
    """The record ``kind`` holding ``fields`` (TypeError when they are not its fields)."""
    if type(fields) is not dict:
        raise TypeError(f"{kind.__name__}: expected a dict of fields")
    return kind(**fields)


@cache
def _names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind) if f.init and not f.name.startswith("_"))


def _read(entry: Path, key: str, from_data: Callable[[Any], T]) -> T | None:
    try:
        loaded = marshal.loads(entry.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not (type(loaded) is tuple and len(loaded) == 3 and loaded[0] == FORMAT and loaded[1] == key):
        return None
    try:
        return from_data(loaded[2])
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return None  # not the shape this code writes: draw it again (and overwrite it)
