"""Vonage test helpers: keys of the default fixtures, a client, and hand-built Insights documents."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import orjson

from simulator.app import load_fixtures
from simulator.settings import Settings
from tests.support import Sim

_ACCOUNTS = load_fixtures(Settings().fixtures)["vonage"]["accounts"]
US, EU = _ACCOUNTS[0], _ACCOUNTS[1]


def client(sim: Sim, account: dict[str, Any] = US) -> httpx.Client:
    return httpx.Client(base_url=sim.base, timeout=30, headers={"X-Vgai-Key": account["api_key"]})


def empty(sim: Sim) -> None:
    """Keep the accounts, drop the seeded conversations."""
    assert sim.http.post("/_sim/reset", json={"empty": True}).status_code == 200


def store(sim: Sim, documents: list[dict[str, Any]], **params: str) -> httpx.Response:
    return sim.http.post("/_sim/vonage/sessions", content=orjson.dumps(documents), params=params,
                         headers={"Content-Type": "application/json"})


def search(api: httpx.Client, from_date: str = "2020-09-01", to_date: str = "2020-10-30",
           **params: Any) -> httpx.Response:
    query: dict[str, str | int] = {"from_date": from_date, "to_date": to_date}
    for key, value in params.items():
        query[key] = value if isinstance(value, str | int) else orjson.dumps(value).decode()
    return api.get("/insights/sessions", params=query)


def hit_ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()["hits"]]


# 003's example output, shortened to two flow steps: the base of hand-built documents.
EXAMPLE: dict[str, Any] = {
    "transcription": [{"5f7f2f337340dc7249f81406": "sup?"}, {"user": "Benjamin"},
                      {"5f7f2f337340dc7249f81406": "shut up Benjamin"}],
    "account_id": US["account_id"], "api_key": "N/A", "status": "ended",
    "id": "8ae433e8-7bc1-41a0-b0a6-0cccc30cbc36", "language": "en-US",
    "tags": {"ddbc05ccbc48431d898104ac5e5b561a": {"two": 1}},
    "params": {"name": {"completed": True, "value": "Benjamin"}},
    "tags_list": [{"count": 1, "tag": "two", "category": "ddbc05ccbc48431d898104ac5e5b561a"}],
    "params_list": [{"value_text": "Benjamin", "name": "name", "completed": True, "type": "sys.names",
                     "value": "Benjamin"}],
    "agent_information": {"version_id": "5f7f2f337340dc7249f81406", "id": "5f7f2e60a6034c9b5c79d16c",
                          "name": "oriprod2", "voice": "Salli", "language": "en-US"},
    "source": "9720014044002502", "destination": "972523656841", "channel": "voice",
    "session_start_time": "2020-10-08T17:09:27.758983",
    "request_ids": ["759a8938-c296-4ff5-9ec9-d3f0267893f9"],
    "channel_data": {"duration": 27000, "audio_url": f"{US['account_id']}/5f7f2f337340dc7249f81406/"
                     "8ae433e8-7bc1-41a0-b0a6-0cccc30cbc36.mp3", "call_status": "ended", "status_code": 200},
    "flow_data": {"collected_tags": [{"tag": "two", "category": "ddbc05ccbc48431d898104ac5e5b561a"}],
                  "collected_parameters": [{"value_text": "Benjamin", "name": "name", "completed": True,
                                            "type": "sys.names", "value": "Benjamin"}],
                  "injected_parameters": []},
    "flow_path": [
        {"node_id": "5f7f2e60a6034c9b5c79d16b", "type": "start", "tags": [], "execution_time": 0,
         "synchronized": True, "request_id": "759a8938-c296-4ff5-9ec9-d3f0267893f9",
         "request": {"payload": "", "headers": "", "verb": "POST", "url": ""},
         "response": {"payload": "", "code": 200},
         "context": {"execution_parameters": [], "status": {"code": 200, "message": ""}, "output": None,
                     "user_input": "", "url": ""}},
        {"node_id": "5f7f2e689ce1d4ecd57793c5", "type": "speak", "execution_time": 168, "synchronized": True,
         "request_id": "759a8938-c296-4ff5-9ec9-d3f0267893f9",
         "tags": [{"tag": "two", "category": "ddbc05ccbc48431d898104ac5e5b561a"}],
         "request": {"headers": "{\"Content-Type\": \"application/json\"}", "payload": "{\"text\": \"sup?\"}",
                     "verb": "POST", "url": "http://telephony-connector.ai.vonage.com/api/actions/speak"},
         "response": {"code": 201, "payload": "{\"message\": \"Successfully registered SPEAK action\"}"},
         "context": {"output": None, "user_input": "", "execution_parameters": [],
                     "url": "http://telephony-connector.ai.vonage.com/api/actions/speak",
                     "status": {"code": 201, "message": "registered"}}},
    ],
}


def conversation(session_id: str, *, agent: str = "5f7f2e60a6034c9b5c79d16c", source: str = "9720014044002502",
                 start: str = "2020-10-08T17:09:27.758983", tags: tuple[str, ...] = ("two",),
                 user: tuple[str, ...] = ("Benjamin",), request_ids: tuple[str, ...] = ("1",),
                 **extra: Any) -> dict[str, Any]:
    """A document shaped like 003's example with the fields tests search on replaced."""
    document = copy.deepcopy(EXAMPLE)
    category = "ddbc05ccbc48431d898104ac5e5b561a"
    document.update(id=session_id, source=source, session_start_time=start, request_ids=list(request_ids))
    document["agent_information"]["id"] = agent
    document["transcription"] = [{"user": line} for line in user]
    document["flow_data"]["collected_tags"] = [{"tag": tag, "category": category} for tag in tags]
    document["tags_list"] = [{"count": tags.count(tag), "tag": tag, "category": category}
                             for tag in dict.fromkeys(tags)]
    document["tags"] = {category: {tag: tags.count(tag) for tag in tags}} if tags else {}
    document.update(extra)
    return document
