"""Credential checks that return a principal: HS256 JWTs judged at a :class:`TokenTime`, API keys.

The vendor decides which claim names the tenant and where the secret comes from; this module only
knows JWT and key mechanics, and explains every rejection in words a developer can act on.

Tokens are judged by the wall clock unless a namespace asks for its own clock: clients mint ``exp``
from wall time, so moving a namespace clock a day on must not expire every client's token, while a
test that wants to expire tokens by moving the clock can still ask for it.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import orjson

from simulator.core.errors import Unauthorized

TOKEN_CLOCKS = ("wall", "namespace")
LEEWAY = 5  # seconds of clock skew allowed on 'nbf' and 'iat' (a token minted a moment ahead of us)


class TokenTime(NamedTuple):
    """The instant a token is judged at and the clock that gave it (named in every refusal about time).

    A tuple, not a dataclass: one is made per authenticated request.
    """

    now: float
    clock: str  # one of TOKEN_CLOCKS


def _jwt() -> Any:
    """pyjwt, imported on first use (it pulls in cryptography: keep it off the start-up path).

    Vendors' keys are whatever the tenant chose; pyjwt's short-key advice is not ours to give.
    """
    import warnings

    import jwt

    warnings.filterwarnings("ignore", message="The HMAC key is")
    return jwt


def _b64_json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


@functools.lru_cache(maxsize=4096)
def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a compact JWT, without checking the signature (to find the key).

    Clients send the same token over and over; parsing and signature checks are cached per token
    (failures are not), while expiry is judged on every request against the namespace clock.
    """
    segments = token.split(".")
    if len(segments) != 3:
        raise Unauthorized("Malformed token: a JWT has three dot-separated segments", "invalid_token")
    try:
        header, claims = _b64_json(segments[0]), _b64_json(segments[1])
    except (ValueError, binascii.Error, UnicodeEncodeError, orjson.JSONDecodeError) as error:
        raise Unauthorized(f"Malformed token: {error}", "invalid_token") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise Unauthorized("Malformed token: header and payload must be JSON objects", "invalid_token")
    return header, claims


def verify_hs256(
    token: str,
    key_for: Callable[[dict[str, Any]], str | None],
    at: TokenTime,
    require: tuple[str, ...] = (),
    require_exp: bool = True,
) -> dict[str, Any]:
    """Verify an HS256 JWT at ``at``. ``key_for`` maps the unverified claims to the tenant's secret."""
    header, claims = unverified_parts(token)
    algorithm = header.get("alg")
    if algorithm != "HS256":
        raise Unauthorized(f"Unsupported token algorithm {algorithm!r}: only HS256 is accepted", "invalid_token")
    for name in require:
        if name not in claims:
            raise Unauthorized(f"Token payload has no {name!r} claim", "invalid_token")
    secret = key_for(claims)
    if secret is None:
        raise Unauthorized("Token names an unknown tenant", "invalid_token")
    verified = _verified(token, secret)
    if verified.expiry is None and require_exp:
        raise Unauthorized("Token payload has no 'exp' claim", "invalid_token")
    _judge_times(verified, at)
    return verified.claims


class _Verified(NamedTuple):
    """A token whose signature matched, with its time claims read once (judged on every request)."""

    claims: dict[str, Any]
    expiry: float | None
    not_before: float | None
    issued: float | None


def _epoch_claim(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise Unauthorized(f"Token {name!r} claim must be a number of epoch seconds", "invalid_token")
    return float(value)


def _judge_times(verified: _Verified, at: TokenTime) -> None:
    """``exp`` (strict), ``nbf`` and ``iat`` (with :data:`LEEWAY`), each judged at ``at``."""
    expiry, not_before, issued = verified.expiry, verified.not_before, verified.issued
    now = at.now
    if expiry is not None and expiry <= now:
        raise Unauthorized(f"Token expired {int(now - expiry)} s ago by the {at.clock} clock (exp {int(expiry)}, "
                           f"now {int(now)})", "token_expired")
    if not_before is not None and not_before > now + LEEWAY:
        raise Unauthorized(f"Token not valid yet: 'nbf' is {int(not_before - now)} s ahead by the {at.clock} clock "
                           f"(nbf {int(not_before)}, now {int(now)}; {LEEWAY} s leeway)", "token_not_yet_valid")
    if issued is not None and issued > now + LEEWAY:
        raise Unauthorized(f"Token issued in the future: 'iat' is {int(issued - now)} s ahead by the {at.clock} "
                           f"clock (iat {int(issued)}, now {int(now)}; {LEEWAY} s leeway)", "token_issued_in_future")


@functools.lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> _Verified:
    """The signature check and the time claims' types, once per token and key (failures are not kept)."""
    claims = _verified_claims(token, secret)
    return _Verified(claims, _epoch_claim(claims, "exp"), _epoch_claim(claims, "nbf"), _epoch_claim(claims, "iat"))


def _verified_claims(token: str, secret: str) -> dict[str, Any]:
    jwt = _jwt()
    try:
        verified: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False},
        )
    except jwt.InvalidSignatureError:
        raise Unauthorized("Token signature does not match the tenant's key", "invalid_signature") from None
    except jwt.InvalidTokenError as error:
        raise Unauthorized(f"Malformed token: {error}", "invalid_token") from None
    return verified


def sign_hs256(claims: Mapping[str, Any], secret: str) -> str:
    token: str = _jwt().encode(dict(claims), secret, algorithm="HS256")
    return token


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None when absent or another scheme."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
