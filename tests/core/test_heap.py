"""Seeded state is kept out of the collector's walks, and eviction still frees its cycles."""

from __future__ import annotations

import gc
import weakref

import pytest

from simulator.core import heap


class Node:
    def __init__(self) -> None:
        self.partner: Node | None = None


def _cycle() -> Node:
    first, second = Node(), Node()
    first.partner, second.partner = second, first
    return first


def test_long_lived_state_is_frozen_and_collection_comes_back_on() -> None:
    before = gc.get_freeze_count()
    built = heap.build_long_lived(lambda: [_cycle() for _ in range(100)])
    assert gc.isenabled()
    assert gc.get_freeze_count() >= before + 200  # the nodes are no longer walked by collections
    assert len(built) == 100


def test_collection_is_back_on_even_when_building_fails() -> None:
    def broken() -> None:
        raise ValueError("bad fixtures")

    with pytest.raises(ValueError, match="bad fixtures"):
        heap.build_long_lived(broken)
    assert gc.isenabled()


def test_a_full_collection_frees_cycles_of_dropped_frozen_state() -> None:
    node = heap.build_long_lived(_cycle)
    alive = weakref.ref(node)
    del node
    heap.release()
    assert alive() is not None  # frozen: the cheap release does not walk it
    heap.collect_everything()
    assert alive() is None
