"""The fileUrl: a signed URL on the simulator that serves a real WAV file, with ranges, and expires."""

from __future__ import annotations

import io
import wave
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from simulator.vendors.koreai.media import HEADER_BYTES
from tests.support import Sim
from tests.vendors.koreai.helpers import (
    MAX_RECORDING,
    MEDIA_DELAY,
    NORTHWIND_BOT,
    URL_TTL,
    Koreai,
    koreai_token,
    recordings_path,
)


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _opened(content: bytes) -> wave.Wave_read:
    return wave.open(io.BytesIO(content), "rb")


def test_the_file_is_a_wav_as_long_as_the_call(sim: Sim, kore: Koreai) -> None:
    session = kore.finished_call(37.25)["session_id"]
    [url] = kore.file_urls(session)
    response = sim.http.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/wav"
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.headers["accept-ranges"] == "bytes"
    assert response.content[:4] == b"RIFF" and response.content[8:12] == b"WAVE"
    with _opened(response.content) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 8000)
        assert audio.getcomptype() == "NONE"
        assert audio.getnframes() / audio.getframerate() == pytest.approx(37.25, abs=1 / 8000)
        samples = audio.readframes(audio.getnframes())
    assert len(set(samples)) > 100, "the audio is not silence"


def test_the_url_has_the_shape_of_the_vendors_sample(sim: Sim, kore: Koreai) -> None:
    session = kore.finished_call(10)["session_id"]
    [url] = kore.file_urls(session)
    parts = urlsplit(url)
    segments = parts.path.split("/")
    assert segments[-8:-6] == ["getMediaStream", "smartassistrecording"]
    assert segments[-6:-4] == ["PROD", "o-4b2e8d1f-6c3a-5f97-8e0d-1a2b3c4d5e6f"]
    assert segments[-4] == NORTHWIND_BOT and segments[-3:-1] == ["2025", "20-01-2025"]
    assert segments[-1].startswith("f-") and segments[-1].endswith(".wav")
    query = dict(parse_qsl(parts.query))
    assert list(query) == ["e", "n", "s"]
    assert int(query["e"]) == int(sim.now()) + URL_TTL
    assert query["n"].isdigit() and len(query["n"]) == 10


def test_several_recordings_add_up_to_the_call(sim: Sim, kore: Koreai) -> None:
    session = kore.finished_call(300, recordings=3)["session_id"]
    urls = kore.file_urls(session)
    assert len(urls) == 3
    durations = []
    for url in urls:
        with _opened(sim.http.get(url).content) as audio:
            durations.append(audio.getnframes() / audio.getframerate())
    assert sum(durations) == pytest.approx(300, abs=3 / 8000)
    assert all(d > 0 for d in durations)


def test_long_recordings_are_cut_at_the_documented_cap(sim: Sim, kore: Koreai) -> None:
    session = kore.finished_call(MAX_RECORDING + 300)["session_id"]
    [url] = kore.file_urls(session)
    head = sim.http.head(url)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == HEADER_BYTES + MAX_RECORDING * 8000 * 2
    with _opened(sim.http.get(url).content) as audio:
        assert audio.getnframes() / audio.getframerate() == MAX_RECORDING


