"""GET /insights/sessions: parameters, the vendor's 401s, paging, sorting, projection, isolation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Sim
from tests.vendors.vonage.helpers import EU, client, conversation, empty, hit_ids, search, store


@pytest.fixture
def twelve(sim: Sim) -> Sim:
    empty(sim)
    documents = [conversation(f"s{i:02}", start=f"2020-10-{1 + i % 6:02}T10:00:00", source=f"97200000{i % 4}",
                              channel_data={"duration": 1000 * (i % 5), "call_status": "ended", "status_code": 0})
                 for i in range(12)]
    assert store(sim, documents).status_code == 201
    return sim


@pytest.mark.parametrize(("params", "named"), [
    ({"from_date": "2020-13-01"}, "from_date"),
    ({"to_date": "2020-02-30"}, "to_date"),
    ({"from_date": "2020-01-01", "to_date": "2020-03-02"}, "more than 60 days apart"),
    ({"from_date": "2020-10-10", "to_date": "2020-10-01"}, "before from_date"),
    ({"filter_by": "{must: []}"}, "filter_by is not valid JSON"),
    ({"filter_by": "[]"}, "filter_by must be a JSON object"),
    ({"filter_by": '{"must": [{"fuzzy": {"id": "x"}}]}'}, "filter_by.must[0].fuzzy"),
    ({"filter_by": '{"must": [{"term": {"channel_data.duration": "long"}}]}'}, "channel_data.duration"),
    ({"sort_by": "session_start_time:sideways"}, "sort_by"),
    ({"sort_by": "transcription.user:asc"}, "cannot be sorted"),
    ({"sort_by": "no_such_field:asc"}, "no mapping found for 'no_such_field'"),
    ({"project_fields": '"id"'}, "project_fields"),
    ({"project_fields": "[1]"}, "project_fields"),
    ({"page_number": "10", "page_size": "1000"}, "10000"),
    ({"from_date": "yesterday"}, "from_date"),
    ({"page_size": "-1"}, "page_size"),
])
def test_invalid_parameters_are_401_naming_the_problem(twelve: Sim, params: dict[str, Any], named: str) -> None:
    query = {"from_date": "2020-10-01", "to_date": "2020-10-30", **params}
    response = client(twelve).get("/insights/sessions", params=query)
    assert response.status_code == 401, response.text
    assert named in response.text


def test_missing_dates_are_401(twelve: Sim) -> None:
    response = client(twelve).get("/insights/sessions", params={"from_date": "2020-10-01"})
    assert response.status_code == 401 and "to_date" in response.text


def test_a_range_of_exactly_60_days_is_fine(twelve: Sim) -> None:
    assert search(client(twelve), "2020-09-01", "2020-10-31").status_code == 200
    assert search(client(twelve), "2020-09-01T10:00:00Z", "2020-10-31T10:00:00+00:00").status_code == 200


def test_page_size_and_number_are_echoed_as_given(twelve: Sim) -> None:
    body = search(client(twelve), page_size="05", page_number="1").json()
    assert (body["page_size"], body["page_number"], body["total"], len(body["hits"])) == ("05", "1", 12, 5)
    body = search(client(twelve)).json()
    assert (body["page_size"], body["page_number"], len(body["hits"])) == ("10", "0", 10)
    assert search(client(twelve), page_size=0).json() == {"total": 12, "hits": [], "page_size": "0", "page_number": "0"}


def test_dates_bound_the_search(twelve: Sim) -> None:
    assert len(hit_ids(search(client(twelve), "2020-10-02", "2020-10-03", page_size=100))) == 4
    assert search(client(twelve), "2020-10-02T10:00:01", "2020-10-03", page_size=100).json()["total"] == 2


def test_pages_of_a_multi_key_sort_add_up(twelve: Sim) -> None:
    sort = "channel_data.duration:desc,source:asc"
    whole = hit_ids(search(client(twelve), sort_by=sort, page_size=100))
    pages = [hit for page in range(4) for hit in hit_ids(search(client(twelve), sort_by=sort, page_size=4,
                                                                 page_number=page))]
    assert pages == whole and len(set(whole)) == 12
    durations = [int(hit[1:]) % 5 for hit in whole]
    assert durations == sorted(durations, reverse=True)


def test_numbers_given_as_strings_match(twelve: Sim) -> None:
    filter_by: dict[str, Any] = {"must": [{"term": {"channel_data.duration": "4000"}}]}
    assert sorted(hit_ids(search(client(twelve), filter_by=filter_by))) == ["s04", "s09"]
    filter_by = {"must": [{"range": {"channel_data.duration": {"gte": "3000"}}}]}
    assert search(client(twelve), filter_by=filter_by).json()["total"] == 4


def test_a_key_sees_only_its_account(twelve: Sim) -> None:
    assert search(client(twelve, EU)).json()["total"] == 0
    assert store(twelve, [conversation("eu-call", account_id=EU["account_id"])]).status_code == 201
    assert hit_ids(search(client(twelve, EU))) == ["eu-call"]
    assert "eu-call" not in hit_ids(search(client(twelve), page_size=100))


def test_missing_or_unknown_key_is_401(twelve: Sim) -> None:
    response = twelve.http.get("/insights/sessions", params={"from_date": "2020-10-01", "to_date": "2020-10-02"})
    assert response.status_code == 401 and "X-Vgai-Key" in response.json()["detail"]
    response = twelve.http.get("/insights/sessions", params={"from_date": "2020-10-01", "to_date": "2020-10-02"},
                               headers={"X-Vgai-Key": "nope"})
    assert response.status_code == 401


def test_a_regional_host_takes_only_its_regions_keys(twelve: Sim) -> None:
    params = {"from_date": "2020-10-01", "to_date": "2020-10-02"}
    us = client(twelve)
    response = us.get("/insights/sessions", params=params, headers={"Host": "studio-api-us.ai.vonage.com"})
    assert response.status_code == 200
    response = us.get("/insights/sessions", params=params, headers={"Host": "studio-api-eu.ai.vonage.com"})
    assert response.status_code == 401 and "region US" in response.json()["detail"]
