"""Presigned S3-style download URLs back to the simulator, bound to the caller's namespace, and the
answers S3 gives when one is expired, not valid yet, altered or names nothing.

An issued URL carries its namespace (``/_ns/NAME`` in the path, the name in ``X-Amz-Credential``),
so a plain GET from any client reaches the namespace that issued it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from simulator.core.dispatch import Call, Reply
from simulator.core.signing import Query, Signer, UrlRejected, s3_error_xml, s3_ttl

XML = "application/xml"


def query_items(call: Call[Any]) -> Query:
    """Every query parameter as sent, repeats included (the signature covers them all)."""
    raw: bytes = call.scope.get("query_string", b"")
    return parse_qsl(raw.decode("latin-1"), keep_blank_values=True) if raw else []


def s3_url(call: Call[Any], signer: Signer, path: str, signed_at: float, ttl: int) -> str:
    """``{base}{path}?X-Amz-...``: valid ``s3_ttl(ttl)`` seconds from ``signed_at`` on the namespace clock."""
    return f"{call.base_url}{path}?{signer.s3_query(path, call.namespace_name, signed_at, s3_ttl(ttl))}"


def s3_rejection(call: Call[Any], signer: Signer, path: str) -> Reply | None:
    """S3's 403 XML when the request's URL for ``path`` is not valid here and now, else None."""
    try:
        signer.verify_s3(path, call.namespace_name, query_items(call), call.now())
    except UrlRejected as rejected:
        return Reply(s3_error_xml(rejected.code, rejected.message, path), status=403, media_type=XML)
    return None


def s3_missing(path: str) -> Reply:
    return Reply(s3_error_xml("NoSuchKey", "The specified key does not exist.", path), status=404, media_type=XML)
