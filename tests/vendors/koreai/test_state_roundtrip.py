"""Kore.ai state as data: dump a namespace, load it into another, and every read answers the same."""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from simulator.app import create_app
from simulator.core import statedoc
from simulator.core.records import StateError
from simulator.core.store import Registry
from simulator.testing.server import ThreadedServer
from simulator.vendors.koreai import PLUGIN
from simulator.vendors.koreai.records import SCHEMA
from tests.support import Sim, make_settings
from tests.vendors.koreai.helpers import (
    CONTOSO,
    CONTOSO_BOT,
    MEDIA_DELAY,
    NORTHWIND,
    NORTHWIND_BOT,
    NORTHWIND_OTHER_BOT,
    README_SESSION,
    Koreai,
)

BOTS = {NORTHWIND_BOT: NORTHWIND, NORTHWIND_OTHER_BOT: NORTHWIND, CONTOSO_BOT: CONTOSO}
_names = itertools.count(1)


@pytest.fixture(scope="module")
def app() -> Starlette:
    return create_app(make_settings())


@pytest.fixture(scope="module")
def running(app: Starlette) -> Iterator[ThreadedServer]:
    with ThreadedServer(app) as server:
        yield server


@pytest.fixture
def registry(app: Starlette) -> Registry:
    found: Registry = app.state.registry
    return found


@pytest.fixture
def world(running: ThreadedServer) -> Iterator[Callable[[], Sim]]:
    """Clients of fresh namespaces of the module's server, closed after the test."""
    opened: list[Sim] = []

    def make() -> Sim:
        name = f"kstate{next(_names)}"
        sim = Sim(f"{running.url}/_ns/{name}", name)
        opened.append(sim)
        return sim

    yield make
    for sim in opened:
        sim.close()


def _clients(sim: Sim) -> dict[str, httpx.Client]:
    return {app: Koreai(sim, app).http for app in (NORTHWIND, CONTOSO)}


def _write_everything(sim: Sim) -> dict[str, Any]:
    """Every Kore.ai write: the admin seed operation (chosen and generated ids), hang-up, deletion."""
    kore = Koreai(sim)
    try:
        chosen = kore.start_call(session_id="handmade-1", duration_seconds=300, recordings=3, user_id="+15550100")
        kore.start_call(CONTOSO_BOT, session_id="no-media", duration_seconds=60, has_media=False)
        open_ended = kore.start_call(NORTHWIND_OTHER_BOT)
        sim.advance(90)
        kore.end_call(open_ended["session_id"])
        deleted = kore.delete(README_SESSION)
        assert deleted.status_code == 200 and deleted.json()["deletedRecordings"] == 1, deleted.text
        return {"chosen": chosen["session_id"], "generated": open_ended["session_id"]}
    finally:
        kore.close()


def _reads(sim: Sim) -> list[tuple[str, int, bytes]]:
    """What every Kore.ai read answers in ``sim``'s namespace: calls, recordings, media metadata and bytes."""
    answers: list[tuple[str, int, bytes]] = []
    listed = sim.http.get("/_sim/koreai/calls")
    answers.append(("calls", listed.status_code, listed.content))
    for bot in BOTS:
        response = sim.http.get("/_sim/koreai/calls", params={"bot_id": bot})
        answers.append((f"calls {bot}", response.status_code, response.content))
    clients = _clients(sim)
    try:
        for voice_call in listed.json()["calls"]:
            client = clients[BOTS[voice_call["bot_id"]]]
            path = f"/api/public/bot/{voice_call['bot_id']}/v2/recordings"
            response = client.get(path, params={"sessionId": voice_call["session_id"]})
            answers.append((f"recordings {voice_call['session_id']}", response.status_code,
                            _same_namespace(response.content, sim.namespace)))
            for recording in response.json().get("recording", []):
                media = sim.http.get(recording["fileUrl"], headers={"Range": "bytes=0-4095"})
                meta = {k: media.headers.get(k) for k in ("content-type", "content-range", "content-disposition")}
                answers.append((f"media {recording['fileName']}", media.status_code,
                                json.dumps(meta).encode() + media.content))
    finally:
        for client in clients.values():
            client.close()
    return answers


