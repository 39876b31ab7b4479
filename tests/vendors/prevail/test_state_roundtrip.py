"""Prevail's records as data: dump a namespace, load it into another, and every read answers the same.

Also: the seeded baseline is built once per process and shared read-only, a write in one namespace is
never seen in another, and a baseline shifted by whole days is exactly what seeding that day gives.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest

from simulator.app import create_app
from simulator.core import cachedir, statedoc
from simulator.core.clock import Clock, parse_instant
from simulator.core.records import StateError
from simulator.core.store import Namespace, Registry
from simulator.testing.server import ThreadedServer
from simulator.vendors.prevail import baseline, seed
from simulator.vendors.prevail.records import RECORDS, SCHEMA
from tests.support import make_settings, prevail_token
from tests.vendors.prevail.helpers import new_request

ACME, BRIGHTLINE = "acme-legal", "brightline-reporting"  # self-service off / on
DAY = 86400


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[ThreadedServer, Registry]]:
    app = create_app(make_settings())
    with ThreadedServer(app) as server:
        yield server, app.state.registry


def _client(server: ThreadedServer, namespace: str, slug: str = ACME) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/_ns/{namespace}", timeout=30,
                        headers={"Authorization": f"Bearer {prevail_token(slug)}"})


def _writes(server: ThreadedServer, namespace: str) -> None:
    """Every Prevail write: create (pending and self-served), the admin schedule, the admin seed."""
    with _client(server, namespace) as acme, _client(server, namespace, BRIGHTLINE) as brightline:
        first = acme.post("/api/v1/session_requests", json=new_request(title="first pending"))
        assert first.status_code == 201, first.text
        second = acme.post("/api/v1/session_requests", json=new_request(title="second pending",
                                                                           time_zone="Europe/Berlin"))
        assert second.status_code == 201, second.text
        served = brightline.post("/api/v1/session_requests", json=new_request(title="self served"))
        assert served.status_code == 201, served.text
        scheduled = acme.post(f"/_sim/prevail/session_requests/{first.json()['requests'][0]['id']}/schedule")
        assert scheduled.status_code == 200, scheduled.text
        listed = acme.get("/api/v1/session_requests", params={"items": 100}).json()["requests"]
        seeded_initial = next(r for r in listed if r["session_state"] == "initial"
                              and not r["remote_session"]["title"].endswith(" pending"))
        assert acme.post(f"/_sim/prevail/session_requests/{seeded_initial['id']}/schedule").status_code == 200
        handmade = acme.post("/_sim/prevail/session_requests", json=[
            {"id": 990001, "organisation": ACME, "state": "scheduled", "title": "Hand v. Made", "case": "1-case",
             "start_date": "2025-01-10", "start_time": "09:00 AM", "time_zone": "Eastern Time (US & Canada)",
             "estimated_duration_hours": 2, "remote_session_id": "hand-made-1",
             "deponent": {"name": "Ada Witness", "email": "ada@example.com", "role": "deponent"}},
            {"organisation": BRIGHTLINE, "title": "Hand v. Initial", "case": "2-case", "start_date": "2025-02-01",
             "start_time": "10:30 AM", "time_zone": "UTC", "file_number": "F-7"},
        ])
        assert handmade.status_code == 201, handmade.text


def _reads(server: ThreadedServer, namespace: str, transcripts: int = 4) -> list[Any]:
    """Every Prevail read, as bytes (presigned URLs without their namespace-bound signature)."""
    answers: list[Any] = []
    for slug in (ACME, BRIGHTLINE):
        with _client(server, namespace, slug) as client:
            for path in ("/api/v1/session_requests", "/api/v1/sessions"):
                page, pages = 1, 1
                while page <= pages:
                    response = client.get(path, params={"items": 25, "page": page})
                    answers.append((path, page, response.status_code, response.content))
                    pages = response.json()["pagy"]["pages"]
                    page += 1
            sessions = client.get("/api/v1/sessions", params={"items": 100}).json()["sessions"]
            for index, session in enumerate(sessions):
                remote_id = session["remote_session_id"]
                response = client.get(f"/api/v1/sessions/{remote_id}/recordings")
                recordings = response.json()["recordings"]
                for recording in recordings:
                    url = recording.pop("presigned_url")
                    recording["path"] = url.split("?")[0].replace(f"/_ns/{namespace}/", "/_ns/NS/")
                    if recording["filename"] == "complete-session-audio.mp4" and index < 3:
                        download = client.get(url.split(f"/_ns/{namespace}", 1)[1], headers={"Range": "bytes=0-63"})
                        recording["download"] = (download.status_code, download.headers.get("content-type"),
                                                 download.headers.get("content-range"), download.content)
                answers.append((remote_id, response.status_code, recordings))
                if index < transcripts or remote_id.startswith("hand"):
                    transcript = client.get(f"/api/v1/sessions/{remote_id}/transcripts")
                    answers.append((remote_id, transcript.status_code, transcript.content))
    return answers


def _advance(server: ThreadedServer, namespace: str, seconds: float) -> None:
    with httpx.Client(base_url=f"{server.url}/_ns/{namespace}", timeout=30) as admin:
        response = admin.post("/_sim/clock/advance", json={"seconds": seconds})
        assert response.status_code == 200, response.text


def _document(namespace: Namespace) -> dict[str, Any]:
    return dict(json.loads(json.dumps(statedoc.dump(namespace))))


def test_a_dumped_namespace_loads_into_another_and_answers_every_read_byte_for_byte(
        running: tuple[ThreadedServer, Registry]) -> None:
    server, registry = running
    _writes(server, "rt-source")
    source = registry.get("rt-source")
    document = _document(source)
    assert document["effects"], "the pending requests wait for their automatic scheduling"
    jsonschema_rs.validator_for(SCHEMA).validate(document["vendors"]["prevail"])
    statedoc.load(registry.get("rt-copy"), document)
    assert _document(registry.get("rt-copy")) == document
    assert _reads(server, "rt-copy") == _reads(server, "rt-source")
    # The pending automatic schedulings fire at the same instant, with the same sessions, in both.
    for namespace in ("rt-source", "rt-copy"):
        _advance(server, namespace, 3599)
    assert _reads(server, "rt-copy", 0) == _reads(server, "rt-source", 0)
    assert registry.get("rt-copy").queue.effects() == registry.get("rt-source").queue.effects() != ()
    for namespace in ("rt-source", "rt-copy"):
        _advance(server, namespace, 2)
    assert registry.get("rt-source").queue.effects() == () == registry.get("rt-copy").queue.effects()
    after = _reads(server, "rt-source")
    assert b"second pending" in b"".join(item[3] for item in after if item[0] == "/api/v1/sessions")
    assert _reads(server, "rt-copy") == after
    assert _document(registry.get("rt-copy"))["vendors"] == _document(registry.get("rt-source"))["vendors"]


def _broken(document: dict[str, Any], change: Any) -> dict[str, Any]:
    broken = copy.deepcopy(document)
    change(broken["vendors"]["prevail"])
    return broken


def _set_org(tables: dict[str, Any]) -> None:
    tables["session_requests"]["1001"]["organisation"] = "x"


def _drop_session(tables: dict[str, Any]) -> None:
    scheduled = next(r for r in tables["session_requests"].values() if r["remote_session_id"])
    del tables["sessions"][scheduled["remote_session_id"]]


def _lower_counter(tables: dict[str, Any]) -> None:
    tables["meta"]["counters"]["next_id"] = 1001


def _wrong_key(tables: dict[str, Any]) -> None:
    tables["session_requests"]["5"] = tables["session_requests"].pop("1001")


def _bad_zone(tables: dict[str, Any]) -> None:
    tables["session_requests"]["1001"]["remote_session"]["time_zone"] = "Mars/Olympus"


@pytest.mark.parametrize(("change", "message"), [
    (_set_org, "prevail.session_requests.1001: organisation 'x' is not in the fixtures"),
    (_drop_session, "is not in prevail.sessions"),
    (_lower_counter, "prevail.meta.counters: next_id 1001"),
    (_wrong_key, "prevail.session_requests.5: its id is 1001"),
    (_bad_zone, "prevail.session_requests.1001: unknown time zone 'Mars/Olympus'"),
])
def test_a_record_the_rules_refuse_is_named_and_leaves_the_target_as_it_was(
        running: tuple[ThreadedServer, Registry], change: Any, message: str) -> None:
    server, registry = running
    with _client(server, "rt-bad-source") as client:
        assert client.post("/api/v1/session_requests", json=new_request()).status_code == 201
    document = _document(registry.get("rt-bad-source"))
    target = registry.get(f"rt-bad-target-{change.__name__}")
    with _client(server, target.name) as client:
        assert client.post("/api/v1/session_requests", json=new_request(title="kept")).status_code == 201
    before = _document(target)
    reads = _reads(server, target.name, 0)
    broken = _broken(document, change)
    jsonschema_rs.validator_for(SCHEMA).validate(broken["vendors"]["prevail"])  # only the rules refuse it
    with pytest.raises(StateError, match=message.replace(".", r"\.").replace("(", r"\(")):
        statedoc.load(target, broken)
    assert _document(target) == before
    assert _reads(server, target.name, 0) == reads


def test_the_published_schema_refuses_what_no_record_holds(running: tuple[ThreadedServer, Registry]) -> None:
    _, registry = running
    tables = RECORDS.dump(registry.get("schema").state("prevail"))
    validator = jsonschema_rs.validator_for(SCHEMA)
    assert validator.is_valid(tables)
    changes: list[Callable[[dict[str, Any]], object]] = [
        lambda t: t["session_requests"]["1001"].update(extra=1),
        lambda t: t["session_requests"]["1001"].pop("starts_at"),
        lambda t: t["session_requests"]["1001"]["remote_session"].update(title="x" * 256),
        lambda t: t["session_requests"].update({"01": t["session_requests"]["1001"]}),
        lambda t: t["sessions"][next(iter(t["sessions"]))].update(recordings=[{"filename": "a"}]),
        lambda t: t["meta"]["counters"].update(next_id="1"),
        lambda t: t.update(organisations={}),
    ]
    for change in changes:
        broken = copy.deepcopy(tables)
        change(broken)
        assert not validator.is_valid(broken)


def test_a_write_in_one_namespace_is_never_seen_in_another_that_starts_from_the_baseline(
        running: tuple[ThreadedServer, Registry]) -> None:
    server, registry = running
    registry.get("share-a").state("prevail")
    _writes(server, "share-a")
    _advance(server, "share-a", 2 * 3600)  # the pending requests get their sessions too
    fresh = registry.get("share-b")
    dumped = RECORDS.dump(fresh.state("prevail"))
    ctx = fresh.context("prevail")
    generated = seed.generate(ctx, baseline.anchor_of(ctx))  # Faker again, sharing nothing
    assert dumped == {"session_requests": {str(k): RECORDS.dump_request(r) for k, r in generated.requests.items()},
                      "sessions": {k: RECORDS.dump_session(s) for k, s in generated.sessions.items()},
                      "meta": {"counters": {"next_id": generated.next_id}}}
    changed = RECORDS.dump(registry.get("share-a").state("prevail"))
    assert changed["session_requests"] != dumped["session_requests"]
    assert {key: dumped["session_requests"][key]["state"] for key in dumped["session_requests"]
            if changed["session_requests"][key]["state"] != dumped["session_requests"][key]["state"]}


def test_namespaces_share_one_seeding_per_process(running: tuple[ThreadedServer, Registry],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _, registry = running
    calls: list[float] = []
    real = seed.generate

    def counting(ctx: Any, anchor: float) -> baseline.Baseline:
        calls.append(anchor)
        return real(ctx, anchor)

    monkeypatch.setattr(seed, "generate", counting)
    monkeypatch.setenv(cachedir.CACHE_ENV, "off")  # count draws, not reads of a baseline kept from an earlier run
    baseline.forget()
    first = registry.get("once-1").state("prevail")
    second = registry.get("once-2").state("prevail")
    assert calls == [baseline.anchor_of(registry.get("once-1").context("prevail"))]
    assert RECORDS.dump(first) == RECORDS.dump(second)
    assert first.requests is not second.requests  # each namespace has its own tables


@pytest.mark.parametrize("days", [1, -3, 45, 170, 365])  # 45 and 170 cross DST changes from January 20
def test_a_baseline_shifted_by_whole_days_is_what_seeding_that_day_gives(
        running: tuple[ThreadedServer, Registry], days: int) -> None:
    _, registry = running
    ctx = registry.get("shift").context("prevail")
    anchor = baseline.anchor_of(ctx)
    moved = baseline.shifted(seed.generate(ctx, anchor), anchor + days * DAY)
    direct = seed.generate(ctx, anchor + days * DAY)
    assert [RECORDS.dump_request(r) for r in moved.requests.values()] == \
        [RECORDS.dump_request(r) for r in direct.requests.values()]
    assert [RECORDS.dump_session(s) for s in moved.sessions.values()] == \
        [RECORDS.dump_session(s) for s in direct.sessions.values()]


def test_a_namespace_starting_on_another_day_gets_that_days_records(running: tuple[ThreadedServer, Registry]) -> None:
    _, registry = running
    later = registry.get("other-day")
    later.clock = Clock(parse_instant("2025-07-04T12:00:00Z").timestamp(), True)  # as a loaded document sets it
    ctx = later.context("prevail")
    assert RECORDS.dump(later.state("prevail")) == RECORDS.dump(seed.seeded(ctx)) != \
        RECORDS.dump(registry.get("this-day").state("prevail"))
    direct = seed.generate(ctx, baseline.anchor_of(ctx))
    assert [RECORDS.dump_request(r) for r in later.state("prevail").requests.values()] == \
        [RECORDS.dump_request(r) for r in direct.requests.values()]
