"""A Vonage namespace dumped as one document and loaded into a fresh one answers every read the same."""

from __future__ import annotations

import copy
import json
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
from simulator.vendors.vonage.records import RECORDS
from tests.support import make_settings
from tests.vendors.vonage.helpers import EU, US, conversation, search

TODAY = ("2025-01-20", "2025-01-20")
WINDOWS = (("2024-10-22", "2024-12-20"), ("2024-12-21", "2025-01-20"), ("2020-10-01", "2020-10-30"))


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[ThreadedServer, Registry]]:
    app = create_app(make_settings())
    with ThreadedServer(app) as server:
        yield server, app.state.registry


def _api(server: ThreadedServer, namespace: str, account: dict[str, Any] = US) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/_ns/{namespace}", timeout=30,
                        headers={"X-Vgai-Key": account["api_key"]})


def _write(server: ThreadedServer, namespace: str) -> dict[str, str]:
    """Every write Vonage has, through the API: stores (new, replacing a seeded one, a new dynamic field),
    deletes (seeded and stored). Returns ids the reads look at."""
    api, admin = _api(server, namespace), httpx.Client(base_url=f"{server.url}/_ns/{namespace}", timeout=30)
    seeded = search(api, *WINDOWS[1], page_size=3, sort_by="session_start_time:asc").json()["hits"]
    replaced, deleted = seeded[0]["id"], seeded[1]
    stored = [conversation("stored-1", tags=("cat", "dog")), conversation("stored-2", user=("Ada",), priority=3),
              conversation("gone", colour="red"), {**conversation("eu-1"), "account_id": EU["account_id"]},
              {**copy.deepcopy(seeded[0]), "channel": "http", "note": "replaced by hand"}]
    assert admin.post("/_sim/vonage/sessions", json=stored).status_code == 201
    assert admin.post("/_sim/vonage/sessions", json=[conversation("no-account-field")],
                      params={"account_id": US["account_id"]}).status_code == 201
    day = deleted["session_start_time"][:10]
    assert api.delete(f"/insights/sessions/{deleted['id']}", params={"session_start_time": day}).status_code == 200
    assert api.delete("/insights/sessions/gone", params={"session_start_time": "2020-10-08"}).status_code == 200
    return {"replaced": replaced, "deleted": deleted["id"], "voice": next(
        hit["id"] for hit in seeded if hit["channel"] == "voice" and hit["status"] == "ended")}


def _reads(server: ThreadedServer, namespace: str, ids: dict[str, str]) -> list[tuple[int, bytes]]:
    api, eu = _api(server, namespace), _api(server, namespace, EU)
    answers = []
    for start, end in (*WINDOWS, TODAY):
        for sort in ("session_start_time:asc", "session_start_time:desc", "agent_information:asc", ""):
            response = search(api, start, end, page_size=1000, **({"sort_by": sort} if sort else {}))
            answers.append((response.status_code, response.content))
        answers.append(_answer(search(api, start, end, page_size=7, page_number=2)))
        answers.append(_answer(search(eu, start, end, page_size=50)))
    for params in ({"filter_by": {"must": [{"term": {"colour": "red"}}]}},  # learned from a deleted document
                   {"filter_by": {"must": [{"range": {"priority": {"gte": 2}}}]}},
                   {"filter_by": {"must": [{"term": {"status": "in_progress"}}]}},
                   {"filter_by": {"must": [{"match": {"note": "hand"}}]}},
                   {"project_fields": ["id", "tags", "colour"], "sort_by": "colour:asc"},
                   {"sort_by": "priority:desc"}):
        answers.append(_answer(search(api, "2020-01-01", "2025-01-21", page_size=20, **params)))
    for session_id in (*ids.values(), "stored-1", "stored-2", "no-account-field", "gone", "eu-1"):
        answers.append(_answer(api.get(f"/insights/sessions/{session_id}")))
        answers.append(_answer(api.get(f"/insights/sessions/search/{session_id}")))
        answers.append(_answer(api.get(f"/insights/sessions/{session_id}/parameters",
                                       params={"session_start_time": "2020-10-08"})))
    voice = api.get(f"/insights/sessions/{ids['voice']}").json()
    recordings = [voice["channel_data"]["audio_url"]] + [p["audio_url"] for p in voice["params_list"]
                                                         if "audio_url" in p]
    files = httpx.Client(base_url=f"{server.url}/_ns/{namespace}/_sim/files/vonage", timeout=30)
    answers += [_answer(files.get(f"/{path}")) for path in recordings]
    return answers


def _answer(response: httpx.Response) -> tuple[int, bytes]:
    return response.status_code, response.content


def _copy(registry: Registry, source: str, target: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(statedoc.dump(registry.get(source))))
    statedoc.load(registry.get(target), document)
    return document


def test_dump_and_load_answer_every_read_byte_for_byte(running: tuple[ThreadedServer, Registry]) -> None:
    server, registry = running
    ids = _write(server, "rt-source")
    document = _copy(registry, "rt-source", "rt-target")
    tables = document["vendors"]["vonage"]
    assert "colour" in tables["fields"] and tables["ending"]
    # the seeded baseline is regenerated from the seed and clock start: only what changed is a record
    assert len(tables["sessions"]) == 5 and len(tables["hidden"]) == 2
    assert len(json.dumps(tables)) < 200_000
    before = _reads(server, "rt-source", ids)
    assert _reads(server, "rt-target", ids) == before
    assert sum(status == 200 for status, _ in before) >= 30
    assert {status for status, _ in before} >= {200, 404}


