"""A tiny vendor that exists only in tests: notes with a time to live and a webhook, and a record codec.

No real vendor has a codec until each vendor's records are declared; this one lets the state document
tests cover vendor records, timed effects and webhook deliveries end to end.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simulator.admin.errors import AdminErrors
from simulator.app import VENDORS
from simulator.core.dispatch import Call, Reply
from simulator.core.plugin import VendorPlugin
from simulator.core.records import StateError, Tables
from simulator.core.store import VendorContext

SPEC = str(Path(__file__).with_name("notes_spec.yaml"))
SLOW_DUMP = "slow-dump"


class NotesBackend:
    def __init__(self, ctx: VendorContext, notes: Mapping[str, str] | None = None):
        self.ctx = ctx
        if notes is None:
            notes = {} if ctx.empty else {f"seeded-{n}": ctx.source.fake.sentence() for n in range(2)}
        self.notes = dict(notes)

    def put(self, note_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        self.notes[note_id] = body["text"]
        if "ttl" in body:
            self.ctx.later(self.ctx.now() + body["ttl"], "expire", {"id": note_id}, f"note {note_id} expires")
        if "hook" in body:
            self.ctx.webhooks.post(body["hook"], {"id": note_id, "text": body["text"]}, "notes", "saved")
        return {"id": note_id, "text": body["text"]}


def expire(backend: NotesBackend, args: Mapping[str, Any]) -> None:
    backend.notes.pop(args["id"], None)


class NotesCodec:
    schema = {"type": "object", "additionalProperties": False, "properties": {
        "notes": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 200}}}}

    def dump(self, backend: NotesBackend) -> Tables:
        if SLOW_DUMP in backend.notes:  # stands for a namespace large enough to take a while
            time.sleep(1.0)
        return {"notes": dict(sorted(backend.notes.items()))}

    def load(self, ctx: VendorContext, tables: Mapping[str, Mapping[str, Any]]) -> NotesBackend:
        notes = dict(tables.get("notes", {}))
        for key in notes:
            if key.startswith("_"):  # a rule the schema does not say
                raise StateError(f"/vendors/notes/notes/{key}: note ids starting with '_' are reserved")
        return NotesBackend(ctx, notes)


def list_notes(call: Call[NotesBackend]) -> Reply:
    return Reply(dict(sorted(call.backend.notes.items())))


def put_note(call: Call[NotesBackend]) -> Reply:
    return Reply(call.backend.put(call.params["id"], call.body))


NOTES = VendorPlugin(
    name="notes", spec_file=SPEC, prefixes=("/notes/",), handlers={"listNotes": list_notes, "putNote": put_note},
    verifiers={}, errors=AdminErrors(), backend=NotesBackend, effects={"expire": expire}, records=NotesCodec(),
    webhooks={"saved": lambda *_: b""},
)
WITH_NOTES: tuple[VendorPlugin, ...] = (*VENDORS, NOTES)
