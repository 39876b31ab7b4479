"""Presigned S3-style download URLs back to the simulator, bound to the caller's namespace, and the
answers S3 gives when one is expired, altered or names nothing."""

from __future__ import annotations

from simulator.core.dispatch import Call, Reply
from simulator.core.signing import Signer, UrlRejected, s3_error_xml

XML = "application/xml"


def s3_url(call: Call, signer: Signer, path: str, signed_at: float, ttl: int) -> str:
    """``{base}{path}?X-Amz-...``: valid ``ttl`` seconds from ``signed_at`` on the namespace clock."""
    return f"{call.base_url}{path}?{signer.s3_query(f'{call.namespace.name}:{path}', signed_at, ttl)}"


def s3_rejection(call: Call, signer: Signer, path: str) -> Reply | None:
    """S3's 403 XML when the request's URL for ``path`` is expired, altered or from another namespace."""
    try:
        signer.verify_s3(f"{call.namespace.name}:{path}", call.query, call.now())
    except UrlRejected as rejected:
        return Reply(s3_error_xml(rejected.code, rejected.message, path), status=403, media_type=XML)
    return None


def s3_missing(path: str) -> Reply:
    return Reply(s3_error_xml("NoSuchKey", "The specified key does not exist.", path), status=404, media_type=XML)