def test_calls_in_progress_end_at_the_same_instants_after_a_load(running: tuple[ThreadedServer, Registry]) -> None:
    server, registry = running
    registry.get("rt-ending").state("vonage")
    _copy(registry, "rt-ending", "rt-ending-copy")
    source, target = registry.get("rt-ending"), registry.get("rt-ending-copy")
    pending = [(effect.name, dict(effect.args), effect.due) for effect in source.queue.effects()]
    assert [(e.name, dict(e.args), e.due) for e in target.queue.effects()] == pending
    assert pending and all(name == "call_ends" for name, _, _ in pending)
    first = min(due for _, _, due in pending)
    for namespace in ("rt-ending", "rt-ending-copy"):  # just before the first call ends, then well after
        admin = httpx.Client(base_url=f"{server.url}/_ns/{namespace}", timeout=30)
        advance = {"seconds": first - source.clock.start - 0.001}
        assert admin.post("/_sim/clock/advance", json=advance).status_code == 200
    running_now: dict[str, Any] = {"filter_by": {"must": [{"term": {"status": "in_progress"}}]}}
    assert (search(_api(server, "rt-ending"), *TODAY, **running_now).content
            == search(_api(server, "rt-ending-copy"), *TODAY, **running_now).content)
    in_us = [args for _, args, _ in pending if args["account_id"] == US["account_id"]]
    assert search(_api(server, "rt-ending-copy"), *TODAY, **running_now).json()["total"] == len(in_us)
    for namespace in ("rt-ending", "rt-ending-copy"):
        admin = httpx.Client(base_url=f"{server.url}/_ns/{namespace}", timeout=30)
        assert admin.post("/_sim/clock/advance", json={"seconds": 3600}).status_code == 200
    ended = [search(_api(server, name), *TODAY, page_size=100, sort_by="session_start_time:asc").content
             for name in ("rt-ending", "rt-ending-copy")]
    assert ended[0] == ended[1] and b'"in_progress"' not in ended[0]


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t["sessions"]["0"].update(account_id="nobody"), "vonage.sessions.0: account 'nobody' is not in"),
    (lambda t: t["sessions"]["1"]["document"].update(status={"an": "object"}), "vonage.sessions.1: field"),
    (lambda t: next(iter(t["ending"].values())).update(session_id="nope"), "session 'nope' is not stored"),
    (lambda t: next(iter(t["ending"].values()))["document"].update(id="other"), "finished document's id"),
    (lambda t: t["hidden"].update(x={"account_id": US["account_id"], "session_id": "nope"}),
     "vonage.hidden.x: the seeded sessions of account"),
], ids=["unknown-account", "mapping-conflict", "ending-of-no-session", "ending-of-another-session", "hidden-unknown"])
def test_a_bad_record_is_refused_by_name_and_the_namespace_stays_as_it_was(
        running: tuple[ThreadedServer, Registry], change: Any, message: str) -> None:
    server, registry = running
    _write(server, "rt-bad-source")
    document = json.loads(json.dumps(statedoc.dump(registry.get("rt-bad-source"))))
    target = registry.get("rt-bad-target")
    assert _api(server, "rt-bad-target").delete(
        "/insights/sessions/nope", params={"session_start_time": "2020-10-08"}).status_code == 404
    before = search(_api(server, "rt-bad-target"), *WINDOWS[1], page_size=1000).content
    change(document["vendors"]["vonage"])
    with pytest.raises(StateError, match=message.replace(".", r"\.")):
        statedoc.load(target, document)
    assert search(_api(server, "rt-bad-target"), *WINDOWS[1], page_size=1000).content == before


def test_an_empty_namespace_loads_without_its_baseline(running: tuple[ThreadedServer, Registry]) -> None:
    server, registry = running
    admin = httpx.Client(base_url=f"{server.url}/_ns/rt-empty", timeout=30)
    assert admin.post("/_sim/reset", json={"empty": True}).status_code == 200
    assert admin.post("/_sim/vonage/sessions", json=[conversation("only-one")]).status_code == 201
    _copy(registry, "rt-empty", "rt-empty-copy")
    answers = [search(_api(server, name), page_size=100).content for name in ("rt-empty", "rt-empty-copy")]
    assert answers[0] == answers[1] and b"only-one" in answers[0]
    assert search(_api(server, "rt-empty-copy"), *WINDOWS[1]).json()["total"] == 0


def test_the_schema_describes_what_dump_gives(running: tuple[ThreadedServer, Registry]) -> None:
    _, registry = running
    tables = RECORDS.dump(registry.get("rt-schema").state("vonage"))
    jsonschema_rs.meta.validate(dict(RECORDS.schema))
    jsonschema_rs.Draft202012Validator(dict(RECORDS.schema)).validate(json.loads(json.dumps(tables)))
    with pytest.raises(jsonschema_rs.ValidationError):
        jsonschema_rs.Draft202012Validator(dict(RECORDS.schema)).validate({**tables, "extra": {}})
