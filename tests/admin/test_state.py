"""GET/PUT /_sim/state, the published schema, and copying namespaces.

A small test-only vendor with a record codec (tests/admin/notes_vendor.py) stands for the vendors'
records; faults, rate limits and fuzzing use the real vendors' operations.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.admin.notes_vendor import SLOW_DUMP, WITH_NOTES
from tests.support import WebhookReceiver, make_settings, prevail_token

_names = itertools.count(1)
KOREAI_LIST = "/api/public/bot/st-1/v2/recordings"


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    with ThreadedServer(create_app(make_settings(max_body_bytes=2_000_000), WITH_NOTES)) as running:
        yield running


def _client(server: ThreadedServer, name: str | None = None) -> httpx.Client:
    name = name or f"s{next(_names)}"
    return httpx.Client(base_url=f"{server.url}/_ns/{name}", timeout=10)


@pytest.fixture
def ns(server: ThreadedServer) -> Iterator[httpx.Client]:
    with _client(server) as client:
        yield client


@pytest.fixture
def other(server: ThreadedServer) -> Iterator[httpx.Client]:
    with _client(server) as client:
        yield client


def _name(client: httpx.Client) -> str:
    return client.base_url.path.strip("/").rsplit("/", 1)[-1]


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def _state(client: httpx.Client) -> dict[str, Any]:
    return dict(_ok(client.get("/_sim/state")))


def _busy_namespace(client: httpx.Client) -> None:
    """Records, a timed effect, a fault rule with a random stream in use, a rate limit, a fuzz plan."""
    _ok(client.put("/notes/v1/notes/n1", json={"text": "first", "ttl": 60}))
    _ok(client.post("/_sim/faults", json={"match": {"vendor": "koreai"}, "when": {"probability": 0.5},
                                          "effect": {"status": 429}}), 201)
    _ok(client.put("/_sim/rate-limits", json={"vendor": "prevail", "capacity": 3, "refill_per_second": 0.01,
                                               "per": "namespace"}))
    _ok(client.put("/_sim/fuzz", json={"seed": 5, "rate": 0.25, "vendors": ["realtimekit"]}))
    for _ in range(3):
        client.get(KOREAI_LIST)
    client.get("/api/v1/session_requests")


# --- GET ------------------------------------------------------------------------------------------

def test_the_document_holds_records_effects_faults_rate_limits_and_fuzz(ns: httpx.Client) -> None:
    _busy_namespace(ns)
    document = _state(ns)
    assert document["format"] == 1 and document["seed"] == 7 and document["empty"] is False
    assert document["clock"]["frozen"] is True and document["clock"]["token_clock"] == "wall"
    assert document["vendors"]["notes"]["notes"]["n1"] == "first"
    assert sorted(document["vendors"]["notes"]["notes"]) == ["n1", "seeded-0", "seeded-1"]
    [effect] = document["effects"]
    assert effect == {"vendor": "notes", "name": "expire", "args": {"id": "n1"},
                      "due": document["clock"]["now"] + 60, "label": "note n1 expires"}
    [rule] = document["faults"]["rules"]
    assert rule["id"] == "f1" and rule["matched"] == 3 and "chance" in rule and "delays" not in rule
    assert document["faults"]["next_id"] == 2
    [limit] = document["rate_limits"]
    assert limit["vendor"] == "prevail" and limit["capacity"] == 3 and len(limit["buckets"]) == 1
    assert limit["buckets"][0]["tokens"] == 2  # one of three tokens taken
    assert document["fuzz"]["seed"] == 5 and document["fuzz"]["vendors"] == ["realtimekit"]
    assert document["webhooks"] == {"next_id": 1, "deliveries": [], "held": []}


def test_untouched_vendors_are_left_out(ns: httpx.Client) -> None:
    assert _state(ns)["vendors"] == {}


# --- PUT: round trips -----------------------------------------------------------------------------

def test_a_loaded_namespace_answers_the_same_bytes_and_fires_effects_at_the_same_instants(
        ns: httpx.Client, other: httpx.Client) -> None:
    _busy_namespace(ns)
    _ok(ns.post("/_sim/clock/advance", json={"seconds": 10}))
    loaded = _ok(other.put("/_sim/state", json=_state(ns)))
    # every touched vendor whose records are data: notes, and the real vendors the fault and rate limit calls met
    assert loaded["vendors"] == sorted(_state(ns)["vendors"]) and "notes" in loaded["vendors"]
    assert loaded["effects"] == 1
    assert other.get("/notes/v1/notes").content == ns.get("/notes/v1/notes").content
    assert other.get("/_sim/clock").json()["now"] == ns.get("/_sim/clock").json()["now"]
    for client in (ns, other):
        _ok(client.post("/_sim/clock/advance", json={"seconds": 49.5}))
        assert "n1" in client.get("/notes/v1/notes").json()
        _ok(client.post("/_sim/clock/advance", json={"seconds": 0.5}))
        assert "n1" not in client.get("/notes/v1/notes").json()


def test_fault_counters_and_random_draws_continue_where_they_were(ns: httpx.Client, other: httpx.Client) -> None:
    _busy_namespace(ns)
    _ok(other.put("/_sim/state", json=_state(ns)))
    assert other.get("/_sim/faults").json() == ns.get("/_sim/faults").json()
    here = [ns.get(KOREAI_LIST).status_code for _ in range(24)]
    there = [other.get(KOREAI_LIST).status_code for _ in range(24)]
    assert here == there and 429 in here and set(here) != {429}
    assert other.get("/_sim/faults").json() == ns.get("/_sim/faults").json()


def test_rate_limit_buckets_keep_their_tokens(ns: httpx.Client, other: httpx.Client) -> None:
    _busy_namespace(ns)
    _ok(other.put("/_sim/state", json=_state(ns)))
    answers = [other.get("/api/v1/session_requests") for _ in range(3)]
    assert [a.headers.get("RateLimit-Remaining") for a in answers[:2]] == ["1", "0"]
    assert answers[2].status_code == 429


def test_the_fuzz_plan_comes_along(ns: httpx.Client, other: httpx.Client) -> None:
    _busy_namespace(ns)
    _ok(other.put("/_sim/state", json=_state(ns)))
    assert other.get("/_sim/fuzz").json() == ns.get("/_sim/fuzz").json()


def test_a_webhook_retry_waiting_in_a_saved_namespace_is_delivered_by_the_loaded_one(
        ns: httpx.Client, other: httpx.Client) -> None:
    with WebhookReceiver(failures=1) as receiver:
        _ok(ns.put("/notes/v1/notes/n1", json={"text": "hello", "hook": receiver.url}))
        deadline = time.monotonic() + 5
        while not (pending := _state(ns)["webhooks"]["deliveries"]) or pending[0]["attempt"] < 2:
            ns.get("/notes/v1/notes")  # each request drains the queue: the first attempt goes out
            assert time.monotonic() < deadline, "the first attempt was not made"
            time.sleep(0.02)
        [retry] = pending
        assert retry["url"] == receiver.url and retry["event"] == "saved" and retry["vendor"] == "notes"
        assert retry["payload"] == {"id": "n1", "text": "hello"}
        now = _state(ns)["clock"]["now"]
        assert now + 1 <= retry["due"] <= now + 1.25  # the first retry waits 1 s plus up to 25%
        _ok(other.put("/_sim/state", json=_state(ns)))
        assert _state(other)["webhooks"] == _state(ns)["webhooks"]
        _ok(ns.delete(f"/_sim/namespaces/{_name(ns)}"), 204)
        _ok(other.post("/_sim/clock/advance", json={"seconds": retry["due"] - now - 0.01}))
        other.get("/notes/v1/notes")
        time.sleep(0.2)
        assert receiver.received == []  # not due yet
        _ok(other.post("/_sim/clock/advance", json={"seconds": 0.02}))
        deadline = time.monotonic() + 5
        while not receiver.received:
            assert time.monotonic() < deadline, "the retry was not delivered"
            time.sleep(0.02)
        assert receiver.received == [b'{"id":"n1","text":"hello"}']


def test_a_delivery_held_back_by_a_reorder_rule_is_held_by_the_loaded_namespace(
        ns: httpx.Client, other: httpx.Client) -> None:
    with WebhookReceiver() as receiver:
        remote = {"title": "t", "case": "c", "start_date": "2025-01-28", "start_time": "01:30 AM", "time_zone": "UTC"}
        prevail = {"Authorization": f"Bearer {prevail_token()}"}
        created = _ok(ns.post("/api/v1/session_requests", headers=prevail, json={"session_request": {
            "postback_url": receiver.url, "remote_session": remote}}), 201)["requests"][0]
        _ok(ns.post("/_sim/faults", json={"match": {"vendor": "prevail", "webhook": "session_scheduled"},
                                          "effect": {"webhook": "reorder", "within": 30}}), 201)
        _ok(ns.post(f"/_sim/prevail/session_requests/{created['id']}/schedule"))
        [held] = _state(ns)["webhooks"]["held"]
        now = _state(ns)["clock"]["now"]
        assert held["until"] == now + 30 and held["after"] is None and held["event"].startswith("session_scheduled")
        _ok(other.put("/_sim/state", json=_state(ns)))
        assert _state(other)["webhooks"] == _state(ns)["webhooks"]
        _ok(ns.delete(f"/_sim/namespaces/{_name(ns)}"), 204)
        _ok(other.post("/_sim/clock/advance", json={"seconds": 29}))
        time.sleep(0.2)
        assert receiver.received == []  # still held
        _ok(other.post("/_sim/clock/advance", json={"seconds": 1}))
        deadline = time.monotonic() + 5
        while not receiver.received:
            assert time.monotonic() < deadline, "the held delivery was not sent at its deadline"
            time.sleep(0.02)
        assert b"jwt_payload" in receiver.received[0]


# --- PUT: refused documents -----------------------------------------------------------------------

def _broken(document: dict[str, Any], how: str) -> dict[str, Any]:
    broken: dict[str, Any] = {**document}
    if how == "clock":
        broken["clock"] = {**document["clock"], "now": "noon"}
    elif how == "unknown vendor":
        broken["vendors"] = {**document["vendors"], "acme": {}}
    elif how == "record type":
        broken["vendors"] = {"notes": {"notes": {"n2": 42}}}
    elif how == "reserved key":
        broken["vendors"] = {"notes": {"notes": {"_n": "x"}}}
    elif how == "unknown effect":
        broken["effects"] = [{**document["effects"][0], "name": "explode"}]
    elif how == "fault rule":
        rule = document["faults"]["rules"][0]
        broken["faults"] = {**document["faults"], "rules": [{**rule, "rule": {**rule["rule"], "match": {
            "vendor": "koreai", "operation": "noSuchOperation"}}}]}
    elif how == "random state":
        rule = document["faults"]["rules"][0]
        broken["faults"] = {**document["faults"], "rules": [{**rule, "chance": {**rule["chance"], "internal": [1]}}]}
    elif how == "fuzz mutation":
        broken["fuzz"] = {**document["fuzz"], "mutations": ["explode"]}
    elif how == "format":
        broken["format"] = 99
    elif how == "missing":
        del broken["effects"]
    return broken


REFUSALS = {
    "clock": "body.clock.now",
    "unknown vendor": "body.vendors",
    "record type": "body.vendors.notes.notes.n2",
    "reserved key": "body.vendors.notes.notes._n",
    "unknown effect": "body.effects.0",
    "fault rule": "body.faults.rules.0.rule",
    "random state": "body.faults.rules.0.chance.internal",
    "fuzz mutation": "body.fuzz.mutations.0",
    "format": "body.format",
    "missing": "body.effects",
}


CONFLICTS = {"unknown effect", "fault rule", "reserved key"}  # fit the schema, not this server's specs: 409


@pytest.mark.parametrize("how", list(REFUSALS))
def test_a_bad_document_gets_400_naming_the_field_and_changes_nothing(
        how: str, ns: httpx.Client, other: httpx.Client) -> None:
    _busy_namespace(ns)
    document = _state(ns)
    _busy_namespace(other)
    _ok(other.put("/notes/v1/notes/mine", json={"text": "kept", "ttl": 5}))
    _ok(other.post("/_sim/clock/advance", json={"seconds": 1}))
    before = _state(other)
    answer = other.put("/_sim/state", json=_broken(document, how))
    assert answer.status_code == (409 if how in CONFLICTS else 400), answer.text
    error = answer.json()["error"]
    assert [v["field"] for v in error["violations"]] == [REFUSALS[how]], error
    assert _state(other) == before
    assert other.get("/notes/v1/notes").json()["mine"] == "kept"


def test_the_schema_is_published_with_every_vendors_tables(ns: httpx.Client) -> None:
    schema = _ok(ns.get("/_sim/state/schema"))
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["properties"]["vendors"]["properties"]["notes"]["properties"]["notes"]["type"] == "object"
    assert {"format", "seed", "clock", "vendors", "effects"} <= set(schema["required"])


def test_a_document_over_the_body_limit_gets_413_and_changes_nothing(ns: httpx.Client) -> None:
    _ok(ns.put("/notes/v1/notes/n1", json={"text": "kept"}))
    before = _state(ns)
    document = {**before, "vendors": {"notes": {"notes": {f"k{n}": "x" * 190 for n in range(12_000)}}}}
    answer = ns.put("/_sim/state", json=document)
    assert answer.status_code == 413, answer.text
    assert _state(ns) == before


def test_a_hostile_document_is_refused_quickly(ns: httpx.Client) -> None:
    document = _state(ns)
    document["vendors"] = {"notes": {"notes": {f"k{n}": "x" * 201 for n in range(8_000)}}}
    started = time.monotonic()
    answer = ns.put("/_sim/state", json=document)
    assert answer.status_code == 400 and time.monotonic() - started < 2


def test_a_slow_dump_stalls_its_own_namespace_only(server: ThreadedServer, ns: httpx.Client,
                                                   other: httpx.Client) -> None:
    _ok(ns.put(f"/notes/v1/notes/{SLOW_DUMP}", json={"text": "takes a second to save"}))
    _ok(other.get("/notes/v1/notes"))  # seeded already: seeding shares the thread dumps run on
    done: dict[str, float] = {}

    def dump() -> None:
        _state(ns)
        done["dump"] = time.monotonic()

    worker = threading.Thread(target=dump)
    started = time.monotonic()
    worker.start()
    time.sleep(0.2)
    _ok(other.get("/notes/v1/notes"))
    assert "dump" not in done and time.monotonic() - started < 0.9  # another namespace is served meanwhile
    _ok(ns.get("/notes/v1/notes"))
    assert time.monotonic() - started >= 1.0  # its own requests waited for the dump (a 1 s sleep)
    worker.join()
    assert "dump" in done


# --- copy -----------------------------------------------------------------------------------------

def test_copy_clones_records_clock_effects_and_plans_but_not_the_journal(
        server: ThreadedServer, ns: httpx.Client) -> None:
    _busy_namespace(ns)
    source = _name(ns)
    target = f"copy-of-{source}"
    answer = _ok(httpx.post(f"{server.url}/_sim/namespaces/{source}/copy", json={"to": target}), 201)
    assert answer == {"namespace": target, "from": source, "vendors": sorted(_state(ns)["vendors"])}
    assert "notes" in answer["vendors"]
    with _client(server, target) as copy:
        assert copy.get("/_sim/journal").json()["entries"] == []
        assert _state(copy) == _state(ns)
        _ok(copy.put("/notes/v1/notes/only-here", json={"text": "x"}))
        assert "only-here" not in ns.get("/notes/v1/notes").json()


def test_copy_refuses_an_unknown_source_an_existing_target_and_a_bad_name(
        server: ThreadedServer, ns: httpx.Client) -> None:
    ns.get("/_sim/clock")  # creates it
    source = _name(ns)
    copy = f"{server.url}/_sim/namespaces/{{}}/copy"
    missing = httpx.post(copy.format("no-such-namespace"), json={"to": "x1"})
    assert missing.status_code == 404, missing.text
    assert httpx.post(copy.format(source), json={"to": source}).status_code == 409
    bad = httpx.post(copy.format(source), json={"to": "../nope"})
    assert bad.status_code == 400 and "body.to" in bad.json()["error"]["message"]
    assert "../nope" not in httpx.get(f"{server.url}/_sim/namespaces").json()["namespaces"]


def test_the_admin_spec_declares_the_schema_the_server_publishes() -> None:
    """specs/admin.yaml holds the state document's schema for the shipped vendors, as GET /_sim/state/schema
    gives it (without nested $schema): scripts/state_component.py rewrites it when a vendor's tables change."""
    import json

    from simulator.app import VENDORS
    from simulator.core.spec import Spec, specs_dir
    from simulator.core.stateschema import spec_component

    declared = Spec.load(specs_dir() / "admin.yaml").document["components"]["schemas"]["StateDocument"]
    published = spec_component({plugin.name: plugin.records for plugin in VENDORS if plugin.records is not None})
    assert json.loads(json.dumps(declared)) == json.loads(json.dumps(published)), "run scripts/state_component.py"
