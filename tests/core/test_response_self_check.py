from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx

from simulator.app import create_app
from simulator.core.dispatch import Call, Reply
from simulator.testing.server import ThreadedServer
from tests.support import make_settings, prevail_token


def _break_list_sessions(app: object) -> None:
    """Swap the handler of listSessions for one whose answer breaks the spec (pagy.items is 0)."""
    for route in app.state.pipeline.router.routes:  # type: ignore[attr-defined]
        binding = route.by_method.get("GET")
        if binding is not None and binding.operation.operation_id == "listSessions":
            def broken(call: Call[Any]) -> Reply:
                return Reply({"pagy": {"page": 1, "items": 0, "count": 0, "pages": 1}, "sessions": []})

            route.by_method["GET"] = replace(binding, handler=broken)


def test_a_response_breaking_the_spec_becomes_a_500_naming_the_rule() -> None:
    app = create_app(make_settings(validate_responses=True))
    _break_list_sessions(app)
    with ThreadedServer(app) as server:
        answer = httpx.get(f"{server.url}/api/v1/sessions", headers={"Authorization": f"Bearer {prevail_token()}"})
        assert answer.status_code == 500  # in Prevail's own error shape, naming each broken rule
        assert answer.json()["error"] == "The simulator produced a response that breaks its own spec"
        [problem] = answer.json()["errors"]
        assert problem["rule"] == "#/components/schemas/Pagy/properties/items/minimum"
        assert problem["field"] == "response.pagy.items"
        [entry] = httpx.get(f"{server.url}/_sim/journal", params={"operation": "listSessions"}).json()["entries"]
        assert entry["status"] == 500 and entry["response_violations"][0]["rule"] == problem["rule"]


def test_without_self_checks_the_response_goes_out_as_built() -> None:
    app = create_app(make_settings(validate_responses=False))
    _break_list_sessions(app)
    with ThreadedServer(app) as server:
        answer = httpx.get(f"{server.url}/api/v1/sessions", headers={"Authorization": f"Bearer {prevail_token()}"})
        assert answer.status_code == 200 and answer.json()["pagy"]["items"] == 0
