"""The seeded conversations: 003's model, consistent with themselves, deterministic, alive on the clock."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import httpx

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.support import Sim, make_settings
from tests.vendors.vonage.helpers import US, client, search

WINDOWS = (("2024-10-22", "2024-12-20"), ("2024-12-21", "2025-01-20"))


def _all(api: httpx.Client) -> list[dict[str, Any]]:
    documents = []
    for start, end in WINDOWS:
        response = search(api, start, end, page_size=1000)
        assert response.status_code == 200
        documents += response.json()["hits"]
    return documents


def _check(document: dict[str, Any]) -> None:
    path = document["flow_path"]
    collected = [tag for step in path for tag in step["tags"]]
    assert document["flow_data"]["collected_tags"] == collected
    counts = Counter((tag["category"], tag["tag"]) for tag in collected)
    assert {(t["category"], t["tag"]): t["count"] for t in document["tags_list"]} == counts
    assert len(document["tags_list"]) == len(counts)
    assert {(c, t): n for c, tags in document["tags"].items() for t, n in tags.items()} == counts
    latest = {p["name"]: p for p in document["flow_data"]["collected_parameters"]}
    assert document["params_list"] == list(latest.values())
    assert document["params"] == {n: {"completed": p["completed"], "value": p["value"]} for n, p in latest.items()}
    assert document["request_ids"] == list(dict.fromkeys(step["request_id"] for step in path))
    version = document["agent_information"]["version_id"]
    spoken = [json.loads(step["request"]["payload"])["text"] for step in path if step["type"] == "speak"]
    assert [line[version] for line in document["transcription"] if version in line] == spoken
    heard = [step["context"]["user_input"] for step in path if step["context"]["user_input"]]
    assert [line["user"] for line in document["transcription"] if "user" in line] == heard
    assert path[0]["type"] == "start"
    channel = document["channel_data"]
    assert channel["call_status"] == document["status"]
    if document["status"] == "ended":
        assert path[-1]["type"] == "end_call" and channel["duration"] >= sum(s["execution_time"] for s in path)
        assert channel["status_code"] in (0, 100, 200)
        assert ("audio_url" in channel) == (document["channel"] == "voice")
        if document["channel"] == "voice":
            assert channel["audio_url"] == f"{document['account_id']}/{version}/{document['id']}.mp3"
    else:
        assert "end_call" not in {step["type"] for step in path} and set(channel) == {"call_status"}


def test_seeded_documents_follow_the_model_consistently(sim: Sim) -> None:
    documents = _all(client(sim))
    assert 480 <= len(documents) <= 510  # 500 ended within 90 days, 3 in progress, a few in the 60-day gaps
    for document in documents:
        _check(document)
    types = Counter(step["type"] for document in documents for step in document["flow_path"])
    assert set(types) >= {"start", "speak", "param_completion", "webhook", "condition", "classification", "end_call"}
    tags = {tag["tag"] for document in documents for tag in document["tags_list"]}
    assert tags >= {"cat", "dog", "rat", "invalid"}
    assert Counter(document["status"] for document in documents)["in_progress"] == 3
    assert {document["account_id"] for document in documents} == {US["account_id"]}


def test_in_progress_calls_end_on_the_namespace_clock(sim: Sim) -> None:
    api = client(sim)
    running = {"must": [{"term": {"status": "in_progress"}}]}
    ids = [hit["id"] for hit in search(api, "2025-01-20", "2025-01-20", filter_by=running).json()["hits"]]
    assert len(ids) == 3
    sim.advance(3600)
    assert search(api, "2025-01-20", "2025-01-20", filter_by=running).json()["total"] == 0
    for session_id in ids:
        document = api.get(f"/insights/sessions/{session_id}").json()
        _check(document)
        assert document["status"] == "ended" and document["channel_data"]["duration"] > 0


def test_seeded_recordings_are_served(sim: Sim) -> None:
    voice = {"must": [{"term": {"channel": "voice"}}, {"term": {"status": "ended"}}]}
    [hit] = search(client(sim), *WINDOWS[1], filter_by=voice, page_size=1).json()["hits"]
    response = httpx.get(f"{sim.base}/_sim/files/vonage/{hit['channel_data']['audio_url']}")
    assert response.status_code == 200 and len(response.content) >= hit["channel_data"]["duration"] // 36 * 144
    answer = next(p["audio_url"] for p in hit["params_list"] if "audio_url" in p)
    assert httpx.get(f"{sim.base}/_sim/files/vonage/{answer}").status_code == 200


def _answers(seed: int) -> list[bytes]:
    with ThreadedServer(create_app(make_settings(seed=seed))) as server:
        api = httpx.Client(base_url=server.url, headers={"X-Vgai-Key": US["api_key"]}, timeout=30)
        return [search(api, start, end, page_size=300, sort_by="session_start_time:asc").content
                for start, end in WINDOWS]


def test_same_seed_and_clock_start_give_byte_identical_answers() -> None:
    first = _answers(11)
    assert first == _answers(11)
    assert first != _answers(12)
    assert all(len(body) > 100_000 for body in first)


def test_namespaces_share_the_seeded_baseline_whatever_their_clock_start() -> None:
    from simulator.settings import Settings
    from simulator.vendors.vonage import population

    population._kept.clear()
    registry = create_app(Settings()).state.registry  # no --clock-start: each namespace starts at its creation
    first = registry.get("first").state("vonage")
    kept = dict(population._kept)
    assert kept, "the first namespace keeps its accounts' baselines for the next ones"
    second = registry.get("second").state("vonage")
    assert population._kept == kept
    for account_id, sessions in second.sessions.items():
        assert sessions.index.base is first.sessions[account_id].index.base
