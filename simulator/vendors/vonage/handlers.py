"""Vonage Insights operations: parse, one backend call, shape the response as 003 shows it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from simulator.core.dispatch import Call, Reply
from simulator.core.esfields import project
from simulator.vendors.vonage.models import CALL_ENDS, Account, VonageBackend


def authenticate(call: Call[VonageBackend]) -> Account:
    return call.backend.authenticate(call.headers.get("x-vgai-key"), call.headers.get("host", ""))


def _hit(source: bytes, includes: list[str] | None) -> Any:
    return orjson.Fragment(source) if includes is None else project(orjson.loads(source), includes)


def search_sessions(call: Call[VonageBackend]) -> Reply:
    found = call.backend.find(call.principal, call.params, int(call.now() * 1000))
    for warning in found.warnings:
        call.warn(warning)
    return Reply({
        "total": found.total,
        "hits": [_hit(source, found.includes) for source in found.sources],
        "page_size": call.query.get("page_size", str(found.size)),
        "page_number": call.query.get("page_number", "0"),
    })


def get_session(call: Call[VonageBackend]) -> Reply:
    return Reply(orjson.Fragment(call.backend.session(call.principal, call.params["session_id"])))


def get_session_parameters(call: Call[VonageBackend]) -> Reply:
    document = call.backend.session_on(call.principal, call.params["session_id"],
                                       call.params.get("session_start_time"))
    return Reply(orjson.Fragment(document))


def delete_session(call: Call[VonageBackend]) -> Reply:
    call.backend.delete(call.principal, call.params["session_id"], call.params.get("session_start_time"))
    return Reply({"id": call.params["session_id"], "deleted": True})


def store_sessions(call: Call[VonageBackend]) -> Reply:
    ids = call.backend.store(call.body, call.params.get("account_id"))
    return Reply({"stored": len(ids), "ids": ids}, status=201)


def download_recording(call: Call[VonageBackend]) -> Reply:
    params = call.params
    return Reply(call.backend.recording(params["account_id"], params["version_id"], params["filename"]))


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
