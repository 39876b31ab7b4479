"""schemathesis in-process against specs/realtimekit.yaml: examples, coverage, fuzzing and stateful phases
with every default check. Each run has its own app, so nothing else disturbs its namespace."""

from __future__ import annotations

from typing import Any

import schemathesis

from simulator.app import create_app
from simulator.core.spec import specs_dir
from tests.support import make_settings
from tests.vendors.realtimekit.helpers import NORTHWIND, NORTHWIND_TOKEN, WEBINARS

HEADERS = {"Authorization": f"Bearer {NORTHWIND_TOKEN}"}

# Random identifiers only ever reach 403/404; most calls use the seeded account and app instead, so the
# generated sessions, participants and peers behind the links are real ones.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({
    "dictionaries": {"accounts": {"values": [NORTHWIND]}, "apps": {"values": [WEBINARS]}},
    "parameters": {
        "path.account_id": {"dictionary": "accounts", "probability": 0.8},
        "path.app_id": {"dictionary": "apps", "probability": 0.8},
    },
})
schema = schemathesis.openapi.from_path(specs_dir() / "realtimekit.yaml", config=CONFIG)
schema.app = create_app(make_settings(clock_frozen=False))


@schema.parametrize()
def test_realtimekit_conforms(case: Any) -> None:
    case.call_and_validate(headers=HEADERS)


class RealtimeKitWorkflows(schema.as_state_machine()):  # type: ignore[misc]
    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        return {"headers": HEADERS}


TestRealtimeKitWorkflows = RealtimeKitWorkflows.TestCase
