from __future__ import annotations

import base64

import jwt
import pytest

from simulator.core.auth import bearer_token, sign_hs256, verify_hs256
from simulator.core.errors import Unauthorized

KEYS = {"acme": "key-acme"}


def _key(claims: dict[str, object]) -> str | None:
    slug = claims.get("slug")
    return KEYS.get(slug) if isinstance(slug, str) else None


def _verify(token: str, now: float = 1000) -> dict[str, object]:
    return verify_hs256(token, _key, now, require=("slug",))


def test_valid_token_returns_its_claims() -> None:
    assert _verify(sign_hs256({"slug": "acme", "exp": 2000}, "key-acme"))["slug"] == "acme"


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("abc", "three dot-separated"),
        ("a.b.c", "Malformed"),
        (sign_hs256({"slug": "acme", "exp": 2000}, "other-key"), "signature"),
        (sign_hs256({"slug": "acme", "exp": 999}, "key-acme"), "expired"),
        (sign_hs256({"slug": "acme"}, "key-acme"), "'exp'"),
        (sign_hs256({"exp": 2000}, "key-acme"), "'slug'"),
        (sign_hs256({"slug": "nobody", "exp": 2000}, "key-acme"), "unknown tenant"),
        (jwt.encode({"slug": "acme", "exp": 2000}, "key-acme", algorithm="HS512"), "HS512"),
    ],
    ids=["not-jwt", "bad-base64", "wrong-key", "expired", "no-exp", "no-slug", "unknown-slug", "hs512"],
)
def test_bad_tokens_are_refused_with_a_reason(token: str, words: str) -> None:
    with pytest.raises(Unauthorized) as refused:
        _verify(token)
    assert words in refused.value.message


def test_alg_none_is_refused() -> None:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = part(b'{"alg":"none","typ":"JWT"}')
    payload = part(b'{"slug":"acme","exp":2000}')
    token = f"{header}.{payload}."
    with pytest.raises(Unauthorized) as refused:
        _verify(token)
    assert "'none'" in refused.value.message


def test_expiry_is_judged_on_the_given_clock_not_the_wall() -> None:
    token = sign_hs256({"slug": "acme", "exp": 10}, "key-acme")  # long expired on the wall clock
    assert _verify(token, now=5)["exp"] == 10


def test_bearer_header_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None
