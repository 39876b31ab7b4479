"""Presigned URLs checked against the namespace clock.

Two query styles cover the vendors: S3's (``X-Amz-*``) and the expiry/nonce/signature triple
(``e``, ``n``, ``s``). Either way the signature is an HMAC over the path, the namespace that issued
the URL and every other query parameter, so changing, dropping or adding any of them is detected;
a URL is refused before it is valid and from its expiry on. S3 URLs name their namespace in
``X-Amz-Credential`` (``SIM/<namespace>/<date>/sim/s3/aws4_request``), so a URL used in another
namespace is told apart from a forged one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from simulator.core.errors import Forbidden
from simulator.core.jsonlimits import excerpt

_AMZ_DATE = "%Y%m%dT%H%M%SZ"
S3_ALGORITHM = "AWS4-HMAC-SHA256"
S3_MAX_EXPIRES = 604800  # a week: S3 refuses presigned URLs valid for longer
_S3_REQUIRED = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders",
                "X-Amz-Expires")
_QUOTED = 64  # characters of a client's value quoted in a refusal

Query = Sequence[tuple[str, str]]


class UrlRejected(Forbidden):
    """A presigned URL that is expired, not valid yet, tampered with or incomplete (always 403)."""

    def __init__(self, message: str, code: str):
        super().__init__(message, code)


def _quoted(value: str) -> str:
    return repr(excerpt(value, _QUOTED))


def _canonical(items: Query, signature_name: str) -> str:
    """Every parameter but the signature, sorted and percent-encoded: what the signature covers."""
    kept = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in items if k != signature_name)
    return "&".join(f"{k}={v}" for k, v in kept)


def _single_values(items: Query, code: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in items:
        if key in values:
            raise UrlRejected(f"Query parameter {_quoted(key)} is given more than once", code)
        values[key] = value
    return values


def s3_ttl(ttl: int) -> int:
    """The lifetime an S3 URL can have: ``ttl`` within 1 s .. a week (a longer setting is capped)."""
    return max(1, min(int(ttl), S3_MAX_EXPIRES))


class Signer:
    def __init__(self, secret: bytes):
        self._secret = secret

    def _mac(self, *parts: str) -> bytes:
        return hmac.new(self._secret, "\n".join(parts).encode(), hashlib.sha256).digest()

    # S3 style -----------------------------------------------------------------------------------
    def s3_query(self, path: str, namespace: str, signed_at: float, ttl: int) -> str:
        moment = datetime.fromtimestamp(int(signed_at), tz=UTC)
        params = [
            ("X-Amz-Algorithm", S3_ALGORITHM),
            ("X-Amz-Credential", f"SIM/{namespace}/{moment:%Y%m%d}/sim/s3/aws4_request"),
            ("X-Amz-Date", moment.strftime(_AMZ_DATE)),
            ("X-Amz-Expires", str(s3_ttl(ttl))),
            ("X-Amz-SignedHeaders", "host"),
        ]
        signature = self._mac("s3", path, _canonical(params, "X-Amz-Signature")).hex()
        return urlencode([*params, ("X-Amz-Signature", signature)])

    def verify_s3(self, path: str, namespace: str, items: Query, now: float) -> None:
        """Refuse (:class:`UrlRejected`) unless the URL is intact, of ``namespace`` and valid at ``now``."""
        malformed = "AuthorizationQueryParametersError"
        query = _single_values(items, malformed)
        if not any(name in query for name in _S3_REQUIRED):  # an anonymous request, as S3 answers for private keys
            raise UrlRejected("Access Denied: the URL carries no signature (X-Amz-* parameters)", "AccessDenied")
        if any(not query.get(name) for name in _S3_REQUIRED):
            raise UrlRejected("Query-string authentication version 4 requires the X-Amz-Algorithm, "
                              "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                              "X-Amz-Expires parameters.", malformed)
        if query["X-Amz-Algorithm"] != S3_ALGORITHM:
            raise UrlRejected(f'X-Amz-Algorithm only supports "{S3_ALGORITHM}" (got '
                              f'{_quoted(query["X-Amz-Algorithm"])})', malformed)
        ttl = query["X-Amz-Expires"]
        if not (ttl.isascii() and ttl.isdigit()) or len(ttl) > 7:
            raise UrlRejected(f"X-Amz-Expires should be a number of seconds (got {_quoted(ttl)})", malformed)
        if int(ttl) > S3_MAX_EXPIRES:
            raise UrlRejected(f"X-Amz-Expires must be less than a week (in seconds) that is {S3_MAX_EXPIRES}",
                              malformed)
        try:
            signed_at = datetime.strptime(query["X-Amz-Date"], _AMZ_DATE).replace(tzinfo=UTC).timestamp()
        except ValueError:
            raise UrlRejected("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\" (got "
                              f"{_quoted(query['X-Amz-Date'])})", malformed) from None
        credential = query["X-Amz-Credential"].split("/")
        if len(credential) != 6 or credential[0] != "SIM" or credential[-1] != "aws4_request":
            raise UrlRejected("X-Amz-Credential should look like SIM/<namespace>/<date>/sim/s3/aws4_request (got "
                              f"{_quoted(query['X-Amz-Credential'])})", malformed)
        expected = self._mac("s3", path, _canonical(items, "X-Amz-Signature")).hex()
        if not hmac.compare_digest(expected.encode(), query["X-Amz-Signature"].encode()):
            raise UrlRejected("The request signature we calculated does not match the signature you provided "
                              "(the path or a query parameter was changed, added or removed)", "SignatureDoesNotMatch")
        if credential[1] != namespace:
            raise UrlRejected(f"The URL is signed for namespace {_quoted(credential[1])} but was used in namespace "
                              f"{_quoted(namespace)}: use it as issued (under /_ns/{credential[1]}/, or with "
                              "X-Sim-Namespace)", "AccessDenied")
        if now < signed_at:
            raise UrlRejected(f"Request is not valid yet (valid from {query['X-Amz-Date']}, "
                              f"{int(signed_at - now)} s from now)", "AccessDenied")
        if now >= signed_at + int(ttl):
            raise UrlRejected("Request has expired", "AccessDenied")

    # expiry / nonce / signature style -------------------------------------------------------------
    def _ens_signature(self, path: str, namespace: str, items: Query) -> str:
        return base64.urlsafe_b64encode(self._mac("ens", namespace, path, _canonical(items, "s"))).decode().rstrip("=")

    def ens_query(self, path: str, namespace: str, expires_at: int, nonce: str) -> str:
        params = [("e", str(expires_at)), ("n", nonce)]
        return urlencode([*params, ("s", self._ens_signature(path, namespace, params))])

    def verify_ens(self, path: str, namespace: str, items: Query, now: float, ttl: int | None = None) -> None:
        """Refuse unless intact, of ``namespace`` and unexpired; with ``ttl`` (the issuer's lifetime), also
        refuse a URL used before it was issued (``e - ttl``)."""
        query = _single_values(items, "AccessDenied")
        expires, nonce, signature = (query.get(k) for k in ("e", "n", "s"))
        if not expires or not nonce or not signature:
            raise UrlRejected("Signed URL requires e, n and s query parameters", "AccessDenied")
        expected = self._ens_signature(path, namespace, items)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise UrlRejected(f"Signature does not match this URL in namespace {_quoted(namespace)} (altered, a "
                              "parameter added or removed, or issued in another namespace)", "SignatureDoesNotMatch")
        if not (expires.isascii() and expires.isdigit()):
            raise UrlRejected(f"Signed URL expiry e is not epoch seconds (got {_quoted(expires)})", "AccessDenied")
        if ttl is not None and now < int(expires) - ttl:
            raise UrlRejected(f"Signed URL is not valid yet ({int(int(expires) - ttl - now)} s from now)",
                              "AccessDenied")
        if now >= int(expires):
            raise UrlRejected("Signed URL has expired", "AccessDenied")


def s3_error_xml(code: str, message: str, resource: str) -> bytes:
    """The body S3 sends with a 403 for a bad or expired presigned URL (a long resource quoted as an excerpt)."""
    from xml.sax.saxutils import escape  # here, not at start-up: it imports urllib.request and the email package

    resource = excerpt(resource, 500)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<Resource>{escape(resource)}</Resource><RequestId>SIMULATOR</RequestId></Error>"
    ).encode()
