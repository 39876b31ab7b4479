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


def test_sort_by_agent_information_then_status_as_the_page_does(sim: Sim) -> None:
    """003: "Sort by agent name ascending order, status descending order: agent_information:asc,status:desc".
    An object sorts by its fields: agent_information by its name first (as the page says), then the others."""
    empty(sim)
    agents = {"zed": ("zed", "ended"), "amy-ended": ("amy", "ended"), "amy-running": ("amy", "in_progress"),
              "bob": ("bob", "ended")}
    documents = []
    for session_id, (name, status) in agents.items():
        document = conversation(session_id, start="2020-10-01T10:00:00", status=status)
        document["agent_information"]["name"] = name
        documents.append(document)
    assert store(sim, documents).status_code == 201
    response = search(client(sim), sort_by="agent_information:asc,status:desc")
    assert hit_ids(response) == ["amy-running", "amy-ended", "bob", "zed"]
    descending = search(client(sim), sort_by="agent_information:desc,status:asc")
    assert hit_ids(descending) == ["zed", "bob", "amy-ended", "amy-running"]
    # The same name: the object's next field by name (agent_information.id) decides.
    twin = dict(documents[1], id="amy-twin", agent_information={**documents[1]["agent_information"], "id": "0000"})
    assert store(sim, [twin]).status_code == 201
    ids = hit_ids(search(client(sim), sort_by="agent_information:asc", filter_by={"must": [{"prefix": {"id": "amy"}}]}))
    assert ids == ["amy-twin", "amy-ended", "amy-running"]  # "0000" < "5f7f…"; then by slot, as Elasticsearch ties


def test_sort_on_an_object_without_sortable_fields_is_refused_by_name(built: Sim) -> None:
    response = search(client(built), sort_by="transcription:asc")
    assert response.status_code == 401
    assert "'transcription' is an object without fields that can be sorted on" in response.json()["detail"]


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


def test_call_logs_for_agents_as_written_find_nothing_and_say_why(built: Sim) -> None:
    """003's call-log examples filter on agent_id, which its document model does not have (the agent's id is
    agent_information.id): like Elasticsearch, a term on a field no document has matches nothing, and the
    journal says which field was unknown and which one was probably meant."""
    filter_by = {"should": [{"term": {"agent_id": "1234567"}}, {"term": {"agent_id": "7654321"}}]}
    response = search(client(built), filter_by=filter_by, sort_by="channel_data.duration:desc",
                      project_fields=["session_start_time", "agent_id", "source", "channel_data.duration"])
    assert response.json()["total"] == 0
    [entry] = built.journal(operation="searchSessions")[-1:]
    assert entry["warnings"] == [
        "filter_by names 'agent_id', a field that no document has and the mapping does not list; "
        "did you mean 'agent_information.id'?",
        "project_fields names 'agent_id', a field that no document has and the mapping does not list; "
        "did you mean 'agent_information.id'?",
    ]
    filter_by = {"should": [{"term": {"agent_information.id": agent}} for agent in ("1234567", "7654321")]}
    response = search(client(built), filter_by=filter_by, sort_by="channel_data.duration:desc",
                      project_fields=["session_start_time", "agent_id", "source", "channel_data.duration"])
    assert response.json()["total"] == 4
    assert set(response.json()["hits"][0]) == {"session_start_time", "source", "channel_data"}


def test_the_pages_transcription_client_finds_nothing_and_points_at_user(built: Sim) -> None:
    filter_by = {"must": [{"match": {"transcription.client": "i love this agent!"}}]}
    assert search(client(built), filter_by=filter_by).json()["total"] == 0
    [entry] = built.journal(operation="searchSessions")[-1:]
    assert entry["warnings"] == ["filter_by names 'transcription.client', a field that no document has and the "
                                 "mapping does not list; did you mean 'transcription.user'?"]
    assert hit_ids(search(client(built), filter_by={"must": [{"match": {"transcription.user": "i love"}}]}))
    assert "warnings" not in built.journal(operation="searchSessions")[-1]


def test_sort_on_a_field_no_document_has_sorts_nothing_and_says_so(built: Sim) -> None:
    response = search(client(built), sort_by="params.nickname.value:asc,session_start_time:asc")
    assert hit_ids(response) == ["shut-up", "shut-only", "other-agent", "polite"]
    [entry] = built.journal(operation="searchSessions")[-1:]
    assert entry["warnings"] == ["sort_by names 'params.nickname.value', a field that no document has and the "
                                 "mapping does not list; did you mean 'params.name.value'?"]
    unmapped = search(client(built), sort_by="agent_id:asc")
    assert unmapped.status_code == 401
    assert unmapped.json()["detail"] == ("sort_by: no mapping found for 'agent_id' in order to sort on; "
                                         "did you mean 'agent_information.id'?")


def test_every_example_of_the_page_is_answered(built: Sim) -> None:
    """Each filter_by, sort_by and project_fields the page shows, as written, gets a 200."""
    filters = [
        {"must": [{"term": {"agent_information.id": "1234567"}}, {"match": {"transcription.client": "shut up"}}]},
        {"must": [{"term": {"flow_data.collected_tags.tag": tag}} for tag in ("cat", "dog", "rat")]},
        {"must": [{"term": {"source": "9726666666"}}],
         "should": [{"term": {"request_ids": "22"}}, {"term": {"request_ids": "44"}}]},
        {"must_not": [{"term": {"flow_data.collected_tags.tag": "invalid"}}]},
        {"must": [{"term": {"status": "ended"}}]},
        {"should": [{"term": {"agent_id": "<agent_id_1>"}}, {"term": {"agent_id": "<agent_id_2>"}}]},
    ]
    sorts = ["session_start_time:desc,agent_information.id:asc", "session_start_time:desc",
             "agent_information:asc,status:desc", "channel_data.duration:desc"]
    projections = [["session_start_time", "source", "destination", "agent_id", "channel_data.duration", "id"],
                   ["agent_information", "flow_data"], ["agent_information.name", "flow_data.collected_tags", "status"],
                   ["agent_information"], ["session_start_time", "agent_id", "source", "channel_data.duration"]]
    for filter_by in filters:
        assert search(client(built), filter_by=filter_by).status_code == 200, filter_by
    for sort_by in sorts:
        assert search(client(built), sort_by=sort_by).status_code == 200, sort_by
    for fields in projections:
        assert search(client(built), project_fields=fields).status_code == 200, fields
