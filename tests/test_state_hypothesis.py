"""Any sequence of vendor and admin calls, then dump, load into a fresh namespace: the same reads give the
same bytes, before and after the clock moves on (so due effects fire at the same instants). The fresh
namespace has the name of the one dumped, since signed download URLs name their namespace.

Each vendor is tested with its own operations and the namespace-wide ones (clock, fault rules, rate
limits, fuzzing, resets). Every vendor must keep its records as data (a record codec), or its writes
would be lost in the document. The test-only ``notes`` vendor (tests/admin/notes_vendor.py) checks the
namespace-wide parts on a vendor with effects and a webhook of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.app import create_app, load_fixtures
from simulator.testing.server import ThreadedServer
from tests.admin.notes_vendor import WITH_NOTES
from tests.support import make_settings

FIXTURES = load_fixtures(make_settings().fixtures)
PLUGINS = {plugin.name: plugin for plugin in WITH_NOTES}
CREDENTIALS = {name: plugin.credentials(FIXTURES.get(name, {})) for name, plugin in PLUGINS.items()}
PREVAIL = {"Authorization": f"Bearer {CREDENTIALS['prevail'][0]['token']}"}
KOREAI = {"auth": CREDENTIALS["koreai"][0]["token"]}
BOT = CREDENTIALS["koreai"][0]["bot_ids"][0]
RTK = CREDENTIALS["realtimekit"][0]
RTK_AUTH = {"Authorization": f"Bearer {RTK['api_token']}"}
RTK_SESSIONS = f"/client/v4/accounts/{RTK['account_id']}/realtime/kit/{RTK['app_ids'][0]}/sessions"
VONAGE = {"X-Vgai-Key": CREDENTIALS["vonage"][0]["api_key"]}
POSTBACK = "http://127.0.0.1:9/hook"
KOREAI_CALLS = [f"hyp-call-{n}" for n in range(3)]
_names = itertools.count(1)


@dataclass(frozen=True)
class Step:
    method: str
    path: str
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def send(self, client: httpx.Client) -> httpx.Response:
        return client.request(self.method, self.path, json=self.json, headers=self.headers)


# --- what may happen to a namespace ---------------------------------------------------------------

def _vendor_writes(vendor: str) -> st.SearchStrategy[Step]:
    if vendor == "notes":
        return st.builds(lambda key, ttl: Step("PUT", f"/notes/v1/notes/n{key}", {"text": f"note {key}", **ttl}),
                         st.integers(0, 3), st.sampled_from([{}, {"ttl": 30}, {"ttl": 7200}]))
    if vendor == "prevail":
        remote = {"title": "Hyp v. Othesis", "case": "1-case", "start_date": "2025-02-01", "start_time": "10:00 AM",
                  "time_zone": "UTC"}
        return st.one_of(
            st.just(Step("POST", "/api/v1/session_requests",
                         {"session_request": {"remote_session": remote, "postback_url": POSTBACK}}, PREVAIL)),
            st.builds(lambda n, state: Step("POST", "/_sim/prevail/session_requests", [{
                "id": 777000 + n, "organisation": "acme-legal", "state": state, "title": "Hand v. Made",
                "case": "1-case", "start_date": "2025-02-01", "start_time": "10:00 AM", "time_zone": "EST"}]),
                st.integers(0, 2), st.sampled_from(["initial", "scheduled"])),
        )
    if vendor == "koreai":
        return st.builds(lambda session, duration: Step("POST", "/_sim/koreai/calls", {
            "bot_id": BOT, "session_id": session, "duration_seconds": duration}),
            st.sampled_from(KOREAI_CALLS), st.sampled_from([5, 300]))
    if vendor == "realtimekit":
        return st.builds(lambda n, left: Step("POST", "/_sim/realtimekit/sessions", [{
            "app_id": RTK["app_ids"][0], "meeting_title": f"Hyp {n}", "started_at": "2025-01-20T14:00:00Z",
            "participants": [{"display_name": "Ada", "joined_at": "2025-01-20T14:00:00Z", "left_at": left}]}]),
            st.integers(0, 3), st.sampled_from(["2025-01-20T14:30:00Z", "2025-01-20T16:30:00Z"]))
    return st.builds(lambda n, status: Step("POST", "/_sim/vonage/sessions", [{
        "id": f"hyp-{n}", "status": status, "start_time": "2025-01-19T10:00:00Z"}]),
        st.integers(0, 3), st.sampled_from(["completed", "abandoned"]))


def _admin_steps(vendor: str) -> st.SearchStrategy[Step]:
    limited = vendor if vendor != "notes" else "prevail"  # the admin API's rate limits know the real vendors
    steps = [
        st.builds(lambda seconds: Step("POST", "/_sim/clock/advance", {"seconds": seconds}),
                  st.sampled_from([1, 29, 600, 3601, 86400])),
        st.builds(lambda moment: Step("PUT", "/_sim/clock", {"now": moment, "frozen": True}),
                  st.sampled_from(["2025-01-20T15:00:00Z", "2025-01-21T09:30:00Z"])),
        st.builds(lambda when: Step("POST", "/_sim/faults", {"match": {"vendor": vendor}, "when": when,
                                                              "effect": {"status": 429}}),
                  st.sampled_from([{"probability": 0.5}, {"first": 2}, {"every": 3}])),
        st.just(Step("DELETE", "/_sim/faults")),
        st.just(Step("PUT", "/_sim/rate-limits", {"vendor": limited, "capacity": 4, "refill_per_second": 0.01})),
        st.builds(lambda empty: Step("POST", "/_sim/reset", {"empty": empty}), st.booleans()),
    ]
    if vendor != "notes":
        steps.append(st.builds(lambda seed: Step("PUT", "/_sim/fuzz", {"seed": seed, "rate": 0.5, "vendors": [vendor]}),
                               st.integers(0, 3)))
    return st.one_of(*steps)


def _reads(vendor: str) -> list[Step]:
    common = [Step("GET", "/_sim/clock"), Step("GET", "/_sim/faults"), Step("GET", "/_sim/rate-limits"),
              Step("GET", "/_sim/fuzz")]
    own = {
        "notes": [Step("GET", "/notes/v1/notes")],
        "prevail": [Step("GET", "/api/v1/session_requests?items=100", headers=PREVAIL),
                    Step("GET", "/api/v1/sessions?items=100", headers=PREVAIL)],
        "koreai": [Step("GET", f"/api/public/bot/{BOT}/v2/recordings?sessionId={session}", headers=KOREAI)
                   for session in [*KOREAI_CALLS, "65a1f0c2e4b0a1b2c3d4e5f6"]],
        "realtimekit": [Step("GET", f"{RTK_SESSIONS}?per_page=100", headers=RTK_AUTH)],
        "vonage": [Step("GET", "/insights/sessions?from_date=2024-12-15T00:00:00Z&to_date=2025-01-30T00:00:00Z"
                               "&page_size=20", headers=VONAGE)],
    }[vendor]
    return own * 2 + common  # twice: fault rules and buckets count on


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    # Documents holding many records may exceed the default body limit (10 MiB)
    with ThreadedServer(create_app(make_settings(max_body_bytes=64 * 1024 * 1024), WITH_NOTES)) as running:
        yield running


def _name(client: httpx.Client) -> str:
    return client.base_url.path.strip("/").rsplit("/", 1)[-1]


def _without_webhooks(client: httpx.Client) -> Any:
    # Deliveries being sent at the instant of a dump are not saved (only those waiting are): which
    # those are depends on the event loop's timing, so they are compared in tests/admin/test_state.py.
    document = dict(client.get("/_sim/state").json())
    document.pop("webhooks")
    return document


def _transcript(client: httpx.Client, reads: list[Step]) -> list[Any]:
    """Every read's status and bytes, now and after the clock moves on twice; then the whole document."""
    seen: list[Any] = []
    for advance in (0, 1800, 86400):
        if advance:
            client.post("/_sim/clock/advance", json={"seconds": advance}).raise_for_status()
        seen += [(answer.status_code, answer.content) for answer in (step.send(client) for step in reads)]
    seen.append(_without_webhooks(client))
    return seen