def test_range_requests_get_206_with_the_right_bytes(sim: Sim, kore: Koreai) -> None:
    session = kore.finished_call(5)["session_id"]
    [url] = kore.file_urls(session)
    whole = sim.http.get(url).content
    size = len(whole)
    middle = sim.http.get(url, headers={"Range": "bytes=100-16099"})
    assert middle.status_code == 206 and middle.content == whole[100:16100]
    assert middle.headers["content-range"] == f"bytes 100-16099/{size}"
    assert middle.headers["content-type"] == "audio/wav" and middle.headers["content-length"] == "16000"
    tail = sim.http.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole[-10:]
    open_ended = sim.http.get(url, headers={"Range": f"bytes={size - 3}-"})
    assert open_ended.content == whole[-3:]
    beyond = sim.http.get(url, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    assert beyond.json()["errors"][0]["code"] == 416


def test_the_audio_is_deterministic_per_call(sim: Sim, kore: Koreai) -> None:
    first = kore.finished_call(20, session_id="same-call")["session_id"]
    before = sim.http.get(kore.file_urls(first)[0]).content
    sim.advance(5)
    assert sim.http.get(kore.file_urls(first)[0]).content == before
    other = kore.finished_call(20)["session_id"]
    assert sim.http.get(kore.file_urls(other)[0]).content != before
    sim.http.post("/_sim/reset")
    again = kore.finished_call(20, session_id="same-call")["session_id"]
    assert sim.http.get(kore.file_urls(again)[0]).content == before


def test_the_url_expires_on_the_namespace_clock(sim: Sim, kore: Koreai) -> None:
    session = kore.finished_call(5)["session_id"]
    [url] = kore.file_urls(session)
    sim.advance(URL_TTL - 1)
    assert sim.http.get(url).status_code == 200
    sim.advance(1)
    expired = sim.http.get(url)
    assert expired.status_code == 403 and "expired" in expired.json()["errors"][0]["msg"]
    fresh = kore.file_urls(session)[0]
    assert sim.http.get(fresh).status_code == 200


def test_tampered_urls_are_403(sim: Sim, kore: Koreai) -> None:
    session = kore.finished_call(5)["session_id"]
    [url] = kore.file_urls(session)
    query = dict(parse_qsl(urlsplit(url).query))
    later = _with_query(url, e=str(int(query["e"]) + 3600))
    other_nonce = _with_query(url, n="1234567890")
    other_signature = _with_query(url, s=query["s"][::-1])
    other_file = url.replace("/f-", "/f-0", 1)
    for tampered in (later, other_nonce, other_signature, other_file):
        response = sim.http.get(tampered)
        assert response.status_code == 403, tampered
        assert response.json()["errors"][0]["msg"].startswith("Signature does not match this URL")


def test_a_url_is_bound_to_the_namespace_that_issued_it(sim: Sim, kore: Koreai) -> None:
    session = kore.finished_call(5)["session_id"]
    [url] = kore.file_urls(session)
    elsewhere = url.replace(f"/_ns/{sim.namespace}/", f"/_ns/{sim.namespace}-other/")
    assert httpx.get(elsewhere).status_code == 403


def test_a_url_issued_through_the_namespace_header_works_with_no_header(sim: Sim) -> None:
    root, namespace = sim.base.rsplit("/_ns/", 1)[0], f"{sim.namespace}-h"
    headers = {"X-Sim-Namespace": namespace, "auth": koreai_token()}
    try:
        with httpx.Client(base_url=root, timeout=10, headers=headers) as by_header:
            started = by_header.post("/_sim/koreai/calls", json={"bot_id": NORTHWIND_BOT, "duration_seconds": 5})
            assert started.status_code == 201, started.text
            assert by_header.post("/_sim/clock/advance", json={"seconds": 5 + MEDIA_DELAY}).status_code == 200
            found = by_header.get(recordings_path(), params={"sessionId": started.json()["session_id"]}).json()
        url = found["recording"][0]["fileUrl"]
        assert urlsplit(url).path.startswith(f"/_ns/{namespace}/api/getMediaStream/")
        download = httpx.get(url)  # no header, as a media player would fetch it
        assert download.status_code == 200 and download.content[:4] == b"RIFF"
        in_default = httpx.get(url.replace(f"/_ns/{namespace}/", "/"))
        assert in_default.status_code == 403
        assert "issued in another namespace" in in_default.json()["errors"][0]["msg"]
    finally:
        httpx.delete(f"{root}/_sim/namespaces/{namespace}")


def test_added_or_repeated_parameters_are_403(sim: Sim, kore: Koreai) -> None:
    session = kore.finished_call(5)["session_id"]
    [url] = kore.file_urls(session)
    added = httpx.get(url + "&download=1")
    assert added.status_code == 403 and "added or removed" in added.json()["errors"][0]["msg"]
    repeated = httpx.get(url + "&n=" + dict(parse_qsl(urlsplit(url).query))["n"])
    assert repeated.status_code == 403 and "more than once" in repeated.json()["errors"][0]["msg"]


def test_a_url_is_not_valid_before_it_was_issued(sim: Sim, kore: Koreai) -> None:
    session = kore.finished_call(5)["session_id"]
    [url] = kore.file_urls(session)
    issued = sim.now()
    assert sim.http.put("/_sim/clock", json={"now": "2025-01-20T14:00:00Z"}).status_code == 200
    early = httpx.get(url)
    assert early.status_code == 403 and early.json()["errors"][0]["msg"].startswith("Signed URL is not valid yet")
    sim.advance(issued - sim.now())
    assert httpx.get(url).status_code == 200


def test_incomplete_signed_urls_are_400_naming_the_field(sim: Sim, kore: Koreai) -> None:
    session = kore.finished_call(5)["session_id"]
    [url] = kore.file_urls(session)
    stripped = urlunsplit(urlsplit(url)._replace(query=urlencode({"e": "1", "n": "2"})))
    response = sim.http.get(stripped)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "query.s"
