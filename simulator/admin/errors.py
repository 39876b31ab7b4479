"""Error body of the admin API: ``{"error": {"code", "message", "violations"?}}``."""

from __future__ import annotations

from typing import Any

from simulator.core.dispatch import Reply
from simulator.core.errors import SimulatorError


class AdminErrors:
    def render(self, error: SimulatorError) -> Reply:
        status = 400 if error.status == 422 else error.status
        detail: dict[str, Any] = {"code": error.code, "message": error.message}
        if error.violations:
            detail["violations"] = [v.as_dict() for v in error.violations]
        return Reply({"error": detail}, status=status, headers=dict(error.headers))
