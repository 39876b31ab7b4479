from __future__ import annotations

import base64

import jwt
import pytest

from simulator.core.auth import LEEWAY, TokenTime, bearer_token, sign_hs256, verify_hs256
from simulator.core.errors import Unauthorized

KEYS = {"acme": "key-acme"}


def _key(claims: dict[str, object]) -> str | None:
    slug = claims.get("slug")
    return KEYS.get(slug) if isinstance(slug, str) else None


def _verify(token: str, now: float = 1000, clock: str = "namespace") -> dict[str, object]:
    return verify_hs256(token, _key, TokenTime(now, clock), require=("slug",))


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


def test_expiry_names_the_clock_and_how_long_ago() -> None:
    token = sign_hs256({"slug": "acme", "exp": 1000}, "key-acme")
    with pytest.raises(Unauthorized) as refused:
        _verify(token, now=2234, clock="wall")
    assert refused.value.code == "token_expired"
    assert "expired 1234 s ago by the wall clock" in refused.value.message


@pytest.mark.parametrize(("claim", "code"), [("nbf", "token_not_yet_valid"), ("iat", "token_issued_in_future")])
def test_nbf_and_iat_in_the_future_are_refused_naming_the_claim(claim: str, code: str) -> None:
    ahead = sign_hs256({"slug": "acme", "exp": 2000, claim: 1060}, "key-acme")
    with pytest.raises(Unauthorized) as refused:
        _verify(ahead, now=1000)
    assert refused.value.code == code and refused.value.status == 401
    assert f"'{claim}' is 60 s ahead by the namespace clock" in refused.value.message
    assert _verify(ahead, now=1060)["slug"] == "acme"


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_nbf_and_iat_allow_a_little_clock_skew(claim: str) -> None:
    assert _verify(sign_hs256({"slug": "acme", "exp": 2000, claim: 1000 + LEEWAY}, "key-acme"))["slug"] == "acme"
    with pytest.raises(Unauthorized):
        _verify(sign_hs256({"slug": "acme", "exp": 2000, claim: 1000 + LEEWAY + 1}, "key-acme"))


@pytest.mark.parametrize("claim", ["nbf", "iat", "exp"])
def test_time_claims_must_be_numbers(claim: str) -> None:
    with pytest.raises(Unauthorized, match=f"'{claim}' claim must be a number"):
        _verify(sign_hs256({"slug": "acme", "exp": 2000, claim: "soon"}, "key-acme"))


def test_bearer_header_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None
