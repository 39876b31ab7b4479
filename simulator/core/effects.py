"""Timed effects as data: what a vendor wants done later, named, with its arguments and due time.

An :class:`Effect` holds no code and no object references, only the vendor, the effect's name and
JSON-like arguments that identify records by id. When it comes due, the namespace looks its name up
in the vendor's table (``VendorPlugin.effects``: name -> ``handler(backend, args)``) and calls the
handler with that namespace's backend for the vendor. Because effects are plain data, a snapshot of a
namespace keeps them, and a restored copy fires them on its own records.

The tables are checked when the server starts (:class:`EffectTable`), and the queue refuses an
effect whose vendor or name no table declares the moment it is pushed, not when it would fire.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

EffectHandler = Callable[[Any, Mapping[str, Any]], None]  # (the vendor's backend, the effect's args)
EFFECT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")  # whole name: matched with fullmatch
_SCALARS = (str, int, float, bool, type(None))


class EffectError(Exception):
    """An effect table or an effect that does not fit together: a programming error, found early."""


def _frozen(value: Any, where: str) -> Any:
    """A read-only copy of JSON-like data; anything else (an object, a function) is refused."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, list | tuple):
        return tuple(_frozen(item, f"{where}[{index}]") for index, item in enumerate(value))
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise EffectError(f"{where}: keys must be strings")
        return MappingProxyType({key: _frozen(item, f"{where}.{key}") for key, item in value.items()})
    raise EffectError(f"{where}: {type(value).__name__} is not data; identify records by id")


@dataclass(frozen=True)
class Effect:
    """Something ``vendor`` does to its own records at ``due`` (namespace clock), by name."""

    vendor: str
    name: str
    args: Mapping[str, Any] = field(hash=False)
    due: float
    label: str  # what the admin API lists as pending

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", _frozen(dict(self.args), f"effect {self.vendor}.{self.name} args"))


class EffectRunner(Protocol):
    def check(self, effect: Effect) -> None:
        """Raise :class:`EffectError` unless ``effect`` can run here."""

    def run(self, effect: Effect) -> None:
        """Do what ``effect`` names."""


class EffectTable:
    """vendor -> effect name -> handler, as the vendors declare them; checked at start-up."""

    def __init__(self, tables: Mapping[str, Mapping[str, EffectHandler]] | None = None):
        self._tables: dict[str, dict[str, EffectHandler]] = {}
        for vendor, table in (tables or {}).items():
            for name, handler in table.items():
                if not isinstance(name, str) or not EFFECT_NAME.fullmatch(name):
                    raise EffectError(f"{vendor}: effect name {name!r} is not a lower-case identifier")
                if not callable(handler):
                    raise EffectError(f"{vendor}: effect {name} has no handler function")
            self._tables[vendor] = dict(table)

    def check(self, effect: Effect) -> None:
        table = self._tables.get(effect.vendor)
        if table is None:
            raise EffectError(f"no effect table for vendor {effect.vendor!r}")
        if effect.name not in table:
            raise EffectError(f"vendor {effect.vendor!r} declares no effect {effect.name!r} "
                              f"(it declares {sorted(table) or 'none'})")

    def handler(self, effect: Effect) -> EffectHandler:
        self.check(effect)
        return self._tables[effect.vendor][effect.name]

    def bind(self, backend_of: Callable[[str], Any]) -> BoundEffects:
        """The runner of one namespace: handlers get that namespace's backend of their vendor."""
        return BoundEffects(self, backend_of)


class BoundEffects:
    def __init__(self, table: EffectTable, backend_of: Callable[[str], Any]):
        self._table = table
        self._backend_of = backend_of

    def check(self, effect: Effect) -> None:
        self._table.check(effect)

    def run(self, effect: Effect) -> None:
        self._table.handler(effect)(self._backend_of(effect.vendor), effect.args)


class NoEffects:
    """A queue that only carries attached sources (webhook deliveries) accepts no effect."""

    def check(self, effect: Effect) -> None:
        raise EffectError(f"this queue runs no effects ({effect.vendor}.{effect.name})")

    def run(self, effect: Effect) -> None:
        self.check(effect)
