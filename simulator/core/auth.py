"""Credential checks that return a principal: HS256 JWTs verified on the namespace clock, API keys.

The vendor decides which claim names the tenant and where the secret comes from; this module only
knows JWT and key mechanics, and explains every rejection in words a developer can act on.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from simulator.core.errors import Unauthorized


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
    now: float,
    require: tuple[str, ...] = (),
    require_exp: bool = True,
) -> dict[str, Any]:
    """Verify an HS256 JWT. ``key_for`` maps the unverified claims to the tenant's secret."""
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
    verified = _verified_claims(token, secret)
    expiry = verified.get("exp")
    if expiry is None:
        if require_exp:
            raise Unauthorized("Token payload has no 'exp' claim", "invalid_token")
    elif not isinstance(expiry, int | float) or isinstance(expiry, bool):
        raise Unauthorized("Token 'exp' claim must be a number of epoch seconds", "invalid_token")
    elif expiry <= now:
        raise Unauthorized(f"Token expired at {int(expiry)} (now {int(now)})", "token_expired")
    return verified


@functools.lru_cache(maxsize=4096)
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
