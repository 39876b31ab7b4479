"""The admin token: when the server has one, the admin API asks every caller for it.

A simulator reachable from other hosts (a container on ``0.0.0.0``) must not let anyone who reaches
the port reset namespaces, move clocks or read the journal. Operations marked ``x-sim-open`` in the
spec (the health check, signed downloads that carry their own signature) stay open.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from simulator.core.auth import bearer_token
from simulator.core.errors import Unauthorized

HEADER = "x-sim-admin-token"


@dataclass(frozen=True)
class AdminGuard:
    token: str | None = None

    def check(self, headers: Mapping[str, str]) -> None:
        if self.token is None:
            return
        presented = headers.get(HEADER) or bearer_token(headers.get("authorization"))
        if not presented:
            raise Unauthorized("This simulator's admin API needs its admin token: send 'X-Sim-Admin-Token: <token>' "
                               "(or 'Authorization: Bearer <token>'); it was printed when the server started",
                               "admin_token_required")
        if not hmac.compare_digest(presented.encode("utf-8", "replace"), self.token.encode()):
            raise Unauthorized("The admin token does not match the one this simulator was started with",
                               "admin_token_invalid")
