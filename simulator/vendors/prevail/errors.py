"""Prevail's error body. The pages show none; the simulator answers as a Rails API does:
``{"error": "<message>"}``, plus ``"errors": [{field, rule, message}]`` for invalid input."""

from __future__ import annotations

from typing import Any

from simulator.core.dispatch import Reply
from simulator.core.errors import SimulatorError


class PrevailErrors:
    def render(self, error: SimulatorError) -> Reply:
        body: dict[str, Any] = {"error": error.message}
        if error.violations:
            body["errors"] = [v.as_dict() for v in error.violations]
        headers = dict(error.headers)
        if error.status == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="prevail"')
        return Reply(body, status=error.status, headers=headers)
