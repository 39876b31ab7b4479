"""schemathesis in-process against specs/prevail.yaml: examples, coverage, fuzzing and stateful phases
with every default check. Each run has its own app, so fuzzed admin calls cannot disturb it."""

from __future__ import annotations

from typing import Any

import schemathesis

from simulator.app import create_app
from simulator.core.spec import specs_dir
from tests.support import make_settings, prevail_token

# The self-service organisation, so a created request has its session (and links resolve) at once.
TOKEN = prevail_token("brightline-reporting")
HEADERS = {"Authorization": f"Bearer {TOKEN}"}

schema = schemathesis.openapi.from_path(specs_dir() / "prevail.yaml")
schema.app = create_app(make_settings(clock_frozen=False))


@schema.parametrize()
def test_prevail_conforms(case: Any) -> None:
    case.call_and_validate(headers=HEADERS)


class PrevailWorkflows(schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        # Each workflow starts from the seeded baseline, so generation never depends on earlier runs.
        schema.app.state.registry.clear()

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        return {"headers": HEADERS}


TestPrevailWorkflows = PrevailWorkflows.TestCase
