"""schemathesis in-process against specs/admin.yaml, all default checks and phases."""

from __future__ import annotations

from typing import Any

import schemathesis

from simulator.app import create_app
from simulator.core.spec import specs_dir
from tests.support import make_settings

# The journal stream ends only when its client goes, which an in-process call never does: it is
# checked against the spec in tests/admin/test_journal_stream.py instead.
schema = schemathesis.openapi.from_path(specs_dir() / "admin.yaml").exclude(operation_id="streamJournal")
schema.app = create_app(make_settings(clock_frozen=False))


@schema.parametrize()
def test_admin_conforms(case: Any) -> None:
    case.call_and_validate()


class AdminWorkflows(schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        # Each workflow starts from a fresh server state, so generation never depends on earlier runs.
        schema.app.state.registry.clear()


TestAdminWorkflows = AdminWorkflows.TestCase
