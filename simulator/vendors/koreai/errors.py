"""Kore.ai's error body. The page shows none; the simulator answers as the Kore.ai platform's public
APIs do: ``{"errors": [{"msg": "<message>", "code": <HTTP status>}]}``. Invalid input is 400 with one
entry per violated rule, each also naming the request ``field`` and the spec ``rule``."""

from __future__ import annotations

from typing import Any

from simulator.core.dispatch import Reply
from simulator.core.errors import SimulatorError


class KoreaiErrors:
    def render(self, error: SimulatorError) -> Reply:
        status = 400 if error.status == 422 else error.status
        entries: list[dict[str, Any]]
        if error.violations:
            entries = [{"msg": f"{v.field}: {v.message}", "code": status, "field": v.field, "rule": v.rule}
                       for v in error.violations]
        else:
            entries = [{"msg": error.message, "code": status}]
        return Reply({"errors": entries}, status=status, headers=dict(error.headers))
