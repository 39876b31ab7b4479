from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from simulator.core.signing import Signer, UrlRejected, s3_error_xml

SIGNER = Signer(b"secret")


def _s3(path: str, signed_at: float, ttl: int) -> dict[str, str]:
    return dict(parse_qsl(SIGNER.s3_query(path, signed_at, ttl)))


def test_s3_url_is_valid_until_its_expiry() -> None:
    query = _s3("/a/b.mp4", 1_000_000, 86400)
    SIGNER.verify_s3("/a/b.mp4", query, 1_000_000 + 86399)
    with pytest.raises(UrlRejected) as expired:
        SIGNER.verify_s3("/a/b.mp4", query, 1_000_000 + 86400)
    assert expired.value.code == "AccessDenied" and "expired" in expired.value.message


@pytest.mark.parametrize("field", ["X-Amz-Signature", "X-Amz-Expires", "X-Amz-Date"])
def test_s3_tampering_is_detected(field: str) -> None:
    query = _s3("/a/b.mp4", 1_000_000, 60)
    query[field] = query[field][:-1] + ("0" if query[field][-1] != "0" else "1")
    with pytest.raises(UrlRejected) as rejected:
        SIGNER.verify_s3("/a/b.mp4", query, 1_000_000)
    assert rejected.value.code == "SignatureDoesNotMatch"


def test_s3_other_path_or_missing_fields_are_rejected() -> None:
    query = _s3("/a/b.mp4", 1_000_000, 60)
    with pytest.raises(UrlRejected):
        SIGNER.verify_s3("/a/c.mp4", query, 1_000_000)
    with pytest.raises(UrlRejected):
        SIGNER.verify_s3("/a/b.mp4", {}, 1_000_000)
    with pytest.raises(UrlRejected):
        SIGNER.verify_s3("/a/b.mp4", {**query, "X-Amz-Signature": "é"}, 1_000_000)


def test_expiry_nonce_signature_style() -> None:
    query = dict(parse_qsl(SIGNER.ens_query("/m.wav", 2000, "12345")))
    assert set(query) == {"e", "n", "s"}
    SIGNER.verify_ens("/m.wav", query, 1999)
    with pytest.raises(UrlRejected):
        SIGNER.verify_ens("/m.wav", query, 2000)
    with pytest.raises(UrlRejected):
        SIGNER.verify_ens("/m.wav", {**query, "e": "3000"}, 1999)
    with pytest.raises(UrlRejected):
        SIGNER.verify_ens("/m.wav", {**query, "n": "1"}, 1999)


def test_s3_error_body_is_xml() -> None:
    body = s3_error_xml("AccessDenied", "Request has expired", "/a<b>")
    assert body.startswith(b"<?xml") and b"<Code>AccessDenied</Code>" in body and b"/a&lt;b&gt;" in body
