"""003's example queries, sorts, projections and URLs against documents the tests build."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Sim
from tests.vendors.vonage.helpers import EXAMPLE, client, conversation, empty, hit_ids, search, store


@pytest.fixture
def built(sim: Sim) -> Sim:
    empty(sim)
    documents = [
        conversation("shut-up", agent="1234567", user=("hello", "Shut up!"), tags=("cat", "dog", "rat"),
                     source="9726666666", request_ids=("11", "22"), start="2020-10-01T10:00:00"),
        conversation("shut-only", agent="1234567", user=("please shut the door",), tags=("cat", "dog"),
                     source="9726666666", request_ids=("44",), start="2020-10-02T10:00:00"),
        conversation("other-agent", agent="7654321", user=("shut up",), tags=("cat", "dog", "rat", "invalid"),
                     source="9725555555", request_ids=("22",), start="2020-10-03T10:00:00"),
        conversation("polite", agent="1234567", user=("I love this agent!",), tags=("invalid",),
                     source="9726666666", request_ids=("33",), start="2020-10-04T10:00:00"),
    ]
    assert store(sim, documents).status_code == 201
    return sim


def test_agent_whose_caller_said_shut_up(built: Sim) -> None:
    filter_by: dict[str, Any] = {"must": [{"term": {"agent_information.id": "1234567"}},
                                          {"match": {"transcription.user": "shut up"}}]}
    # match is an OR of "shut" and "up": "please shut the door" matches too, as in Elasticsearch.
    assert sorted(hit_ids(search(client(built), filter_by=filter_by))) == ["shut-only", "shut-up"]
    filter_by["must"][1] = {"match_phrase": {"transcription.user": "shut up"}}
    assert hit_ids(search(client(built), filter_by=filter_by)) == ["shut-up"]
    # 003 writes the field as transcription.client; these documents, like the example output, say "user".
    filter_by["must"][1] = {"match": {"transcription.client": "shut up"}}
    assert hit_ids(search(client(built), filter_by=filter_by)) == []


def test_tagged_cat_dog_and_rat(built: Sim) -> None:
    filter_by = {"must": [{"term": {"flow_data.collected_tags.tag": tag}} for tag in ("cat", "dog", "rat")]}
    assert sorted(hit_ids(search(client(built), filter_by=filter_by))) == ["other-agent", "shut-up"]


def test_phone_number_with_either_request_id(built: Sim) -> None:
    filter_by = {"must": [{"term": {"source": "9726666666"}}],
                 "should": [{"term": {"request_ids": "22"}}, {"term": {"request_ids": "44"}}]}
    assert sorted(hit_ids(search(client(built), filter_by=filter_by))) == ["shut-only", "shut-up"]


def test_all_but_invalid(built: Sim) -> None:
    filter_by = {"must_not": [{"term": {"flow_data.collected_tags.tag": "invalid"}}]}
    assert sorted(hit_ids(search(client(built), filter_by=filter_by))) == ["shut-only", "shut-up"]


def test_sort_by_call_time_descending(built: Sim) -> None:
    response = search(client(built), sort_by="session_start_time:desc")
    assert hit_ids(response) == ["polite", "other-agent", "shut-only", "shut-up"]


def test_sort_on_an_object_is_rejected_by_name(built: Sim) -> None:
    response = search(client(built), sort_by="agent_information:asc,status:desc")
    assert response.status_code == 401
    assert "'agent_information' is an object" in response.json()["detail"]
    response = search(client(built), sort_by="agent_information.name:asc,status:desc")
    assert response.status_code == 200


def test_project_whole_objects(built: Sim) -> None:
    response = search(client(built), project_fields=["agent_information", "flow_data"], page_size=1)
    [hit] = response.json()["hits"]
    assert set(hit) == {"agent_information", "flow_data"}
    assert hit["agent_information"] == {**EXAMPLE["agent_information"], "id": "1234567"}
    assert set(hit["flow_data"]) == {"collected_tags", "collected_parameters", "injected_parameters"}


def test_project_some_fields(built: Sim) -> None:
    response = search(client(built), project_fields=["agent_information.name", "flow_data.collected_tags", "status"],
                      sort_by="session_start_time:asc", page_size=1)
    assert response.json()["hits"] == [{
        "agent_information": {"name": "oriprod2"}, "status": "ended",
        "flow_data": {"collected_tags": [{"tag": t, "category": "ddbc05ccbc48431d898104ac5e5b561a"}
                                         for t in ("cat", "dog", "rat")]}}]


def test_first_example_url(built: Sim) -> None:
    """from_date=2020-09-15&to_date=2020-09-17&page_number=0&page_size=100&sort_by=...&filter_by=...&project_fields=..."""
    assert store(built, [conversation("in-range", start="2020-09-16T08:00:00"),
                         conversation("late-on-the-17th", start="2020-09-17T23:59:59.999"),
                         conversation("running", start="2020-09-16T09:00:00", status="in_progress"),
                         conversation("on-the-18th", start="2020-09-18T00:00:00")]).status_code == 201
    response = client(built).get(
        '/insights/sessions?from_date=2020-09-15&to_date=2020-09-17&page_number=0&page_size=100'
        '&sort_by=session_start_time:desc&filter_by={"must": [{"term": {"status":"ended"}}]}'
        '&project_fields=["agent_information"]')
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2 and body["page_size"] == "100" and body["page_number"] == "0"
    assert body["hits"] == [{"agent_information": EXAMPLE["agent_information"]}] * 2


def test_second_example_url_results_30_to_40_of_one_day(sim: Sim) -> None:
    empty(sim)
    day = [conversation(f"call-{i:02}", start=f"2020-08-20T{i // 3:02}:{(i % 3) * 20:02}:00") for i in range(45)]
    assert store(sim, [*day, conversation("next-day", start="2020-08-21T00:00:00")]).status_code == 201
    response = client(sim).get("/insights/sessions?from_date=2020-08-20&to_date=2020-08-20&page_number=3&page_size=10")
    body = response.json()
    assert body["total"] == 45 and (body["page_size"], body["page_number"]) == ("10", "3")
    assert hit_ids(response) == [f"call-{i:02}" for i in range(14, 4, -1)]  # newest first by default


def test_call_logs_for_agents_as_written_find_nothing(built: Sim) -> None:
    """003's call-log examples filter on agent_id, which its document model does not have (the agent's id is
    agent_information.id): like Elasticsearch, a term on a field no document has matches nothing."""
    filter_by = {"should": [{"term": {"agent_id": "1234567"}}, {"term": {"agent_id": "7654321"}}]}
    response = search(client(built), filter_by=filter_by, sort_by="channel_data.duration:desc",
                      project_fields=["session_start_time", "agent_id", "source", "channel_data.duration"])
    assert response.json()["total"] == 0
    filter_by = {"should": [{"term": {"agent_information.id": agent}} for agent in ("1234567", "7654321")]}
    response = search(client(built), filter_by=filter_by, sort_by="channel_data.duration:desc",
                      project_fields=["session_start_time", "agent_id", "source", "channel_data.duration"])
    assert response.json()["total"] == 4
    assert set(response.json()["hits"][0]) == {"session_start_time", "source", "channel_data"}
