"""Chat, transcript and summary files behind signed URLs: real content in the declared format, built from
the session's participants and times, expiring at the reported instant."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import yaml
from cloudflare import Cloudflare

from simulator.app import create_app, load_fixtures
from simulator.core.clock import isoformat, parse_instant, to_datetime
from simulator.settings import Settings
from simulator.testing.server import ThreadedServer
from tests.support import Sim, make_settings
from tests.vendors.realtimekit.helpers import NORTHWIND, NORTHWIND_TOKEN, WEBINARS, client

CUE = re.compile(r"^(\d{2}):(\d{2}):(\d{2})[,.](\d{3}) --> (\d{2}):(\d{2}):(\d{2})[,.](\d{3})$")


def _ended(cf: Cloudflare) -> Any:
    listing = cf.realtime_kit.sessions.get_sessions(WEBINARS, account_id=NORTHWIND, status="ENDED", per_page=1)
    assert listing.data and listing.data.sessions
    return listing.data.sessions[0]


def _people(cf: Cloudflare, session_id: str) -> dict[str, Any]:
    listing = cf.realtime_kit.sessions.get_session_participants(session_id, account_id=NORTHWIND, app_id=WEBINARS,
                                                                per_page=100)
    assert listing.data and listing.data.participants
    return {str(p.id): p for p in listing.data.participants}


def _transcript(cf: Cloudflare, session_id: str, kind: str) -> httpx.Response:
    data = cf.realtime_kit.sessions.get_session_transcripts(session_id, account_id=NORTHWIND, app_id=WEBINARS,
                                                            format=kind).data  # type: ignore[arg-type]
    assert data is not None and data.session_id == session_id
    return httpx.get(data.transcript_download_url)


def _offset(parts: tuple[str, ...]) -> float:
    hours, minutes, seconds, millis = (int(part) for part in parts)
    return hours * 3600 + minutes * 60 + seconds + millis / 1000


def test_transcript_csv_lines_are_spoken_by_participants_while_present(cf: Cloudflare) -> None:
    session = _ended(cf)
    people = _people(cf, session.id)
    response = _transcript(cf, session.id, "CSV")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) >= 3
    for row in rows:
        speaker = people[row["participant_id"]]
        assert row["display_name"] == speaker.display_name
        assert row["custom_participant_id"] == speaker.custom_participant_id
        assert speaker.joined_at <= row["start_time"] <= row["end_time"] <= speaker.left_at
        assert row["transcript"]


def test_every_transcript_format_carries_the_same_lines(cf: Cloudflare) -> None:
    session = _ended(cf)
    origin = parse_instant(session.started_at).timestamp()
    rows = list(csv.DictReader(io.StringIO(_transcript(cf, session.id, "CSV").text)))
    as_json = _transcript(cf, session.id, "JSON")
    assert as_json.headers["content-type"] == "application/json"
    document = json.loads(as_json.content)
    assert document["sessionId"] == session.id
    assert [(line["participant_id"], line["start_time"], line["text"]) for line in document["transcript"]] == [
        (row["participant_id"], row["start_time"], row["transcript"]) for row in rows]
    srt, vtt = _transcript(cf, session.id, "SRT"), _transcript(cf, session.id, "VTT")
    assert srt.headers["content-type"] == "application/x-subrip"
    assert vtt.headers["content-type"].startswith("text/vtt") and vtt.text.startswith("WEBVTT\n\n")
    srt_cues = [cue.splitlines() for cue in srt.text.strip().split("\n\n")]
    vtt_cues = [cue.splitlines() for cue in vtt.text.removeprefix("WEBVTT\n\n").strip().split("\n\n")]
    assert len(srt_cues) == len(vtt_cues) == len(rows)
    for number, (srt_cue, vtt_cue, row) in enumerate(zip(srt_cues, vtt_cues, rows, strict=True), start=1):
        assert srt_cue[0] == vtt_cue[0] == str(number)
        timing = CUE.match(srt_cue[1])
        assert timing and CUE.match(vtt_cue[1]) and "," in srt_cue[1] and "." in vtt_cue[1]
        start = origin + _offset(timing.groups()[:4])
        assert abs(start - parse_instant(row["start_time"]).timestamp()) < 0.002
        assert srt_cue[2] == f"{row['display_name']}: {row['transcript']}"
        assert vtt_cue[2] == f"<v {row['display_name']}>{row['transcript']}"


def test_chat_csv_and_its_expiry(cf: Cloudflare, sim: Sim) -> None:
    session = _ended(cf)
    people = _people(cf, session.id)
    data = cf.realtime_kit.sessions.get_session_chat(session.id, account_id=NORTHWIND, app_id=WEBINARS).data
    assert data is not None
    assert data.chat_download_url_expiry == isoformat(to_datetime(sim.now() + 3600))
    assert urlsplit(data.chat_download_url).path == f"/_ns/{sim.namespace}/_sim/files/realtimekit/{session.id}/chat.csv"
    rows = list(csv.DictReader(io.StringIO(httpx.get(data.chat_download_url).text)))
    assert rows and {row["session_id"] for row in rows} == {session.id}
    for row in rows:
        assert people[row["participant_id"]].joined_at <= row["created_at"] <= people[row["participant_id"]].left_at
    sim.advance(3599)
    assert httpx.get(data.chat_download_url).status_code == 200
    sim.advance(1)
    expired = httpx.get(data.chat_download_url)
    assert expired.status_code == 403 and expired.headers["content-type"] == "application/xml"
    assert "<Code>AccessDenied</Code>" in expired.text and "expired" in expired.text


def test_live_chat_grows_with_the_clock(cf: Cloudflare, sim: Sim) -> None:
    listing = cf.realtime_kit.sessions.get_sessions(WEBINARS, account_id=NORTHWIND, status="LIVE")
    assert listing.data and listing.data.sessions
    session = max(listing.data.sessions, key=lambda s: s.minutes_consumed)
    url = cf.realtime_kit.sessions.get_session_chat(session.id, account_id=NORTHWIND, app_id=WEBINARS).data
    assert url is not None
    before = list(csv.DictReader(io.StringIO(httpx.get(url.chat_download_url).text)))
    sim.advance(1800)
    after = list(csv.DictReader(io.StringIO(httpx.get(url.chat_download_url).text)))
    assert after[: len(before)] == before and len(after) > len(before)
    assert all(row["created_at"] <= isoformat(to_datetime(sim.now())) for row in after)


def test_summary_text_names_the_meeting_and_its_people(cf: Cloudflare, sim: Sim) -> None:
    session = _ended(cf)
    sessions = cf.realtime_kit.sessions
    sessions.generate_summary_of_transcripts(session.id, account_id=NORTHWIND, app_id=WEBINARS)
    sim.advance(90)
    data = sessions.get_session_summary(session.id, account_id=NORTHWIND, app_id=WEBINARS).data
    assert data is not None
    response = httpx.get(data.summary_download_url)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert session.meeting_display_name in response.text and session.id in response.text
    for person in _people(cf, session.id).values():
        assert person.display_name in response.text


@pytest.mark.parametrize("change", ["signature", "path", "expiry"])
def test_altered_urls_are_refused(cf: Cloudflare, change: str) -> None:
    session = _ended(cf)
    url = cf.realtime_kit.sessions.get_session_chat(session.id, account_id=NORTHWIND, app_id=WEBINARS).data
    assert url is not None
    original = url.chat_download_url
    signature = original.split("X-Amz-Signature=")[1]
    forged = ("1" if signature[0] == "0" else "0") + signature[1:]
    altered = {
        "signature": original.replace(signature, forged),
        "path": original.replace("chat.csv", "transcript.csv"),
        "expiry": original.replace("X-Amz-Expires=3600", "X-Amz-Expires=9999"),
    }[change]
    assert altered != original
    refused = httpx.get(altered)
    assert refused.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in refused.text


def test_ranges_are_served(cf: Cloudflare) -> None:
    session = _ended(cf)
    whole = _transcript(cf, session.id, "CSV")
    url = str(whole.request.url)
    part = httpx.get(url, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == whole.content[:10]


def test_a_url_issued_through_the_namespace_header_works_with_no_header(server: ThreadedServer, sim: Sim) -> None:
    namespace = f"{sim.namespace}-h"
    sdk = Cloudflare(api_token=NORTHWIND_TOKEN, base_url=f"{server.url}/client/v4", max_retries=0,
                     _strict_response_validation=True, default_headers={"X-Sim-Namespace": namespace})
    try:
        with sdk:
            data = sdk.realtime_kit.sessions.get_session_chat(_ended(sdk).id, account_id=NORTHWIND,
                                                              app_id=WEBINARS).data
        assert data is not None and urlsplit(data.chat_download_url).path.startswith(f"/_ns/{namespace}/")
        download = httpx.get(data.chat_download_url)
        assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
        in_default = httpx.get(data.chat_download_url.replace(f"/_ns/{namespace}/", "/"))
        assert in_default.status_code == 403 and "<Code>AccessDenied</Code>" in in_default.text
        assert f"signed for namespace '{namespace}' but was used in namespace 'default'" in in_default.text
    finally:
        httpx.delete(f"{server.url}/_sim/namespaces/{namespace}")


def test_a_lifetime_over_a_week_is_issued_as_a_week(tmp_path: Path) -> None:
    fixtures = load_fixtures(Settings().fixtures)
    fixtures["realtimekit"]["download_ttl_seconds"] = 30 * 86400
    path = tmp_path / "fixtures.yaml"
    path.write_text(yaml.safe_dump(fixtures), encoding="utf-8")
    with ThreadedServer(create_app(make_settings(fixtures=path))) as running, client(running, "week") as sdk:
        data = sdk.realtime_kit.sessions.get_session_chat(_ended(sdk).id, account_id=NORTHWIND, app_id=WEBINARS).data
        assert data is not None
        assert dict(parse_qsl(urlsplit(data.chat_download_url).query))["X-Amz-Expires"] == "604800"
        assert data.chat_download_url_expiry == "2025-01-27T15:00:00.000Z"
        assert httpx.get(data.chat_download_url).status_code == 200