def _same_namespace(body: bytes, namespace: str) -> bytes:
    """A recordings answer with its namespace's own parts (URL prefix, signature) written out.

    Signed URLs name and sign their namespace, so a copy in another namespace signs them differently;
    everything else (expiry, nonce, paths, names) must be the same bytes.
    """
    body = body.replace(f"/_ns/{namespace}/".encode(), b"/_ns/NS/")
    return re.sub(rb"&s=[^\"&]+", b"&s=SIG", body)


def _round_trip(registry: Registry, source: Sim, target: Sim) -> dict[str, Any]:
    document = json.loads(json.dumps(statedoc.dump(registry.get(source.namespace))))
    statedoc.load(registry.get(target.namespace), document)
    return dict(document)


def test_a_loaded_namespace_answers_every_read_as_the_dumped_one(registry: Registry, world: Callable[[], Sim]) -> None:
    source, target = world(), world()
    _write_everything(source)
    document = _round_trip(registry, source, target)

    tables = document["vendors"]["koreai"]
    jsonschema_rs.Draft202012Validator(SCHEMA).validate(tables)
    assert {"handmade-1", "no-media", README_SESSION} <= set(tables["calls"])
    assert _reads(target) == _reads(source)


def test_statuses_move_at_the_same_instants_after_loading(registry: Registry, world: Callable[[], Sim]) -> None:
    source, target = world(), world()
    _write_everything(source)
    _round_trip(registry, source, target)
    # call end (handmade-1 ends 300 s after it started), media ready (+120 s), URL expiry (a day)
    for step in (209, 1, MEDIA_DELAY - 1, 1, 3600, 86400):
        source.advance(step)
        target.advance(step)
        assert _reads(target) == _reads(source), f"after advancing {step} s"


def test_calls_generated_after_loading_get_the_ids_the_dumped_namespace_gives(
        registry: Registry, world: Callable[[], Sim]) -> None:
    source, target = world(), world()
    ids = _write_everything(source)
    document = _round_trip(registry, source, target)
    assert document["vendors"]["koreai"]["meta"] == {"counters": {"session_ids": 1}}

    made = [Koreai(sim).start_call(duration_seconds=30) for sim in (source, target)]
    assert made[0]["session_id"] == made[1]["session_id"] != ids["generated"]
    assert _reads(target) == _reads(source)


def _unknown_bot(calls: dict[str, Any]) -> None:
    calls["handmade-1"]["bot_id"] = "st-unknown"


def _other_apps_bot(calls: dict[str, Any]) -> None:
    calls["handmade-1"]["app_id"] = CONTOSO


def _key_is_not_the_session(calls: dict[str, Any]) -> None:
    calls["handmade-2"] = calls.pop("handmade-1")


def _fewer_hashes_than_files(calls: dict[str, Any]) -> None:
    calls["handmade-1"]["file_hashes"] = calls["handmade-1"]["file_hashes"][:1]


def _media_without_files(calls: dict[str, Any]) -> None:
    calls["handmade-1"].update(file_ids=[], file_hashes=[], weights=[])


def _files_without_media(calls: dict[str, Any]) -> None:
    calls["handmade-1"]["has_media"] = False


def _ends_before_it_starts(calls: dict[str, Any]) -> None:
    calls["handmade-1"]["ends_at"] = calls["handmade-1"]["started_at"] - 1


def _file_of_another_call(calls: dict[str, Any]) -> None:
    calls["handmade-1"]["file_ids"][0] = calls[README_SESSION]["file_ids"][0]


