"""Search parameters bounded and parsed in linear time, nesting limits, ID fields, the page's nicer fields."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_plus, urlencode

import orjson
import pytest

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from simulator.vendors.vonage.errors import InvalidParameter
from simulator.vendors.vonage.search import sort_parts
from tests.support import Sim, make_settings
from tests.vendors.vonage.helpers import EXAMPLE, US, client, conversation, empty, hit_ids, search, store

BOUND = 2.0  # seconds, generous for a shared machine; the goal (and the measure, printed) is under 50 ms
URL_ROOM = 60_000  # bytes a value may take in the URL once percent-encoded (the server's URL limit is 64 KiB)


def _fill(unit: str, head: str = "", tail: str = "") -> str:
    """``head`` + ``unit`` repeated + ``tail``, as long as fits in :data:`URL_ROOM` once encoded."""
    return head + unit * ((URL_ROOM - len(quote_plus(head + tail))) // len(quote_plus(unit))) + tail


HOSTILE = {
    "digits-then-letter": _fill("1", tail="x"),
    "spaces-between": _fill(" ", "a", "b"),
    "colons": _fill("a:"),
    "commas": _fill(","),
    "date-math": _fill("+1d", "2020-01-01||"),
    "json": _fill('{"term": {"id": "x"}},', '{"must": [', "{}]}"),
}
BASE = {"from_date": "2020-10-01", "to_date": "2020-10-30"}


@pytest.fixture(scope="module", params=[False, True], ids=["strict", "lenient"])
def roomy(request: pytest.FixtureRequest) -> Iterator[ThreadedServer]:
    """Heads up to 512 KB, so 64 KB values (up to 3x once percent-encoded) reach the parsers."""
    settings = make_settings(max_header_bytes=512 * 1024, lenient=request.param)
    with ThreadedServer(create_app(settings)) as server:
        yield server


def _get(server: ThreadedServer, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any], float]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        started = time.perf_counter()
        connection.request("GET", f"{path}?{urlencode(query)}", headers={"X-Vgai-Key": US["api_key"]})
        response = connection.getresponse()
        body = response.read()
        return response.status, orjson.loads(body), time.perf_counter() - started
    finally:
        connection.close()


def test_every_parameter_answers_64_kb_values_quickly_with_the_vendors_4xx(roomy: ThreadedServer) -> None:
    _get(roomy, "/_ns/roomy/insights/sessions", BASE)  # seeding is a first touch's cost, not measured here
    slowest = 0.0
    cases = [("/_ns/roomy/insights/sessions", name) for name in
             ("from_date", "to_date", "page_number", "page_size", "sort_by", "project_fields", "filter_by")]
    cases += [("/_ns/roomy/insights/sessions/x/parameters", "session_start_time")]
    for path, name in cases:
        for label, hostile in HOSTILE.items():
            query = {**BASE, "session_start_time": "2020-10-01", name: hostile}
            status, body, elapsed = _get(roomy, path, query)
            slowest = max(slowest, elapsed)
            print(f"{name}={label}: {status} in {elapsed * 1000:.1f} ms")
            assert elapsed < BOUND, (name, label, elapsed)
            if status == 200:  # only a lenient server, which drops an optional value it cannot use
                assert name not in ("from_date", "to_date", "session_start_time"), (name, label)
                continue
            # A lenient server may look for the session (there is none: 404) before reading its day.
            assert status == 401 or (status == 404 and path.endswith("/parameters")), (name, label, status, body)
            assert set(body) <= {"detail", "errors"} and len(orjson.dumps(body)) < 8192
            assert status == 404 or name in orjson.dumps(body).decode(), (name, label, body)
    print(f"slowest: {slowest * 1000:.1f} ms")


def test_sort_by_is_read_in_linear_time() -> None:
    for hostile in ("a" + " " * 60_000 + "b", "a" + "\t" * 60_000 + ":x", "a:" * 30_000):
        started = time.perf_counter()
        with pytest.raises(InvalidParameter, match="sort_by"):
            sort_parts(hostile)
        assert time.perf_counter() - started < BOUND
    assert sort_parts(" session_start_time : DESC ,agent_information.id") == [
        ("session_start_time", True), ("agent_information.id", False)]


def _bools(levels: int) -> dict[str, Any]:
    body: dict[str, Any] = {"must": [{"term": {"id": "x"}}]}
    for _ in range(levels - 1):
        body = {"must": [{"bool": body}]}
    return body


def test_a_filter_nested_over_20_bools_is_401_naming_the_limit(sim: Sim) -> None:
    empty(sim)
    assert search(client(sim), filter_by=_bools(20)).status_code == 200
    response = search(client(sim), filter_by=_bools(21))  # 64 levels of JSON: within the JSON limit
    assert response.status_code == 401
    assert "bool queries are nested more than 20 levels deep" in response.json()["detail"]
    assert "indices.query.bool.max_nested_depth" in response.json()["detail"]


def test_a_document_nested_over_20_objects_is_400_and_stores_nothing(sim: Sim) -> None:
    empty(sim)
    deep: dict[str, Any] = {"leaf": "x"}
    for _ in range(24):
        deep = {"inner": deep}
    response = store(sim, [conversation("fine"), conversation("deep", crm=deep)])
    assert response.status_code == 400
    assert "body[1]" in response.text and "nested more than 20 objects deep" in response.text
    assert client(sim).get("/insights/sessions/fine").status_code == 404


def test_match_on_an_id_field_finds_nothing_and_the_journal_says_why(sim: Sim) -> None:
    empty(sim)
    assert store(sim, [conversation("session-1", source="9726666666")]).status_code == 201
    for field, value in (("id", "session-1"), ("source", "9726666666"), ("agent_information.name", "oriprod2")):
        assert search(client(sim), filter_by={"must": [{"match": {field: value}}]}).json()["total"] == 0
        [entry] = sim.journal(operation="searchSessions")[-1:]
        use = '{"term": {"' + field + '": ...}}'
        assert entry["warnings"] == [f"filter_by: [match] on {field!r} finds nothing: it is an ID field, searched "
                                     f"only with term (or terms, range, prefix); use {use}"]
        assert hit_ids(search(client(sim), filter_by={"must": [{"term": {field: value}}]})) == ["session-1"]
    transcript = search(client(sim), filter_by={"must": [{"match": {"transcription.user": "benjamin"}}]})
    assert hit_ids(transcript) == ["session-1"]  # text fields still answer match


def test_parameters_and_tag_counts_are_in_seeded_documents_and_searchable(sim: Sim) -> None:
    api = client(sim)
    with_parameters = {"must": [{"exists": {"field": "params_list.name"}}, {"exists": {"field": "tags_list"}}]}
    [hit] = search(api, "2025-01-01", "2025-01-20", page_size=1, filter_by=with_parameters).json()["hits"]
    last = {state["name"]: state["value"] for state in hit["params_list"]}
    assert hit["parameters"] == last and last
    name, value = next(iter(last.items()))
    found = search(api, "2025-01-01", "2025-01-20", page_size=100,
                   filter_by={"must": [{"term": {f"parameters.{name}": value}}, {"term": {"id": hit["id"]}}]})
    assert hit_ids(found) == [hit["id"]]
    tag = hit["tags_list"][0]["tag"]
    count = sum(entry["count"] for entry in hit["tags_list"] if entry["tag"] == tag)
    found = search(api, "2025-01-01", "2025-01-20", filter_by={"must": [{"term": {f"tags.{tag}": count}},
                                                                       {"term": {"id": hit["id"]}}]})
    assert hit_ids(found) == [hit["id"]]


def test_stored_documents_are_kept_as_given_and_searchable_by_the_nicer_fields(sim: Sim) -> None:
    empty(sim)
    three = conversation("three-times", tags=("one", "three", "three", "three"))
    assert store(sim, [EXAMPLE, three]).status_code == 201
    api = client(sim)
    assert api.get(f"/insights/sessions/{EXAMPLE['id']}").json() == EXAMPLE  # no field added
    assert sorted(hit_ids(search(api, filter_by={"must": [{"term": {"parameters.name": "Benjamin"}}]}))) == sorted(
        [EXAMPLE["id"], "three-times"])
    assert hit_ids(search(api, filter_by={"must": [{"range": {"tags.three": {"gte": 2}}}]})) == ["three-times"]
    assert hit_ids(search(api, filter_by={"must": [{"term": {"tags.two": 1}}]})) == [EXAMPLE["id"]]
    category = "ddbc05ccbc48431d898104ac5e5b561a"
    by_category = search(api, filter_by={"must": [{"term": {f"tags.{category}.three": 3}}]})
    assert hit_ids(by_category) == ["three-times"]  # the page's model, tags.<category>.<tag>, as before
