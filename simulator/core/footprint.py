"""An estimate of the memory a namespace holds on its own, cheap enough to answer on every request.

Seeded records are shared, read-only, by every namespace with the same seed (a write stores a changed
copy), so a namespace's own memory is not the size of everything it can answer with. Counted here:

- ``records``: per vendor, the namespace's own tables (its dicts and lists of records: every
  namespace has its own even when the records in them are shared), plus the records that nothing
  but this namespace holds (the ones it created or changed). A record also held by the seeded
  baseline, or by a copied namespace, is not counted: deleting this namespace would not free it.
- ``journal``: the entries of its request journal;
- ``pending``: timed effects and webhook deliveries waiting to be sent.

Bounded work: about :data:`SAMPLE` items of a table (spread over it), the journal or a queue are
measured and the rest extrapolated from them, so the Python work does not grow with the namespace. Sizes are
``sys.getsizeof`` of an object and of its fields one level down (strings, numbers, small containers):
an estimate within tens of percent, not an exact heap walk. "Held by nothing else" is read from
CPython's reference counts, calibrated on this interpreter when the module loads.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable
from typing import Any

SAMPLE = 64  # items measured per table, journal or queue; the rest are estimated from them
_ATOMS = (str, bytes, int, float, bool, type(None))


def object_bytes(value: Any) -> int:
    """``value`` and its fields one level down (the fields' own contents are counted shallowly)."""
    size = sys.getsizeof(value)
    if isinstance(value, _ATOMS):
        return size
    if isinstance(value, dict):
        return size + sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in itertools.islice(value.items(), SAMPLE))
    if isinstance(value, list | tuple | set | frozenset):
        return size + sum(sys.getsizeof(item) for item in itertools.islice(value, SAMPLE))
    fields = getattr(value, "__dict__", None)
    if fields is not None:
        size += sys.getsizeof(fields)
        values: Iterable[Any] = fields.values()
    else:
        values = (getattr(value, name) for name in getattr(type(value), "__slots__", ()) if hasattr(value, name))
    return size + sum(sys.getsizeof(field) for field in values)


def _refs_held_by_one(value: Any) -> int:
    return sys.getrefcount(value)


def _calibrate() -> int:
    """The reference count :func:`_refs_held_by_one` sees for a value only one table holds."""
    table = {1: object()}
    for value in table.values():
        return _refs_held_by_one(value)
    raise AssertionError("unreachable")


_ALONE = _calibrate()


def _values(container: dict[Any, Any] | list[Any]) -> Iterable[Any]:
    return container.values() if isinstance(container, dict) else container


def table_bytes(container: dict[Any, Any] | list[Any]) -> int:
    """The table itself, and (estimated from a sample) the records in it that only it holds."""
    size = sys.getsizeof(container)
    count = len(container)
    if not count:
        return size
    measured, own = 0, 0
    # Strided, so records added lately (at the end of their table) are sampled as often as seeded ones;
    # the stride is walked in C, a few milliseconds for the largest table.
    for value in itertools.islice(_values(container), 0, None, max(1, count // SAMPLE)):
        measured += 1
        # numbers are small (and small ints shared by the interpreter): only records are worth counting
        if _refs_held_by_one(value) <= _ALONE and not isinstance(value, int | float | bool):
            own += object_bytes(value)
    return size + own * count // measured


def backend_bytes(backend: Any) -> int:
    """A vendor backend's own tables (its dict and list attributes) and its own records."""
    fields = getattr(backend, "__dict__", {})
    return sum(table_bytes(value) for value in fields.values() if isinstance(value, dict | list))


def sampled_bytes(items: Iterable[Any], count: int) -> int:
    """``count`` items, estimated from the first :data:`SAMPLE` of ``items``."""
    measured, size = 0, 0
    for item in itertools.islice(items, SAMPLE):
        measured += 1
        size += object_bytes(item)
    return size * count // measured if measured else 0