def _round_trip(server: ThreadedServer, vendor: str, steps: list[Step]) -> None:
    """Play ``steps`` in a namespace, save it, read it; delete it, load the saved document into the new
    namespace of the same name (signed URLs carry the name) and read it the same way."""
    with httpx.Client(base_url=f"{server.url}/_ns/hyp-{vendor}-{next(_names)}", timeout=30) as client:
        for step in steps:
            assert step.send(client).status_code < 500
        document = client.get("/_sim/state").json()
        reads = _reads(vendor)
        before = _transcript(client, reads)
        client.delete(f"/_sim/namespaces/{_name(client)}").raise_for_status()
        loaded = client.put("/_sim/state", json=document)
        assert loaded.status_code == 200, loaded.text
        assert _transcript(client, reads) == before
        client.delete(f"/_sim/namespaces/{_name(client)}").raise_for_status()


# Bounded so that the whole file runs in well under a minute: a Vonage example seeds two accounts.
EXAMPLES = {"notes": 25, "prevail": 10, "koreai": 10, "realtimekit": 10, "vonage": 3}


@pytest.mark.parametrize("vendor", list(EXAMPLES))
def test_dump_then_load_answers_every_read_with_the_same_bytes(server: ThreadedServer, vendor: str) -> None:
    assert PLUGINS[vendor].records is not None, f"{vendor} keeps no records as data (no record codec)"

    @settings(max_examples=EXAMPLES[vendor], deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.one_of(_vendor_writes(vendor), _admin_steps(vendor)), max_size=8))
    def check(steps: list[Step]) -> None:
        _round_trip(server, vendor, steps)

    check()
