"""RealtimeKit records as one document: dump a namespace, load it into a fresh one, read the same bytes."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest

from simulator.app import create_app
from simulator.core import statedoc
from simulator.core.records import StateError
from simulator.core.store import Registry
from simulator.testing.server import ThreadedServer
from simulator.vendors.realtimekit.records import SCHEMA
from tests.support import make_settings
from tests.vendors.realtimekit.helpers import (
    HARBOR,
    HARBOR_TOKEN,
    NORTHWIND_TOKEN,
    SUPPORT,
    TELEHEALTH,
    sessions_path,
)
from tests.vendors.realtimekit.test_admin_seed import SESSION_ID, record

APPS = ((NORTHWIND_TOKEN, sessions_path()), (NORTHWIND_TOKEN, sessions_path(app_id=SUPPORT)),
        (HARBOR_TOKEN, sessions_path(HARBOR, TELEHEALTH)))
URL_FIELDS = re.compile(rb'"(chat_download_url|transcript_download_url|summaryDownloadUrl)":"([^"]*)"')


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[ThreadedServer, Registry]]:
    app = create_app(make_settings())
    with ThreadedServer(app) as server:
        yield server, app.state.registry


def _get(http: httpx.Client, token: str, path: str, fetch: bool = False, **params: Any) -> bytes:
    """The answer's status and bytes; download URLs name their namespace, so they are replaced by what they
    serve (``fetch``; a transcript takes ~0.1 s to build) or left out."""
    response = http.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    body = response.content

    def served(found: re.Match[bytes]) -> bytes:
        if not fetch:
            return found.group(1)
        download = httpx.get(found.group(2).decode())
        return found.group(1) + b":" + str(download.status_code).encode() + b":" + download.content

    return str(response.status_code).encode() + b" " + URL_FIELDS.sub(served, body)


def reads(server: ThreadedServer, namespace: str, deep: int = 2, downloads: bool = True) -> dict[str, bytes]:
    """Every read operation: listings, every session's details and participants, and for the newest
    ``deep`` sessions of each app, the oldest and the hand-made one: participants' details, peer reports,
    chat, transcripts and summary with what their download URLs serve (transcripts: one format)."""
    answers: dict[str, bytes] = {}
    with httpx.Client(base_url=f"{server.url}/_ns/{namespace}", timeout=30) as http:
        for token, base in APPS:
            answers[base] = listing = _get(http, token, base, per_page=100)
            queries: tuple[dict[str, Any], ...] = (
                {"status": "LIVE"}, {"sort_by": "minutesConsumed", "sort_order": "ASC"},
                {"search": "sync", "participants": "2-"})
            for params in queries:
                answers[f"{base}?{params}"] = _get(http, token, base, **params)
            ids = [s["id"] for s in json.loads(listing.split(b" ", 1)[1])["data"]["sessions"]]
            for session_id in ids:
                path = f"{base}/{session_id}"
                answers[path] = _get(http, token, path, include_breakout_rooms="true")
                answers[f"{path}/participants"] = _get(http, token, f"{path}/participants", sort_by="duration",
                                                       view="consolidated", per_page=100)
            for session_id in {*ids[:deep], *ids[-1:], *({SESSION_ID} & set(ids))}:
                path = f"{base}/{session_id}"
                people = _get(http, token, f"{path}/participants", include_peer_events="true", per_page=100)
                answers[f"{path}/participants?events"] = people
                peers = [p["id"] for p in json.loads(people.split(b" ", 1)[1])["data"]["participants"]]
                for peer in peers[:2]:
                    answers[f"{path}/participants/{peer}"] = _get(http, token, f"{path}/participants/{peer}",
                                                                  include_peer_events="true")
                    answers[f"peer/{peer}"] = _get(http, token, f"{base}/peer-report/{peer}")
                answers[f"{path}/chat"] = _get(http, token, f"{path}/chat", downloads)
                for kind in ("CSV", "JSON", "SRT", "VTT"):
                    answers[f"{path}/transcript/{kind}"] = _get(http, token, f"{path}/transcript",
                                                                downloads and kind == "VTT",
                                                                format=kind)
                answers[f"{path}/summary"] = _get(http, token, f"{path}/summary", downloads)
    return answers


def _write(server: ThreadedServer, namespace: str) -> list[str]:
    """Every write RealtimeKit has: the admin seed, and summaries requested (one of a hand-made session)."""
    base = f"{server.url}/_ns/{namespace}"
    stored = httpx.post(f"{base}/_sim/realtimekit/sessions", json=[record()])
    assert stored.status_code == 201, stored.text
    auth = {"Authorization": f"Bearer {NORTHWIND_TOKEN}"}
    listing = httpx.get(f"{base}{sessions_path()}", params={"per_page": 100}, headers=auth)
    newest = [s["id"] for s in listing.json()["data"]["sessions"] if s["status"] == "ENDED"]
    asked = [SESSION_ID, newest[0]]  # the newest ended seeded session has no summary yet
    for session_id in asked:
        generated = httpx.post(f"{base}{sessions_path()}/{session_id}/summary", headers=auth)
        assert generated.json()["data"]["status"] == "IN_PROGRESS", generated.text
    return asked


def _advance(server: ThreadedServer, namespace: str, seconds: float) -> None:
    moved = httpx.post(f"{server.url}/_ns/{namespace}/_sim/clock/advance", json={"seconds": seconds})
    assert moved.status_code == 200, moved.text


def test_a_loaded_namespace_answers_every_read_with_the_same_bytes(
        running: tuple[ThreadedServer, Registry]) -> None:
    server, registry = running
    asked = _write(server, "rtk-dump")
    _advance(server, "rtk-dump", 30)  # now is past the start: the document carries both
    document = json.loads(json.dumps(statedoc.dump(registry.get("rtk-dump"))))
    assert set(document["vendors"]["realtimekit"]) == {"sessions"}
    statedoc.load(registry.get("rtk-load"), document)
    before = reads(server, "rtk-dump")
    assert before == reads(server, "rtk-load")
    # The summaries asked for become ready at the same instant in both, with the same text.
    for namespace in ("rtk-dump", "rtk-load"):
        _advance(server, namespace, 60)
    after = reads(server, "rtk-dump")
    assert after == reads(server, "rtk-load")
    for session_id in asked:
        path = f"{sessions_path()}/{session_id}/summary"
        assert before[path].startswith(b"404") and after[path].startswith(b"200 "), (before[path], after[path])


def test_the_schema_describes_what_dump_gives(running: tuple[ThreadedServer, Registry]) -> None:
    server, registry = running
    _write(server, "rtk-schema")
    tables = statedoc.dump(registry.get("rtk-schema"))["vendors"]["realtimekit"]
    jsonschema_rs.meta.validate(SCHEMA)
    jsonschema_rs.Draft202012Validator(SCHEMA).validate(json.loads(json.dumps(tables)))
    broken = copy.deepcopy(tables)
    next(iter(broken["sessions"].values()))["participants"][0]["extra"] = 1
    assert not jsonschema_rs.Draft202012Validator(SCHEMA).is_valid(broken)


def _breakers(session_id: str) -> list[tuple[str, Any]]:
    """(what the message names, how the session record is broken)."""

    def app(session: dict[str, Any]) -> None:
        session["app_id"] = "no-such-app"

    def room(session: dict[str, Any]) -> None:
        session["participants"][-1]["room"] = len(session["breakout_rooms"])

    def times(session: dict[str, Any]) -> None:
        session["participants"][0]["left_at"] = session["participants"][0]["joined_at"]

    def owner(session: dict[str, Any]) -> None:
        session["participants"][0]["session_id"] = "another-session"

    return [(f"realtimekit.sessions.{session_id}: app 'no-such-app' is not in the fixtures", app),
            (f"realtimekit.sessions.{session_id}.participants.", room),
            (f"realtimekit.sessions.{session_id}.participants.0: left_at", times),
            (f"realtimekit.sessions.{session_id}.participants.0: session_id", owner)]


def test_a_record_the_rules_refuse_names_itself_and_leaves_the_namespace_as_it_was(
        running: tuple[ThreadedServer, Registry]) -> None:
    server, registry = running
    _write(server, "rtk-source")
    document = json.loads(json.dumps(statedoc.dump(registry.get("rtk-source"))))
    _advance(server, "rtk-target", 5)
    before = reads(server, "rtk-target", deep=0, downloads=False)
    for named, breaker in _breakers(SESSION_ID):
        broken = copy.deepcopy(document)
        breaker(broken["vendors"]["realtimekit"]["sessions"][SESSION_ID])
        with pytest.raises(StateError, match=re.escape(named)):
            statedoc.load(registry.get("rtk-target"), broken)
        assert reads(server, "rtk-target", deep=0, downloads=False) == before


def test_a_participant_in_two_sessions_is_refused(running: tuple[ThreadedServer, Registry]) -> None:
    _server, registry = running
    registry.get("rtk-twice").state("realtimekit")  # seeded: in the document
    document = json.loads(json.dumps(statedoc.dump(registry.get("rtk-twice"))))
    sessions = document["vendors"]["realtimekit"]["sessions"]
    first, second = list(sessions)[:2]
    taken = sessions[first]["participants"][0]["id"]
    sessions[second]["participants"][0]["id"] = taken
    with pytest.raises(StateError, match=f"participant '{taken}' is already in a session"):
        statedoc.load(registry.get("rtk-twice-target"), document)
    assert not registry.get("rtk-twice-target").is_seeded("realtimekit")
