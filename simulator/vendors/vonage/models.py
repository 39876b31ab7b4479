"""Vonage AI Studio Insights: accounts, their conversation documents, search and the call lifecycle.

Each account's documents live in their own index (a key sees only its account): the seeded ones in
a baseline shared read-only by every namespace, moved to the namespace clock's start, and the ones
stored, replaced or ended here in the namespace's own layer (see ``layers``). Documents are stored
as given (zlib-compressed JSON bytes, served back verbatim) and indexed with the Insights mapping;
fields the mapping does not know are mapped dynamically on first sight, for the whole namespace, as
one Elasticsearch index would. Calls seeded as in progress end on the namespace clock: their
document is replaced by the finished one when the clock passes the end of the call.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from simulator.core.blobs import Blob
from simulator.core.errors import BadRequest, Conflict, NotFound, Unauthorized
from simulator.core.esdates import DateError, parse_date
from simulator.core.esfields import Analyzed, Field, MappingConflict, MappingLimit
from simulator.core.esfields import Mapping as FieldMapping
from simulator.core.esindex import Index, SortKey
from simulator.core.esknown import Catalog
from simulator.core.esnodes import Node
from simulator.core.store import VendorContext
from simulator.vendors.vonage import audio, search
from simulator.vendors.vonage.errors import InvalidParameter
from simulator.vendors.vonage.layers import START_FIELD, Layered, moved_analysis, moved_source
from simulator.vendors.vonage.mapping import FIELDS, TERM_ONLY, derived

DAY_MS = 86_400_000
DATE_FIELDS = frozenset(path for path, kind in FIELDS.items() if kind == "date")  # moved with the clock's start
CALL_ENDS = "call_ends"  # timed effect: a call seeded in progress ends
_VONAGE_HOST = re.compile(r"^studio-api-(eu|us)\.ai\.vonage\.com(:\d+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Account:
    account_id: str
    api_key: str
    region: str
    seed_sessions: int
    in_progress: int


@dataclass(frozen=True)
class Found:
    """One page of a search: the total, the hits' stored JSON, the fields to project them to (None: all)."""

    total: int
    sources: list[bytes]
    size: int  # the page size asked for
    includes: list[str] | None
    warnings: list[str]  # accepted as Elasticsearch would, but likely a mistake: for the journal


@dataclass(frozen=True)
class Prepared:
    """A document ready to index: its stored bytes and its analysed fields."""

    session_id: str | None
    source: bytes
    analyzed: Analyzed

    @classmethod
    def of(cls, document: Mapping[str, Any], mapping: FieldMapping, learned: dict[str, Field | None]) -> Prepared:
        analyzed = mapping.analyze(document, learned)
        for path, entry in derived(document).items():  # the page's nicer fields, unless the document has them
            analyzed.setdefault(path, entry)
        session_id = document.get("id")
        return cls(session_id if isinstance(session_id, str) else None, compress(document), analyzed)

    def source_json(self) -> bytes:
        return zlib.decompress(self.source)


def compress(document: Mapping[str, Any]) -> bytes:
    return zlib.compress(orjson.dumps(document), 1)


@dataclass(frozen=True)
class Baseline:
    """An account's seeded documents, indexed once and shared read-only by every namespace (see ``layers``)."""

    index: Index
    slots: Mapping[str, int]  # session id -> slot
    endings: Mapping[str, tuple[Prepared, int]]  # calls in progress: their finished form, when they end (ms)

    def __deepcopy__(self, _memo: dict[int, Any]) -> Baseline:
        return self  # shared and never changed: a copy of a namespace shares it too


