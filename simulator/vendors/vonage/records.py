"""Vonage records as data: what a namespace changed over its seeded baseline.

The seeded conversations are not records of a namespace: the document's seed, clock start and
``empty`` flag, with the fixtures, regenerate them exactly (see ``population``). The records are the
documents stored in the namespace (each account's in the order they were stored), the seeded sessions
it deleted or replaced (``hidden``), the finished forms of calls still in progress (``ending``) and the
dynamic fields its mapping learned (``fields``). The search index, the slot of each session id and
the catalogue of fields are derived: loading lays the stored documents over the baseline in their
order, which gives the same order of slots (hence the same ties in sorted searches) and the same
stored bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson

from simulator.core.esfields import Field, MappingConflict, MappingLimit
from simulator.core.records import StateError, Tables, from_data, to_data
from simulator.core.store import VendorContext
from simulator.vendors.vonage import population
from simulator.vendors.vonage.models import VonageBackend

MAX_ID_CHARS = 200
MAX_PATH_CHARS = 1_000
_TYPES = ("keyword", "text", "long", "double", "date", "boolean", "object")


@dataclass
class SessionRecord:
    """One stored Insights document, as the API serves it."""

    account_id: str
    document: dict[str, Any]


@dataclass
class HiddenRecord:
    """A seeded session deleted or replaced in the namespace."""

    account_id: str
    session_id: str


@dataclass
class EndingRecord:
    """A call in progress: the document that replaces the stored one when its ``call_ends`` effect fires."""

    account_id: str
    session_id: str
    document: dict[str, Any]


@dataclass
class FieldRecord:
    """A field (or, with type ``object``, an object) the mapping learned from a stored document."""

    type: str
    keyword_subfield: bool = False
    term_only: bool = False


def _record(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": required, "properties": properties}


_ID = {"type": "string", "minLength": 1, "maxLength": MAX_ID_CHARS}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["sessions", "hidden", "ending", "fields"],
    "properties": {
        # key: the position in which the document was stored (ties in sorted searches go by it)
        "sessions": {"type": "object", "propertyNames": {"pattern": "^(0|[1-9][0-9]{0,8})$"},
                     "additionalProperties": _record({"account_id": _ID, "document": {"type": "object"}},
                                                     ["account_id", "document"])},
        # key: "<account_id>/<session_id>"
        "hidden": {"type": "object", "propertyNames": {"maxLength": 2 * MAX_ID_CHARS + 1},
                   "additionalProperties": _record({"account_id": _ID, "session_id": _ID},
                                                   ["account_id", "session_id"])},
        # key: "<account_id>/<session_id>"
        "ending": {"type": "object", "propertyNames": {"maxLength": 2 * MAX_ID_CHARS + 1},
                   "additionalProperties": _record({"account_id": _ID, "session_id": _ID,
                                                    "document": {"type": "object"}},
                                                   ["account_id", "session_id", "document"])},
        # key: the field's dotted path
        "fields": {"type": "object", "propertyNames": {"minLength": 1, "maxLength": MAX_PATH_CHARS},
                   "additionalProperties": _record({"type": {"enum": list(_TYPES)},
                                                    "keyword_subfield": {"type": "boolean"},
                                                    "term_only": {"type": "boolean"}}, ["type"])},
    },
}


class VonageRecords:
    """The :class:`~simulator.core.records.RecordCodec` of Vonage."""

    @property
    def schema(self) -> Mapping[str, Any]:
        return SCHEMA

    def dump(self, backend: VonageBackend) -> Tables:
        sessions = {str(position): to_data(SessionRecord(account_id, orjson.loads(source)))
                    for position, (account_id, source) in enumerate(backend.documents())}
        ending = {f"{account_id}/{session_id}": to_data(EndingRecord(account_id, session_id,
                                                                     orjson.loads(final.source_json())))
                  for account_id, session_id, final in backend.ending()}
        fields = {path: to_data(FieldRecord("object") if spec is None else
                                FieldRecord(spec.type, spec.keyword_subfield, spec.term_only))
                  for path, spec in backend.learned.items()}
        hidden = {f"{account_id}/{session_id}": to_data(HiddenRecord(account_id, session_id))
                  for account_id, session_id in backend.hidden()}
        return {"sessions": sessions, "hidden": hidden, "ending": ending, "fields": fields}

    def load(self, ctx: VendorContext, tables: Mapping[str, Mapping[str, Any]]) -> VonageBackend:
        backend = VonageBackend(ctx) if ctx.empty else population.backdrop(ctx)
        learned: dict[str, Field | None] = {}
        for path, data in tables.get("fields", {}).items():
            record = from_data(FieldRecord, data)
            learned[path] = None if record.type == "object" else Field(record.type, record.keyword_subfield,
                                                                       record.term_only)
        backend.learn(learned)
        for key, data in tables.get("hidden", {}).items():
            hidden = from_data(HiddenRecord, data)
            self._account(backend, hidden.account_id, f"vonage.hidden.{key}")
            if not backend.sessions[hidden.account_id].hide(hidden.session_id):
                raise StateError(f"vonage.hidden.{key}: the seeded sessions of account {hidden.account_id!r} "
                                 f"have no {hidden.session_id!r}")
        for key in sorted(tables.get("sessions", {}), key=int):
            session = from_data(SessionRecord, tables["sessions"][key])
            where = f"vonage.sessions.{key}"
            self._account(backend, session.account_id, where)
            with _refused(where):
                backend.restore(session.account_id, session.document)
        for key, data in tables.get("ending", {}).items():
            ending = from_data(EndingRecord, data)
            where = f"vonage.ending.{key}"
            self._account(backend, ending.account_id, where)
            if backend.sessions[ending.account_id].slot(ending.session_id) is None:
                raise StateError(f"{where}: session {ending.session_id!r} is not stored for account "
                                 f"{ending.account_id!r}")
            if ending.document.get("id") != ending.session_id:
                raise StateError(f"{where}: the finished document's id is not {ending.session_id!r}")
            with _refused(where):
                backend.restore_ending(ending.account_id, ending.session_id, ending.document)
        return backend

    @staticmethod
    def _account(backend: VonageBackend, account_id: str, where: str) -> None:
        if account_id not in backend.accounts:
            raise StateError(f"{where}: account {account_id!r} is not in the fixtures")


@contextmanager
def _refused(where: str) -> Iterator[None]:
    """A document that does not fit the mapping is a bad record, named by where it is."""
    try:
        yield
    except (MappingConflict, MappingLimit) as error:
        raise StateError(f"{where}: {error}") from None


RECORDS = VonageRecords()
