"""A registry with one made-up vendor, ``notes``, whose single timed effect writes a note down."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core.effects import EffectTable
from simulator.core.signing import Signer
from simulator.core.store import Registry, StoreConfig, VendorContext

START = 1_000_000.0


class NotesBackend:
    def __init__(self, ctx: VendorContext):
        self.ctx = ctx
        self.notes: list[Any] = []


def write_note(backend: NotesBackend, args: Mapping[str, Any]) -> None:
    backend.notes.append(args["text"])


def notes_registry() -> Registry:
    config = StoreConfig(seed=1, fixtures={}, options={}, clock_start=START, clock_frozen=True, journal_size=100,
                         max_namespaces=10, effects=EffectTable({"notes": {"write": write_note}}))
    return Registry(config, {"notes": NotesBackend}, Signer(b"notes" * 8))