class Sessions:
    """One account's documents as the namespace sees them: the shared baseline, moved by ``shift``
    milliseconds, and its own layer; and the slot of each session id."""

    def __init__(self, base: Baseline | None = None, shift: int = 0) -> None:
        self.index = Layered(base.index if base else None, shift, DATE_FIELDS)
        self._base = base
        self._own: dict[str, int] = {}

    def slot(self, session_id: str) -> int | None:
        found = self._own.get(session_id)
        if found is None:
            found = self._base.slots.get(session_id) if self._base else None
            if found is not None and found in self.index.hidden:
                return None
        return found

    def put(self, prepared: Prepared) -> int:
        if prepared.session_id is not None:
            self.remove(prepared.session_id)  # same id: the document is replaced
        slot = self.index.add(prepared.analyzed, prepared.source)
        if prepared.session_id is not None:
            self._own[prepared.session_id] = slot
        return slot

    def remove(self, session_id: str) -> None:
        slot = self.slot(session_id)
        if slot is not None:
            self._own.pop(session_id, None)
            self.index.remove(slot)

    def source(self, slot: int) -> bytes:
        return self.index.source(slot)

    def own_slots(self) -> list[int]:
        """The slots of the documents stored here (not the baseline's), in the order they were stored."""
        return sorted(slot for slot in self.index.live() if slot >= self.index.size)

    def hidden_ids(self) -> list[str]:
        """The baseline's sessions deleted or replaced here."""
        hidden = self.index.hidden
        if not hidden or self._base is None:
            return []
        return [session_id for session_id, slot in self._base.slots.items() if slot in hidden]

    def hide(self, session_id: str) -> bool:
        """Delete a baseline session (False: the baseline has no such session)."""
        slot = self._base.slots.get(session_id) if self._base else None
        if slot is None:
            return False
        self.index.remove(slot)
        return True


def accounts_of(fixtures: Mapping[str, Any]) -> dict[str, Account]:
    return {
        entry["account_id"]: Account(entry["account_id"], entry["api_key"], str(entry.get("region", "us")).lower(),
                                     int(entry.get("seed_sessions", fixtures.get("sessions_per_account", 500))),
                                     int(entry.get("in_progress", 0)))
        for entry in fixtures.get("accounts", [])
    }


def moved(prepared: Prepared, shift: int) -> Prepared:
    """A baseline document as a namespace ``shift`` milliseconds later sees it."""
    started = prepared.analyzed.get(START_FIELD)
    if not shift or not started or not started[1]:
        return prepared
    source = moved_source(prepared.source_json(), started[1][0], shift)
    return Prepared(prepared.session_id, zlib.compress(source, 1), moved_analysis(prepared.analyzed, DATE_FIELDS,
                                                                                    shift))


