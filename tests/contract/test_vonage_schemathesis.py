"""schemathesis in-process against specs/vonage-insights.yaml: examples, coverage, fuzzing and stateful
phases with every default check. The clock starts on 2020-09-17, so the spec's example dates (003's
2020-09-15 .. 2020-09-17) find seeded sessions and the links from a search reach real ones."""

from __future__ import annotations

from typing import Any

import schemathesis

from simulator.app import create_app
from simulator.core.clock import parse_instant
from simulator.core.spec import specs_dir
from tests.support import make_settings
from tests.vendors.vonage.helpers import US

HEADERS = {"X-Vgai-Key": US["api_key"]}

schema = schemathesis.openapi.from_path(specs_dir() / "vonage-insights.yaml")
schema.app = create_app(make_settings(clock_frozen=False,
                                      clock_start=parse_instant("2020-09-17T12:00:00Z").timestamp()))


@schema.parametrize()
def test_vonage_conforms(case: Any) -> None:
    case.call_and_validate(headers=HEADERS)


class VonageWorkflows(schema.as_state_machine()):  # type: ignore[misc]
    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        return {"headers": HEADERS}


TestVonageWorkflows = VonageWorkflows.TestCase
