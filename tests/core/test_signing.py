from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from simulator.core.signing import S3_MAX_EXPIRES, Signer, UrlRejected, s3_error_xml, s3_ttl

SIGNER = Signer(b"secret")
PATH = "/a/b.mp4"
SIGNED_AT = 1_000_000


def _s3(path: str = PATH, signed_at: float = SIGNED_AT, ttl: int = 60, namespace: str = "n1") -> list[tuple[str, str]]:
    return parse_qsl(SIGNER.s3_query(path, namespace, signed_at, ttl))


def _refused_s3(items: list[tuple[str, str]], now: float = SIGNED_AT, namespace: str = "n1",
                path: str = PATH) -> UrlRejected:
    with pytest.raises(UrlRejected) as refused:
        SIGNER.verify_s3(path, namespace, items, now)
    assert refused.value.status == 403 and len(refused.value.message) < 400
    return refused.value


def _replace(items: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    return [(k, value if k == name else v) for k, v in items]


def test_s3_url_is_valid_from_its_date_until_its_expiry() -> None:
    query = _s3(ttl=86400)
    SIGNER.verify_s3(PATH, "n1", query, SIGNED_AT)
    SIGNER.verify_s3(PATH, "n1", query, SIGNED_AT + 86399)
    expired = _refused_s3(query, now=SIGNED_AT + 86400)
    assert expired.code == "AccessDenied" and expired.message == "Request has expired"


def test_s3_url_is_refused_before_its_date() -> None:
    early = _refused_s3(_s3(ttl=86400), now=SIGNED_AT - 3600)
    assert early.code == "AccessDenied" and "Request is not valid yet" in early.message and "3600 s" in early.message


def test_s3_url_names_its_namespace_in_the_credential() -> None:
    query = dict(_s3(namespace="n1"))
    assert query["X-Amz-Credential"].startswith("SIM/n1/") and query["X-Amz-Credential"].endswith("/aws4_request")
    assert set(query) == {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                          "X-Amz-SignedHeaders", "X-Amz-Signature"}


def test_s3_url_used_in_another_namespace_says_so() -> None:
    refused = _refused_s3(_s3(namespace="n1"), namespace="default")
    assert refused.code == "AccessDenied" and "'n1'" in refused.message and "'default'" in refused.message


@pytest.mark.parametrize("field", ["X-Amz-Signature", "X-Amz-Expires", "X-Amz-Date", "X-Amz-SignedHeaders"])
def test_s3_tampering_is_detected(field: str) -> None:
    query = _s3()
    value = dict(query)[field].rstrip("Z")  # the date keeps its format: only its last digit changes
    tampered = value[:-1] + ("0" if value[-1] != "0" else "1") + ("Z" if field == "X-Amz-Date" else "")
    changed = _replace(query, field, tampered)
    assert _refused_s3(changed).code == "SignatureDoesNotMatch"


def test_s3_credential_of_another_namespace_does_not_match() -> None:
    query = _s3(namespace="n1")
    forged = _replace(query, "X-Amz-Credential", dict(query)["X-Amz-Credential"].replace("SIM/n1/", "SIM/n2/"))
    assert _refused_s3(forged, namespace="n2").code == "SignatureDoesNotMatch"


def test_s3_algorithm_is_signed_and_must_be_aws4() -> None:
    refused = _refused_s3(_replace(_s3(), "X-Amz-Algorithm", "NONE"))
    assert refused.code == "AuthorizationQueryParametersError" and "AWS4-HMAC-SHA256" in refused.message


def test_s3_added_missing_or_repeated_parameters_are_refused() -> None:
    query = _s3()
    assert _refused_s3([*query, ("response-content-type", "text/html")]).code == "SignatureDoesNotMatch"
    for name in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature"):
        missing = _refused_s3([(k, v) for k, v in query if k != name])
        assert missing.code == "AuthorizationQueryParametersError" and name in missing.message
    repeated = _refused_s3([*query, ("X-Amz-Signature", dict(query)["X-Amz-Signature"])])
    assert repeated.code == "AuthorizationQueryParametersError" and "more than once" in repeated.message


def test_s3_other_path_or_junk_is_rejected() -> None:
    query = _s3()
    assert _refused_s3(query, path="/a/c.mp4").code == "SignatureDoesNotMatch"
    assert _refused_s3([]).code == "AccessDenied"
    assert _refused_s3(_replace(query, "X-Amz-Signature", "é")).code == "SignatureDoesNotMatch"
    assert _refused_s3(_replace(query, "X-Amz-Date", "yesterday")).code == "AuthorizationQueryParametersError"
    assert _refused_s3(_replace(query, "X-Amz-Credential", "x")).code == "AuthorizationQueryParametersError"


def test_s3_expires_over_a_week_is_refused_and_never_issued() -> None:
    too_long = _refused_s3(_replace(_s3(), "X-Amz-Expires", str(S3_MAX_EXPIRES + 1)))
    assert too_long.code == "AuthorizationQueryParametersError" and "604800" in too_long.message
    assert dict(_s3(ttl=30 * 86400))["X-Amz-Expires"] == str(S3_MAX_EXPIRES)
    assert s3_ttl(30 * 86400) == S3_MAX_EXPIRES and s3_ttl(60) == 60


def test_a_huge_value_is_quoted_as_an_excerpt() -> None:
    refused = _refused_s3(_replace(_s3(), "X-Amz-Algorithm", "A" * 65536))
    assert "more characters" in refused.message


def _ens(namespace: str = "n1", expires: int = 2000) -> list[tuple[str, str]]:
    return parse_qsl(SIGNER.ens_query("/m.wav", namespace, expires, "12345"))


def test_expiry_nonce_signature_style() -> None:
    query = _ens()
    assert [k for k, _v in query] == ["e", "n", "s"]
    SIGNER.verify_ens("/m.wav", "n1", query, 1999)
    with pytest.raises(UrlRejected, match="expired"):
        SIGNER.verify_ens("/m.wav", "n1", query, 2000)
    for name, value in (("e", "3000"), ("n", "1")):
        with pytest.raises(UrlRejected) as changed:
            SIGNER.verify_ens("/m.wav", "n1", _replace(query, name, value), 1999)
        assert changed.value.code == "SignatureDoesNotMatch"


def test_ens_covers_added_and_repeated_parameters_and_the_namespace() -> None:
    query = _ens()
    with pytest.raises(UrlRejected, match="added or removed"):
        SIGNER.verify_ens("/m.wav", "n1", [*query, ("x", "1")], 1999)
    with pytest.raises(UrlRejected, match="more than once"):
        SIGNER.verify_ens("/m.wav", "n1", [*query, ("e", "2000")], 1999)
    with pytest.raises(UrlRejected, match="another namespace"):
        SIGNER.verify_ens("/m.wav", "default", query, 1999)


def test_ens_is_refused_before_it_was_issued_when_the_lifetime_is_known() -> None:
    query = _ens(expires=2000)
    SIGNER.verify_ens("/m.wav", "n1", query, 1000, ttl=1000)
    with pytest.raises(UrlRejected, match="not valid yet") as early:
        SIGNER.verify_ens("/m.wav", "n1", query, 900, ttl=1000)
    assert early.value.code == "AccessDenied" and "100 s" in early.value.message


def test_s3_error_body_is_xml() -> None:
    body = s3_error_xml("AccessDenied", "Request has expired", "/a<b>")
    assert body.startswith(b"<?xml") and b"<Code>AccessDenied</Code>" in body and b"/a&lt;b&gt;" in body