class VonageBackend:
    def __init__(self, ctx: VendorContext, baselines: Mapping[str, Baseline] | None = None, shift: int = 0):
        """The fixtures' accounts, each holding its ``baselines`` entry moved by ``shift`` ms (if any)."""
        self.ctx = ctx
        self.mapping = FieldMapping(FIELDS, term_only=TERM_ONLY)
        self.accounts = accounts_of(ctx.fixtures)
        self._by_key = {account.api_key: account for account in self.accounts.values()}
        self.baselines = dict(baselines or {})  # shared, read-only: not records of this namespace
        self.sessions = {account_id: Sessions(self.baselines.get(account_id), shift) for account_id in self.accounts}
        # (account id, in-progress session id) -> its slot, its finished document and the shift to see it
        # with, until the call ends
        self._ending: dict[tuple[str, str], tuple[int, Prepared, int]] = {}
        # dynamic fields learned from stored documents, in order: part of the records (a state document
        # keeps them, so a field first seen in a document since deleted keeps its type)
        self.learned: dict[str, Field | None] = {}

    # identity -------------------------------------------------------------------------------------
    def account_for_key(self, key: str) -> Account | None:
        return self._by_key.get(key)

    def authenticate(self, key: str | None, host: str) -> Account:
        """``X-Vgai-Key``: the account's API key. On a regional Vonage host, the key must be of that region."""
        if not key:
            raise Unauthorized("Missing API key: send the X-Vgai-Key header", "missing_api_key")
        account = self._by_key.get(key)
        if account is None:
            raise Unauthorized("Invalid API key (X-Vgai-Key)", "invalid_api_key")
        regional = _VONAGE_HOST.match(host)
        if regional and regional.group(1).lower() != account.region:
            raise Unauthorized(f"This API key belongs to region {account.region.upper()}: use "
                               f"studio-api-{account.region}.ai.vonage.com", "wrong_region")
        return account

    def default_account(self) -> Account:
        return next(iter(self.accounts.values()))

    # reads ----------------------------------------------------------------------------------------
    def find(self, account: Account, params: dict[str, Any], now_ms: int) -> Found:
        """``GET /insights/sessions``: the page its parameters (checked here) ask for."""
        wanted = search.parse(params, self.catalog(account), now_ms)
        total, sources = self.search(account, wanted.query, wanted.sort, wanted.offset, wanted.size)
        return Found(total, sources, wanted.size, wanted.includes, wanted.warnings)

    def search(self, account: Account, query: Node, sort: Sequence[SortKey], offset: int,
               size: int) -> tuple[int, list[bytes]]:
        sessions = self.sessions[account.account_id]
        total, slots = sessions.index.search(query, sort, offset, size)
        return total, [sessions.source(slot) for slot in slots]

    def catalog(self, account: Account) -> Catalog:
        """The fields the account's documents have, for warnings, suggestions and sorts on objects."""
        return Catalog(self.mapping, self.sessions[account.account_id].index)

    def session_on(self, account: Account, session_id: str, day: Any) -> bytes:
        """A session's stored document, only if it started on ``day`` (required: its ``session_start_time``)."""
        return self.session(account, session_id, required_day(day))

    def session(self, account: Account, session_id: str, day: str | None = None) -> bytes:
        """A session's stored document; with ``day``, only if the session started that (UTC) day."""
        sessions = self.sessions[account.account_id]
        slot = sessions.slot(session_id)
        if slot is None:
            raise NotFound(f"Session {session_id!r} not found", "session_not_found")
        if day is not None and not self._started_on(sessions, slot, day):
            raise NotFound(f"Session {session_id!r} not found on {day[:10]} (session_start_time)", "session_not_found")
        return sessions.source(slot)

    def _started_on(self, sessions: Sessions, slot: int, day: str) -> bool:
        wanted = parse_day(day, "session_start_time") // DAY_MS
        started = sessions.index.numeric_values(START_FIELD).get(slot, [])
        return any(value // DAY_MS == wanted for value in started)

    def recording(self, account_id: str, version_id: str, filename: str) -> Blob:
        """The audio behind ``audio_url`` ``<account>/<version>/<filename>``: silence as long as the call."""
        return audio.recording(self.recording_length(account_id, f"{account_id}/{version_id}/{filename}"), filename)

    def recording_length(self, account_id: str, path: str) -> int:
        """Milliseconds of audio behind an ``audio_url`` of one of the account's ended sessions."""
        sessions = self.sessions.get(account_id)
        session_id = path.rsplit("/", 1)[-1].removesuffix(".mp3").split("_", 1)[0]
        slot = sessions.slot(session_id) if sessions else None
        if sessions is None or slot is None:
            raise NotFound(f"No recording {path!r}", "recording_not_found")
        document = orjson.loads(sessions.source(slot))
        channel = document.get("channel_data") if isinstance(document.get("channel_data"), dict) else {}
        if channel.get("audio_url") == path and isinstance(channel.get("duration"), int):
            return int(channel["duration"])
        for step in document.get("flow_path") or []:
            context = step.get("context") if isinstance(step, dict) else None
            for altered in (context or {}).get("altered_parameters") or []:
                if altered.get("audio_url") == path and isinstance(altered.get("audio_duration"), int | float):
                    return int(altered["audio_duration"] * 1000)
        raise NotFound(f"No recording {path!r} (calls in progress have none yet)", "recording_not_found")

    # writes ---------------------------------------------------------------------------------------
    def delete(self, account: Account, session_id: str, day: Any) -> None:
        self.session(account, session_id, required_day(day))
        self.sessions[account.account_id].remove(session_id)
        self._ending.pop((account.account_id, session_id), None)

    def store(self, documents: Any, default_account: Any) -> list[str | None]:
        """Store documents as given (an existing id is replaced); all or nothing. ``default_account``
        (the ``account_id`` parameter) holds those that name none; else the first account does."""
        if not isinstance(documents, list) or not all(isinstance(document, dict) for document in documents):
            raise BadRequest("The body must be a JSON list of Insights documents (objects)", "invalid_documents")
        if not isinstance(default_account, str):
            default_account = None
        learned: dict[str, Field | None] = {}
        batch: list[tuple[str, Prepared]] = []
        for position, document in enumerate(documents):
            account_id = document.get("account_id", default_account or self.default_account().account_id)
            if not isinstance(account_id, str) or account_id not in self.accounts:
                raise NotFound(f"body[{position}].account_id: no account {account_id!r} in the fixtures",
                               "unknown_account")
            try:
                batch.append((account_id, Prepared.of(document, self.mapping, learned)))
            except MappingConflict as conflict:
                raise Conflict(f"body[{position}]: {conflict}", "mapping_conflict") from None
            except MappingLimit as limit:
                raise BadRequest(f"body[{position}]: {limit}", "mapping_limit") from None
        self.learn(learned)
        for account_id, prepared in batch:
            self.sessions[account_id].put(prepared)
            if prepared.session_id is not None:
                self._ending.pop((account_id, prepared.session_id), None)
        return [prepared.session_id for _, prepared in batch]

    def learn(self, learned: Mapping[str, Field | None]) -> None:
        self.mapping.learn(learned)
        for path, spec in learned.items():
            self.learned.setdefault(path, spec)

    def documents(self) -> list[tuple[str, bytes]]:
        """(account id, stored JSON) of the documents stored here, beyond the shared baseline, each
        account's in the order they were stored."""
        return [(account_id, sessions.source(slot)) for account_id, sessions in self.sessions.items()
                for slot in sessions.own_slots()]

    def hidden(self) -> list[tuple[str, str]]:
        """(account id, session id) of the baseline's sessions deleted or replaced here."""
        return [(account_id, session_id) for account_id, sessions in self.sessions.items()
                for session_id in sessions.hidden_ids()]

    def ending(self) -> list[tuple[str, str, Prepared]]:
        """(account id, session id, finished document) of the calls in progress that end on the clock."""
        return [(account_id, session_id, moved(final, shift))
                for (account_id, session_id), (slot, final, shift) in self._ending.items()
                if self.sessions[account_id].slot(session_id) == slot]

    def restore(self, account_id: str, document: Mapping[str, Any]) -> None:
        """Put a document from a state document back (after the fields it was stored with are learned).

        Raises MappingConflict or MappingLimit when it does not fit the mapping."""
        learned: dict[str, Field | None] = {}
        prepared = Prepared.of(document, self.mapping, learned)
        self.learn(learned)
        self.sessions[account_id].put(prepared)

    def restore_ending(self, account_id: str, session_id: str, final: Mapping[str, Any]) -> None:
        """The call ``session_id`` (stored, in progress) becomes ``final`` when its ``call_ends`` effect fires."""
        slot = self.sessions[account_id].slot(session_id)
        if slot is None:
            raise KeyError(session_id)
        learned: dict[str, Field | None] = {}
        prepared = Prepared.of(final, self.mapping, learned)
        self.learn(learned)
        self._ending[(account_id, session_id)] = (slot, prepared, 0)

    def expect_end(self, account_id: str, session_id: str, final: Prepared, shift: int, ends_at: float) -> None:
        """A seeded call in progress: when the clock passes ``ends_at`` the finished document replaces it."""
        slot = self.sessions[account_id].slot(session_id)
        if slot is None:
            return
        self._ending[(account_id, session_id)] = (slot, final, shift)
        self.ctx.later(ends_at, CALL_ENDS, {"account_id": account_id, "session_id": session_id},
                       f"vonage call {session_id} ends")

    def end_call(self, account_id: str, session_id: str) -> None:
        """The timed effect :data:`CALL_ENDS`: the finished document replaces the one in progress."""
        sessions = self.sessions[account_id]
        pending = self._ending.pop((account_id, session_id), None)
        if pending is not None and sessions.slot(session_id) == pending[0]:  # not deleted or replaced since
            sessions.put(moved(pending[1], pending[2]))


def parse_day(text: str, name: str) -> int:
    try:
        return parse_date(text)
    except DateError as error:
        raise InvalidParameter(f"{name}: {error}") from None


def required_day(day: Any) -> str:
    if not isinstance(day, str):  # only a lenient server lets a request without it through
        raise InvalidParameter("session_start_time is required: the day the session started, e.g. 2021-01-15")
    return day
