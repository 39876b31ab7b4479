"""statedoc.dump / load directly, as the --state-dir store uses them (no HTTP)."""

from __future__ import annotations

import orjson
import pytest

from simulator.admin.state import catalog
from simulator.app import build_pipeline
from simulator.core import statedoc
from simulator.core.faultrules import parse_rule
from simulator.core.records import StateError
from tests.admin.notes_vendor import WITH_NOTES, NotesBackend
from tests.support import make_settings


def test_load_gives_back_what_dump_gave_and_a_refused_document_changes_nothing() -> None:
    registry = build_pipeline(make_settings(), WITH_NOTES).registry
    source, target = registry.get("a"), registry.get("b")
    backend: NotesBackend = source.state("notes")
    backend.put("n1", {"text": "x", "ttl": 60})
    source.clock.advance(5)
    document = orjson.loads(orjson.dumps(statedoc.dump(source)))
    statedoc.load(target, document, catalog(registry))
    assert statedoc.dump(target) == document
    before = statedoc.dump(target)
    broken = {**document, "vendors": {"notes": {"notes": {"_x": "reserved"}}}}
    with pytest.raises(StateError, match="/vendors/notes/notes/_x"):
        statedoc.load(target, broken, catalog(registry))
    assert statedoc.dump(target) == before


def test_fault_rules_need_the_servers_catalog() -> None:
    registry = build_pipeline(make_settings(), WITH_NOTES).registry
    source = registry.get("a")
    source.fault_plan().add(parse_rule({"effect": {"status": 429}, "match": {"vendor": "koreai"}},
                                       registry.catalog, registry.webhooks))
    with pytest.raises(StateError, match="/faults/rules/0"):
        statedoc.load(registry.get("b"), statedoc.dump(source))
