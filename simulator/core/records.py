"""Records as plain data: how a vendor's state becomes one JSON document and back.

Every vendor keeps its records in tables (table name -> record key -> record). A vendor's
:class:`RecordCodec` turns its backend into ``{table: {key: JSON value}}`` and builds a backend back
from such a document, rebuilding what is derived (indexes, rendered views, caches) instead of saving
it. The namespace document (:mod:`simulator.core.statedoc`), the ``--state-dir`` store (a row per
record) and the plugin's ``save_state`` / ``load_state`` all go through these codecs.

:func:`to_data` and :func:`from_data` convert dataclass records by their type hints, so a vendor's
codec is mostly a list of its tables.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, Union

if TYPE_CHECKING:
    from simulator.core.store import VendorContext

T = TypeVar("T")
Tables = dict[str, dict[str, Any]]  # table name -> record key -> JSON-able record
_SCALARS = (str, int, float, bool, type(None))
_SCALAR_TYPES = frozenset(_SCALARS)


class StateError(Exception):
    """A state document the schema admits but the vendor's rules refuse; the message names the record."""


class RecordCodec(Protocol):
    """How one vendor's records become data and back (``VendorPlugin.records``)."""

    @property
    def schema(self) -> Mapping[str, Any]:
        """JSON Schema of :meth:`dump`'s result (``{table: {key: record}}``)."""
        ...

    def dump(self, backend: Any) -> Tables:
        """Every record of ``backend`` as JSON-able data: table name -> record key (a string) -> record."""
        ...

    def load(self, ctx: VendorContext, tables: Mapping[str, Mapping[str, Any]]) -> Any:
        """A backend holding exactly these records, its derived structures rebuilt.

        Raises :class:`StateError` naming the record when the data breaks a rule the schema cannot
        express (a session of an unknown organisation). Loading what :meth:`dump` gave answers every
        read byte for byte as the dumped backend did.
        """
        ...


def to_data(value: Any) -> Any:
    """A dataclass (or list / dict / scalar of them) as JSON-able data; tuples become lists."""
    # Exact types first: --state-dir dumps a vendor's every record on each write, so this is hot.
    kind: type = type(value)
    if kind in _SCALAR_TYPES:
        return value
    names = _record_names(kind)
    if names is not None:
        return {name: to_data(getattr(value, name)) for name in names}
    if kind is dict:
        return {str(key): to_data(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [to_data(item) for item in value]
    return _general_data(value)


def _general_data(value: Any) -> Any:
    if isinstance(value, _SCALARS):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in _fields(type(value))}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [to_data(item) for item in items]
    if isinstance(value, Mapping):
        return {str(key): to_data(item) for key, item in value.items()}
    raise TypeError(f"{type(value).__name__} is not record data")


def from_data(kind: type[T], data: Any) -> T:
    """The dataclass ``kind`` rebuilt from :func:`to_data`'s output, by its fields' type hints."""
    return typing.cast(T, _convert(kind, data, kind.__name__))


@cache
def _record_names(kind: type) -> tuple[str, ...] | None:
    """The saved fields of a dataclass type; None for any other type."""
    return tuple(f.name for f in _fields(kind)) if dataclasses.is_dataclass(kind) else None


@cache
def _fields(kind: type) -> tuple[dataclasses.Field[Any], ...]:
    # Fields starting with "_" are caches (rendered views): derived, never saved.
    return tuple(f for f in dataclasses.fields(kind) if not f.name.startswith("_") and f.init)


@cache
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _convert(hint: Any, data: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if hint is Any:
        return data
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if data is None and type(None) in options:
            return None
        for option in options:
            if option is not type(None):
                return _convert(option, data, where)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(data, Mapping):
            raise StateError(f"{where}: expected an object")
        hints = _hints(hint)
        values = {f.name: _convert(hints[f.name], data[f.name], f"{where}.{f.name}")
                  for f in _fields(hint) if f.name in data}
        try:
            return hint(**values)
        except TypeError as error:
            raise StateError(f"{where}: {error}") from None
    if origin in (list, tuple, set, frozenset):
        args = typing.get_args(hint)
        item = args[0] if args else Any
        items = [_convert(item, value, f"{where}[{index}]") for index, value in enumerate(data)]
        return origin(items)
    if origin in (dict, Mapping) or hint is dict:
        args = typing.get_args(hint)
        key_kind, item = args if args else (str, Any)
        return {(int(key) if key_kind is int else key): _convert(item, value, f"{where}.{key}")
                for key, value in data.items()}
    if hint is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    return data