@pytest.mark.parametrize(("change", "message"), [
    (_unknown_bot, "koreai.calls.handmade-1: bot 'st-unknown' is in no app of the fixtures"),
    (_other_apps_bot, f"koreai.calls.handmade-1: app_id '{CONTOSO}' does not own bot '{NORTHWIND_BOT}'"),
    (_key_is_not_the_session, "koreai.calls.handmade-2: session_id 'handmade-1' is not its key"),
    (_fewer_hashes_than_files, "koreai.calls.handmade-1: file_ids, file_hashes and weights"),
    (_media_without_files, "koreai.calls.handmade-1: a call with media needs at least one recording file"),
    (_files_without_media, "koreai.calls.handmade-1: a call without media has no recording files"),
    (_ends_before_it_starts, "koreai.calls.handmade-1: ends_at"),
    (_file_of_another_call, "koreai.calls."),
])
def test_a_record_the_rules_refuse_names_it_and_leaves_the_namespace_as_it_was(
        registry: Registry, world: Callable[[], Sim], change: Callable[[dict[str, Any]], None], message: str) -> None:
    source, target = world(), world()
    _write_everything(source)
    Koreai(target).start_call(session_id="already-here", duration_seconds=10)
    before, stored = _reads(target), statedoc.dump(registry.get(target.namespace))
    document = json.loads(json.dumps(statedoc.dump(registry.get(source.namespace))))
    broken = copy.deepcopy(document)
    change(broken["vendors"]["koreai"]["calls"])
    jsonschema_rs.Draft202012Validator(SCHEMA).validate(broken["vendors"]["koreai"])  # the schema admits it

    with pytest.raises(StateError, match=re.escape(message)):
        statedoc.load(registry.get(target.namespace), broken)
    assert statedoc.dump(registry.get(target.namespace)) == stored
    assert _reads(target) == before
    assert target.now() != source.now()  # the clock too: the target's never moved


def test_the_schema_is_draft_2020_12_and_refuses_what_no_call_can_hold() -> None:
    jsonschema_rs.meta.validate(SCHEMA)
    assert PLUGIN.records is not None and PLUGIN.records.schema is SCHEMA
    validator = jsonschema_rs.Draft202012Validator(SCHEMA)
    call = {"session_id": "s1", "bot_id": NORTHWIND_BOT, "app_id": NORTHWIND, "user_id": "+15550100",
            "started_at": 1737385200, "ends_at": None, "has_media": True, "file_ids": [],
            "file_hashes": [], "weights": [], "deleted": False}
    assert validator.is_valid({"calls": {"s1": call}, "meta": {"counters": {"session_ids": 0}}})
    for wrong in ({**call, "extra": 1}, {**call, "user_id": "x" * 257}, {**call, "file_hashes": ["xyz"]},
                  {**call, "weights": [0]}, {k: v for k, v in call.items() if k != "deleted"}):
        assert not validator.is_valid({"calls": {"s1": wrong}, "meta": {"counters": {"session_ids": 0}}}), wrong
    assert not validator.is_valid({"calls": {}})  # the counter is part of the state


_step = st.one_of(
    st.tuples(st.just("start"), st.sampled_from(sorted(BOTS)), st.booleans(),
              st.one_of(st.none(), st.integers(0, 600)), st.booleans(), st.integers(1, 3)),
    st.tuples(st.just("end"), st.integers(0, 7)),
    st.tuples(st.just("delete"), st.integers(0, 7)),
    st.tuples(st.just("advance"), st.integers(0, 400)),
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_step, max_size=8))
def test_any_sequence_of_calls_round_trips(registry: Registry, world: Callable[[], Sim],
                                           steps: list[tuple[Any, ...]]) -> None:
    source, target = world(), world()
    assert source.http.post("/_sim/reset", json={"empty": True}).status_code == 200
    started: list[dict[str, Any]] = []
    for step in steps:
        if step[0] == "start":
            _, bot, chosen, duration, has_media, recordings = step
            body: dict[str, Any] = {"bot_id": bot, "has_media": has_media, "recordings": recordings}
            if chosen:
                body["session_id"] = f"chosen-{len(started)}"
            if duration is not None:
                body["duration_seconds"] = duration
            response = source.http.post("/_sim/koreai/calls", json=body)
            assert response.status_code == 201, response.text
            started.append(response.json())
        elif step[0] == "advance":
            source.advance(step[1])
        elif started:
            made = started[step[1] % len(started)]
            if step[0] == "end":  # 409 once ended: refused writes count too
                assert source.http.post(f"/_sim/koreai/calls/{made['session_id']}/end").status_code in (200, 409)
            else:
                client = Koreai(source, BOTS[made["bot_id"]])
                assert client.delete(made["session_id"], made["bot_id"]).status_code in (200, 409)
                client.close()
    _round_trip(registry, source, target)
    assert _reads(target) == _reads(source)
    for sim in (source, target):
        sim.advance(1000)
    assert _reads(target) == _reads(source)
    made = [Koreai(sim).start_call() for sim in (source, target)]
    assert made[0] == made[1]
