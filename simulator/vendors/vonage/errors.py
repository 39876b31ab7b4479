"""Vonage Insights error body. The page shows none; the simulator answers ``{"detail": "<message>"}``
(plus ``errors: [{field, rule, message}]`` for requests that break the spec). Invalid parameters are
401, as the page says, including those the spec itself rejects."""

from __future__ import annotations

from typing import Any

from simulator.core.dispatch import Reply
from simulator.core.errors import SimulatorError


class InvalidParameter(SimulatorError):
    """Vonage answers invalid parameters (dates, ranges, filters) with 401."""

    def __init__(self, message: str):
        super().__init__(message, 401, "invalid_parameter")


class VonageErrors:
    def render(self, error: SimulatorError) -> Reply:
        body: dict[str, Any] = {"detail": error.message}
        if error.violations:
            body["errors"] = [v.as_dict() for v in error.violations]
        status = 401 if error.status == 422 else error.status
        return Reply(body, status=status, headers=dict(error.headers))
