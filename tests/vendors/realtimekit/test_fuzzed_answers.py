"""The official SDK, strict, accepts fuzzed answers of every RealtimeKit operation it can call."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from cloudflare import Cloudflare

from tests.support import Sim
from tests.vendors.realtimekit.helpers import NORTHWIND, WEBINARS

OPERATIONS = ("getSessions", "getSessionDetails", "getSessionParticipants", "getSessionParticipantDetails",
              "getParticipantDataFromPeerId", "getSessionChat", "getSessionTranscripts", "getSessionSummary",
              "generateSummaryOfTranscripts")


def _calls(cf: Cloudflare, session: str, peer: str) -> dict[str, Callable[[], Any]]:
    """Each operation called through the SDK's raw-response wrapper (to read the header), keyed by operationId."""
    raw = cf.realtime_kit.sessions.with_raw_response
    where = {"account_id": NORTHWIND, "app_id": WEBINARS}
    return {
        "getSessions": lambda: raw.get_sessions(WEBINARS, account_id=NORTHWIND, per_page=5),
        "getSessionDetails": lambda: raw.get_session_details(session, **where, include_breakout_rooms=True),
        "getSessionParticipants": lambda: raw.get_session_participants(session, **where, per_page=5,
                                                                       include_peer_events=True),
        "getSessionParticipantDetails": lambda: raw.get_session_participant_details(
            peer, **where, session_id=session, include_peer_events=True),
        "getParticipantDataFromPeerId": lambda: raw.get_participant_data_from_peer_id(peer, **where),
        "getSessionChat": lambda: raw.get_session_chat(session, **where),
        "getSessionTranscripts": lambda: raw.get_session_transcripts(session, **where),
        "getSessionSummary": lambda: raw.get_session_summary(session, **where),
        "generateSummaryOfTranscripts": lambda: raw.generate_summary_of_transcripts(session, **where),
    }


def test_the_strict_sdk_accepts_200_fuzzed_answers_of_every_operation(cf: Cloudflare, sim: Sim) -> None:
    sessions = cf.realtime_kit.sessions
    ended = sessions.get_sessions(WEBINARS, account_id=NORTHWIND, status="ENDED", per_page=100).data
    assert ended is not None and ended.sessions
    session = max(ended.sessions, key=lambda s: s.max_concurrent_participants)
    people = sessions.get_session_participants(session.id, account_id=NORTHWIND, app_id=WEBINARS).data
    assert people is not None and people.participants
    sessions.generate_summary_of_transcripts(session.id, account_id=NORTHWIND, app_id=WEBINARS)
    sim.advance(90)  # the summary is ready
    peer = people.participants[0].id
    assert peer is not None
    calls = _calls(cf, session.id, peer)
    assert set(calls) == set(OPERATIONS)
    mutated: Counter[str] = Counter()
    seed = 0
    while sum(mutated.values()) < 200 or len(mutated) < len(OPERATIONS):
        seed += 1
        assert seed <= 100, f"too few mutated answers: {dict(mutated)}"
        rate = (0.2, 0.6, 1.0)[seed % 3]
        assert sim.http.put("/_sim/fuzz", json={"seed": seed, "rate": rate}).status_code == 200
        for operation, call in calls.items():
            response = call()
            assert response.status_code == 200
            response.parse()  # strict: a body the SDK's models reject raises here
            if response.headers.get("X-Sim-Mutation"):
                mutated[operation] += 1
    assert set(mutated) == set(OPERATIONS) and sum(mutated.values()) >= 200
