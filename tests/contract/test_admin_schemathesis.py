"""schemathesis in-process against specs/admin.yaml, all default checks and phases."""

from __future__ import annotations

from typing import Any

import schemathesis

from simulator.app import create_app
from simulator.core.spec import specs_dir
from tests.support import make_settings

schema = schemathesis.openapi.from_path(specs_dir() / "admin.yaml")
schema.app = create_app(make_settings(clock_frozen=False))


@schema.parametrize()
def test_admin_conforms(case: Any) -> None:
    case.call_and_validate()


TestAdminWorkflows = schema.as_state_machine().TestCase
