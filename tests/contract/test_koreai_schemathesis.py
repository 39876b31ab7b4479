"""schemathesis in-process against specs/koreai.yaml: examples, coverage, fuzzing and stateful phases
with every default check. The spec's examples name a development bot and its hand-picked call, so
the examples phase fetches real recordings (and the stateful phase deletes them)."""

from __future__ import annotations

from typing import Any

import schemathesis

from simulator.app import create_app
from simulator.core.spec import specs_dir
from tests.support import make_settings
from tests.vendors.koreai.helpers import koreai_token

TOKEN = koreai_token()

schema = schemathesis.openapi.from_path(specs_dir() / "koreai.yaml")
schema.app = create_app(make_settings(clock_frozen=False))


# Registered as the schema's auth (not as fixed headers) so that schemathesis leaves the `auth` header
# out of the cases where it removes it on purpose, and then expects the 401.
@schema.auth()
class DevelopmentToken:
    def get(self, case: Any, context: Any) -> str:
        return TOKEN

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "auth": data}


@schema.parametrize()
def test_koreai_conforms(case: Any) -> None:
    case.call_and_validate()


TestKoreaiWorkflows = schema.as_state_machine().TestCase
