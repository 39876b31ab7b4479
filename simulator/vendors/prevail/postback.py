"""Prevail's postback: ``POST {"jwt_payload": JWT}``, the JWT signed HS256 with the organisation's API key.

The session request's scheduling posts the claims (``{"sessions": [...]}``) and the key as data; the
body is built here when each attempt is sent, with ``iat`` and ``exp`` (a day later) from the clock
tokens are judged by, so a retry carries a token that is valid when it arrives. A fault rule may ask
for a tampered one (see :func:`simulator.core.webhook_faults.signed_jwt`); ``extra_keys`` adds
``sim_extra`` to the claims and to every session, keys the page does not promise.
"""

from __future__ import annotations

from typing import Any

import orjson

from simulator.core.webhook_faults import SignedClaims, signed_jwt, with_extra_keys

EVENT = "session_scheduled"  # the webhook's name, as fault rules match it
TOKEN_TTL = 86400  # a postback's JWT stays verifiable for a day after it is sent


def claims(sessions: list[dict[str, Any]], api_key: str) -> SignedClaims:
    """What a postback carries, as data: its sessions and the organisation's key that signs them."""
    return SignedClaims({"sessions": sessions}, api_key)


def build(payload: SignedClaims, tamper: str | None, now: float) -> bytes:
    """The body of one attempt."""
    data = dict(payload.claims)
    if tamper == "extra_keys":
        data = with_extra_keys({**data, "sessions": [with_extra_keys(session) for session in data["sessions"]]})
    return orjson.dumps({"jwt_payload": signed_jwt(data, payload.key, tamper, now, TOKEN_TTL)})
