"""One session: get, get on a day, search by id, delete, its recording; and storing documents as given."""

from __future__ import annotations

import httpx
import orjson
import pytest

from tests.support import Sim
from tests.vendors.vonage.helpers import EU, EXAMPLE, US, client, conversation, empty, hit_ids, search, store

SESSION = EXAMPLE["id"]


@pytest.fixture
def example(sim: Sim) -> Sim:
    empty(sim)
    assert store(sim, [EXAMPLE]).status_code == 201
    return sim


def test_get_session_returns_the_document_as_stored(example: Sim) -> None:
    response = client(example).get(f"/insights/sessions/{SESSION}")
    assert response.status_code == 200 and response.json() == EXAMPLE
    assert client(example).get(f"/insights/sessions/search/{SESSION}").json() == EXAMPLE


def test_parameters_need_the_day_the_session_started(example: Sim) -> None:
    api = client(example)
    for day in ("2020-10-08", "2020-10-08T00:00:01", "2020-10-08T17:09:27.758983"):
        response = api.get(f"/insights/sessions/{SESSION}/parameters", params={"session_start_time": day})
        assert response.status_code == 200 and response.json()["id"] == SESSION
    response = api.get(f"/insights/sessions/{SESSION}/parameters", params={"session_start_time": "2020-10-09"})
    assert response.status_code == 404 and "2020-10-09" in response.json()["detail"]
    response = api.get(f"/insights/sessions/{SESSION}/parameters")
    assert response.status_code == 401 and "session_start_time" in response.text


def test_unknown_sessions_are_404(example: Sim) -> None:
    api = client(example)
    for path in ("/insights/sessions/nope", "/insights/sessions/search/nope"):
        assert api.get(path).status_code == 404
    assert client(example, EU).get(f"/insights/sessions/{SESSION}").status_code == 404  # another account's


def test_delete_then_gone(example: Sim) -> None:
    api = client(example)
    wrong_day = api.delete(f"/insights/sessions/{SESSION}", params={"session_start_time": "2020-10-07"})
    assert wrong_day.status_code == 404
    response = api.delete(f"/insights/sessions/{SESSION}", params={"session_start_time": "2020-10-08"})
    assert response.status_code == 200 and response.json() == {"id": SESSION, "deleted": True}
    assert api.get(f"/insights/sessions/{SESSION}").status_code == 404
    assert search(api).json()["total"] == 0
    assert api.delete(f"/insights/sessions/{SESSION}", params={"session_start_time": "2020-10-08"}).status_code == 404


def test_recording_is_served_as_long_as_the_call(example: Sim) -> None:
    audio_url = EXAMPLE["channel_data"]["audio_url"]
    response = httpx.get(f"{example.base}/_sim/files/vonage/{audio_url}")
    assert response.status_code == 200 and response.headers["content-type"] == "audio/mpeg"
    assert response.content[:2] == b"\xff\xfb" and len(response.content) == -(-27000 // 36) * 144
    ranged = httpx.get(f"{example.base}/_sim/files/vonage/{audio_url}", headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and ranged.content == response.content[:100]
    assert httpx.get(f"{example.base}/_sim/files/vonage/{US['account_id']}/x/nope.mp3").status_code == 404


def test_stored_documents_keep_only_their_fields_and_extra_fields_are_searchable(sim: Sim) -> None:
    empty(sim)
    sparse = {"id": "sparse", "session_start_time": "2020-10-01T00:00:00", "crm": {"ticket": "TCK-42 Urgent"},
              "score": 7, "vip": True, "followed_up": "2020-10-05T09:00:00Z"}
    response = store(sim, [sparse, {"status": "ended"}])
    assert response.status_code == 201 and response.json() == {"stored": 2, "ids": ["sparse", None]}
    api = client(sim)
    assert api.get("/insights/sessions/sparse").json() == sparse
    for clause in ({"match": {"crm.ticket": "urgent"}}, {"term": {"crm.ticket.keyword": "TCK-42 Urgent"}},
                   {"term": {"score": "7"}}, {"term": {"vip": "true"}},
                   {"range": {"followed_up": {"gte": "2020-10-05", "lte": "2020-10-05"}}}):
        assert hit_ids(search(api, filter_by={"must": [clause]})) == ["sparse"], clause
    assert search(api, filter_by={"must": [{"term": {"crm.ticket": "Urgent"}}]}).json()["total"] == 0
    assert hit_ids(search(api, sort_by="crm.ticket:asc")) == ["sparse"]  # text sorts by its .keyword value
    assert search(api, filter_by={"must": [{"exists": {"field": "status"}}]}).json()["total"] == 0


def test_a_document_that_does_not_fit_the_mapping_stores_nothing(sim: Sim) -> None:
    empty(sim)
    assert store(sim, [{"id": "first", "score": 7}]).status_code == 201
    response = store(sim, [{"id": "second", "score": 1}, {"id": "third", "score": "high"}])
    assert response.status_code == 409 and "body[1]" in response.text and "score" in response.text
    assert client(sim).get("/insights/sessions/second").status_code == 404
    response = store(sim, [{"id": "x", "account_id": "nobody"}])
    assert response.status_code == 404 and "nobody" in response.text


def test_same_id_replaces_and_query_parameter_picks_the_account(sim: Sim) -> None:
    empty(sim)
    assert store(sim, [conversation("one", user=("first",))]).status_code == 201
    assert store(sim, [conversation("one", user=("second",))]).status_code == 201
    api = client(sim)
    assert api.get("/insights/sessions/one").json()["transcription"] == [{"user": "second"}]
    assert search(api, filter_by={"must": [{"match": {"transcription.user": "first"}}]}).json()["total"] == 0
    document = {k: v for k, v in conversation("eu-one").items() if k != "account_id"}
    assert store(sim, [document], account_id=EU["account_id"]).status_code == 201
    assert client(sim, EU).get("/insights/sessions/eu-one").status_code == 200


def test_schema_invalid_documents_are_400(sim: Sim) -> None:
    response = sim.http.post("/_sim/vonage/sessions", content=orjson.dumps([{"id": 5}]),
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "body.0.id" in response.text
