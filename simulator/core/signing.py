"""Presigned URLs checked against the namespace clock.

Two query styles cover the vendors: S3's (``X-Amz-Date``, ``X-Amz-Expires``, ``X-Amz-Signature``)
and the expiry/nonce/signature triple (``e``, ``n``, ``s``). Either way the signature is an HMAC over
the path and the expiry, so changing any of them, or the path, is detected.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from simulator.core.errors import Forbidden
from simulator.core.jsonlimits import excerpt

_AMZ_DATE = "%Y%m%dT%H%M%SZ"


class UrlRejected(Forbidden):
    """A presigned URL that is expired, tampered with or incomplete (always 403, as S3 answers)."""

    def __init__(self, message: str, code: str):
        super().__init__(message, code)


class Signer:
    def __init__(self, secret: bytes):
        self._secret = secret

    def _mac(self, *parts: str) -> bytes:
        return hmac.new(self._secret, "\n".join(parts).encode(), hashlib.sha256).digest()

    # S3 style -----------------------------------------------------------------------------------
    def s3_query(self, path: str, signed_at: float, ttl: int) -> str:
        stamp = datetime.fromtimestamp(int(signed_at), tz=UTC).strftime(_AMZ_DATE)
        signature = self._mac("s3", path, stamp, str(ttl)).hex()
        return urlencode(
            {
                "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
                "X-Amz-Date": stamp,
                "X-Amz-Expires": str(ttl),
                "X-Amz-SignedHeaders": "host",
                "X-Amz-Signature": signature,
            }
        )

    def verify_s3(self, path: str, query: Mapping[str, str], now: float) -> None:
        stamp, ttl, signature = (query.get(k) for k in ("X-Amz-Date", "X-Amz-Expires", "X-Amz-Signature"))
        if not stamp or not ttl or not signature:
            raise UrlRejected("Query-string authentication requires X-Amz-Date, X-Amz-Expires and "
                              "X-Amz-Signature", "AccessDenied")
        expected = self._mac("s3", path, stamp, ttl).hex()
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise UrlRejected("The request signature we calculated does not match the signature you provided",
                              "SignatureDoesNotMatch")
        try:
            expires_at = datetime.strptime(stamp, _AMZ_DATE).replace(tzinfo=UTC).timestamp() + int(ttl)
        except ValueError:
            raise UrlRejected("X-Amz-Date or X-Amz-Expires is malformed", "AuthorizationQueryParametersError") from None
        if now >= expires_at:
            raise UrlRejected("Request has expired", "AccessDenied")

    # expiry / nonce / signature style -------------------------------------------------------------
    def ens_query(self, path: str, expires_at: int, nonce: str) -> str:
        signature = base64.urlsafe_b64encode(self._mac("ens", path, str(expires_at), nonce)).decode().rstrip("=")
        return urlencode({"e": str(expires_at), "n": nonce, "s": signature})

    def verify_ens(self, path: str, query: Mapping[str, str], now: float) -> None:
        expires, nonce, signature = (query.get(k) for k in ("e", "n", "s"))
        if not expires or not nonce or not signature:
            raise UrlRejected("Signed URL requires e, n and s query parameters", "AccessDenied")
        expected = base64.urlsafe_b64encode(self._mac("ens", path, expires, nonce)).decode().rstrip("=")
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise UrlRejected("Signature does not match", "SignatureDoesNotMatch")
        if not expires.isdigit() or now >= int(expires):
            raise UrlRejected("Signed URL has expired", "AccessDenied")


def s3_error_xml(code: str, message: str, resource: str) -> bytes:
    """The body S3 sends with a 403 for a bad or expired presigned URL (a long resource quoted as an excerpt)."""
    resource = excerpt(resource, 500)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<Resource>{escape(resource)}</Resource><RequestId>SIMULATOR</RequestId></Error>"
    ).encode()
