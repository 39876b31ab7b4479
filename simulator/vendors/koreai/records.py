"""Kore.ai's records as data: the calls, and the counter the next generated session id derives from.

Tables: ``calls`` (session id -> call) and ``meta`` (one record, ``counters``). A call's status,
recordings, file names and media paths are functions of the call, the fixtures and the clock, so the
calls alone answer every read; the apps, the bot -> app map and the file id -> call map are rebuilt
from the fixtures and the calls. The counter matters for calls not generated yet: a loaded namespace
gives the next ``POST /_sim/koreai/calls`` without ``session_id`` the id the dumped one would have.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core.records import StateError, Tables, from_data, to_data
from simulator.core.store import VendorContext
from simulator.vendors.koreai.models import KoreaiBackend, VoiceCall

MAX_SEGMENTS = 5  # recording files per call, as createKoreaiCall allows
# 3000-01-01T00:00:00Z: far enough from year 9999 (the last the API can print) for any media delay to fit
LATEST_INSTANT = 32503680000
_ID = {"type": "string", "minLength": 1, "maxLength": 128}

CALL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["session_id", "bot_id", "app_id", "user_id", "started_at", "ends_at", "has_media", "file_ids",
                 "file_hashes", "weights", "deleted"],
    "properties": {
        "session_id": {**_ID, "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
        "bot_id": _ID,
        "app_id": {**_ID, "description": "client id of the app that owns the bot"},
        "user_id": {"type": "string", "minLength": 1, "maxLength": 256},
        "started_at": {"type": "number", "minimum": 0, "maximum": LATEST_INSTANT},
        "ends_at": {"type": ["number", "null"], "minimum": 0, "maximum": LATEST_INSTANT,
                    "description": "null: runs until hung up"},
        "has_media": {"type": "boolean"},
        "file_ids": {"type": "array", "maxItems": MAX_SEGMENTS, "uniqueItems": True,
                     "items": {"type": "string",
                               "pattern": "^f-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"}},
        "file_hashes": {"type": "array", "maxItems": MAX_SEGMENTS,
                        "items": {"type": "string", "pattern": "^[0-9a-f]{32}$"}},
        "weights": {"type": "array", "maxItems": MAX_SEGMENTS,
                    "items": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "description": "relative lengths of the recording segments"},
        "deleted": {"type": "boolean", "description": "its recordings were deleted"},
    },
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Kore.ai records",
    "type": "object",
    "additionalProperties": False,
    "required": ["calls", "meta"],
    "properties": {
        "calls": {"type": "object", "description": "session id -> call",
                  "propertyNames": {"maxLength": 128}, "additionalProperties": CALL_SCHEMA},
        "meta": {
            "type": "object",
            "additionalProperties": False,
            "required": ["counters"],
            "properties": {
                "counters": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["session_ids"],
                    "properties": {"session_ids": {"type": "integer", "minimum": 0, "maximum": 2**53,
                                                   "description": "session ids generated so far"}},
                },
            },
        },
    },
}


class KoreaiRecords:
    """The :class:`~simulator.core.records.RecordCodec` of Kore.ai."""

    @property
    def schema(self) -> Mapping[str, Any]:
        return SCHEMA

    def dump(self, backend: KoreaiBackend) -> Tables:
        return {
            "calls": {session_id: to_data(call) for session_id, call in backend.calls.items()},
            "meta": {"counters": {"session_ids": backend.generated}},
        }

    def load(self, ctx: VendorContext, tables: Mapping[str, Mapping[str, Any]]) -> KoreaiBackend:
        backend = KoreaiBackend(ctx)
        for key, data in tables["calls"].items():
            call = from_data(VoiceCall, data)
            if call.session_id != key:
                raise StateError(f"koreai.calls.{key}: session_id {call.session_id!r} is not its key")
            problem = backend.refusal(call)
            if problem is not None:
                raise StateError(f"koreai.calls.{key}: {problem}")
            backend.store(call)
        backend.generated = int(tables["meta"]["counters"]["session_ids"])
        return backend


RECORDS = KoreaiRecords()
