from __future__ import annotations

from dataclasses import replace

import pytest

from simulator.app import VENDORS, build_pipeline
from simulator.core.spec import Spec, SpecError, bind, specs_dir
from simulator.settings import Settings


def test_every_spec_operation_is_bound() -> None:
    pipeline = build_pipeline(Settings())
    bound = {b.operation.operation_id for r in pipeline.router.routes for b in r.by_method.values()}
    for name in ["admin.yaml", *(plugin.spec_file for plugin in VENDORS)]:
        assert set(Spec.load(specs_dir() / name).by_id) <= bound


def test_missing_handler_fails_at_start_up() -> None:
    plugin = VENDORS[0]
    handlers = dict(plugin.handlers)
    handlers.pop(next(iter(handlers)))
    with pytest.raises(SpecError, match="no handler for operation"):
        build_pipeline(Settings(), (replace(plugin, handlers=handlers),))


def test_stray_handler_fails_at_start_up() -> None:
    spec = Spec.load(specs_dir() / "admin.yaml")
    handlers = {op: (lambda call: call) for op in spec.by_id} | {"noSuchOperation": lambda call: call}
    with pytest.raises(SpecError, match="unknown operation"):
        bind(spec, handlers)


def test_operations_are_indexed_with_parameters_and_responses() -> None:
    spec = Spec.load(specs_dir() / "prevail.yaml")
    op = spec.by_id["listSessionRequests"]
    assert (op.method, op.path) == ("GET", "/api/v1/session_requests")
    assert {p.name for p in op.parameters} == {"start_time", "end_time", "page", "items"}
    assert op.response_schema(200, "application/json")[0]
    assert op.security == (("bearerAuth",), ("jwtPayloadQuery",))
