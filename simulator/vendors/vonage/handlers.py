"""Vonage Insights operations: parse, one backend call, shape the response as 003 shows it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from simulator.core.dispatch import Call, Reply
from simulator.core.errors import BadRequest, Unauthorized
from simulator.core.esfields import project
from simulator.vendors.vonage import audio, search
from simulator.vendors.vonage.models import CALL_ENDS, Account, InvalidParameter, VonageBackend

_VONAGE_HOST = re.compile(r"^studio-api-(eu|us)\.ai\.vonage\.com(:\d+)?$", re.IGNORECASE)


def authenticate(call: Call[Any]) -> Account:
    """``X-Vgai-Key``: the account's API key. On a regional Vonage host, the key must be of that region."""
    key = call.headers.get("x-vgai-key")
    if not key:
        raise Unauthorized("Missing API key: send the X-Vgai-Key header", "missing_api_key")
    backend: VonageBackend = call.backend
    account = backend.account_for_key(key)
    if account is None:
        raise Unauthorized("Invalid API key (X-Vgai-Key)", "invalid_api_key")
    regional = _VONAGE_HOST.match(call.headers.get("host", ""))
    if regional and regional.group(1).lower() != account.region:
        raise Unauthorized(f"This API key belongs to region {account.region.upper()}: use "
                           f"studio-api-{account.region}.ai.vonage.com", "wrong_region")
    return account


def _hit(source: bytes, includes: list[str] | None) -> Any:
    return orjson.Fragment(source) if includes is None else project(orjson.loads(source), includes)


def search_sessions(call: Call[Any]) -> Reply:
    backend: VonageBackend = call.backend
    wanted = search.parse(call.params, backend.catalog(call.principal), int(call.now() * 1000))
    for warning in wanted.warnings:
        call.warn(warning)
    total, sources = backend.search(call.principal, wanted.query, wanted.sort, wanted.offset, wanted.size)
    return Reply({
        "total": total,
        "hits": [_hit(source, wanted.includes) for source in sources],
        "page_size": call.query.get("page_size", str(wanted.size)),
        "page_number": call.query.get("page_number", "0"),
    })


def get_session(call: Call[Any]) -> Reply:
    backend: VonageBackend = call.backend
    return Reply(orjson.Fragment(backend.session(call.principal, call.params["session_id"])))


def _day(call: Call[Any]) -> str:
    day = call.params.get("session_start_time")
    if not isinstance(day, str):  # only a lenient server lets a request without it through
        raise InvalidParameter("session_start_time is required: the day the session started, e.g. 2021-01-15")
    return day


def get_session_parameters(call: Call[Any]) -> Reply:
    backend: VonageBackend = call.backend
    document = backend.session(call.principal, call.params["session_id"], _day(call))
    return Reply(orjson.Fragment(document))


def delete_session(call: Call[Any]) -> Reply:
    backend: VonageBackend = call.backend
    backend.delete(call.principal, call.params["session_id"], _day(call))
    return Reply({"id": call.params["session_id"], "deleted": True})


def store_sessions(call: Call[Any]) -> Reply:
    backend: VonageBackend = call.backend
    documents = call.body
    if not isinstance(documents, list) or not all(isinstance(document, dict) for document in documents):
        raise BadRequest("The body must be a JSON list of Insights documents (objects)", "invalid_documents")
    account = call.params.get("account_id")
    ids = backend.store(documents, account if isinstance(account, str) else None)
    return Reply({"stored": len(ids), "ids": ids}, status=201)


def download_recording(call: Call[Any]) -> Reply:
    backend: VonageBackend = call.backend
    account_id, version_id, filename = call.params["account_id"], call.params["version_id"], call.params["filename"]
    length = backend.recording_length(account_id, f"{account_id}/{version_id}/{filename}")
    return Reply(audio.recording(length, filename))


HANDLERS = {
    "searchSessions": search_sessions,
    "getSession": get_session,
    "getSessionParameters": get_session_parameters,
    "searchSessionById": get_session,
    "deleteSession": delete_session,
}

ADMIN_HANDLERS = {
    "storeVonageSessions": store_sessions,
    "downloadVonageRecording": download_recording,
}


def call_ends(backend: VonageBackend, args: Mapping[str, Any]) -> None:
    backend.end_call(str(args["account_id"]), str(args["session_id"]))


EFFECTS = {  # timed effects the backend queues, fired by the namespace when due
    CALL_ENDS: call_ends,
}
