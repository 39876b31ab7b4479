"""Cloudflare's v4 error envelope: ``{"success": false, "errors": [{code, message}], "messages": [],
"result": null}``.

Codes follow Cloudflare where its API has one (10000 authentication, 7003 no route for the path,
971 throttled); otherwise the code is the HTTP status. Every broken rule of a request is its own
error, with the rule's JSON pointer in ``source.pointer``.
"""

from __future__ import annotations

from typing import Any

from simulator.core.dispatch import Reply
from simulator.core.errors import SimulatorError

AUTHENTICATION = 10000
NO_ROUTE = 7003
THROTTLED = 971


def _code(error: SimulatorError) -> int:
    if error.status in (401, 403):
        return AUTHENTICATION
    if error.status == 429:
        return THROTTLED
    if error.code == "not_found" and error.message.startswith("No operation matches"):
        return NO_ROUTE
    return error.status


class RealtimeKitErrors:
    def render(self, error: SimulatorError) -> Reply:
        code = _code(error)
        if error.violations:
            errors: list[dict[str, Any]] = [
                {"code": code, "message": f"{v.field}: {v.message}", "source": {"pointer": v.rule}}
                for v in error.violations
            ]
        else:
            errors = [{"code": code, "message": error.message}]
        body = {"success": False, "errors": errors, "messages": [], "result": None}
        return Reply(body, status=error.status, headers=dict(error.headers))
