"""Presigned recording URLs carry their namespace: a plain GET works from any client, whichever way the
namespace was chosen, and a URL used in another namespace is refused naming both."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support import Sim, prevail_token


@pytest.fixture
def by_header(sim: Sim) -> Iterator[httpx.Client]:
    """A Prevail client that picks namespace '<test's>-h' with the X-Sim-Namespace header, not the URL."""
    root, name = sim.base.rsplit("/_ns/", 1)[0], f"{sim.namespace}-h"
    with httpx.Client(base_url=root, timeout=10, headers={"X-Sim-Namespace": name,
                                                          "Authorization": f"Bearer {prevail_token()}"}) as client:
        yield client
    httpx.delete(f"{root}/_sim/namespaces/{name}")


def _recording_url(client: httpx.Client) -> str:
    sessions = client.get("/api/v1/sessions", params={"items": 100}).json()["sessions"]
    completed = next(s for s in sessions if s["state"] == "completed")
    recordings = client.get(f"/api/v1/sessions/{completed['remote_session_id']}/recordings").json()["recordings"]
    return str(recordings[0]["presigned_url"])


def test_a_url_issued_through_the_namespace_header_works_with_no_header(sim: Sim, by_header: httpx.Client) -> None:
    namespace = by_header.headers["X-Sim-Namespace"]
    url = _recording_url(by_header)
    assert urlsplit(url).path.startswith(f"/_ns/{namespace}/_sim/files/prevail/")
    assert f"X-Amz-Credential=SIM%2F{namespace}%2F" in url
    download = httpx.get(url)  # as a browser or ffmpeg would: no header
    assert download.status_code == 200 and download.content[4:8] == b"ftyp"

    in_default = httpx.get(url.replace(f"/_ns/{namespace}/", "/"))
    assert in_default.status_code == 403 and in_default.headers["content-type"] == "application/xml"
    assert b"<Code>AccessDenied</Code>" in in_default.content
    assert f"signed for namespace '{namespace}' but was used in namespace 'default'".encode() in in_default.content
    elsewhere = httpx.get(url.replace(f"/_ns/{namespace}/", f"/_ns/{sim.namespace}/"))
    assert elsewhere.status_code == 403 and f"namespace '{sim.namespace}'".encode() in elsewhere.content


def test_a_url_is_not_valid_before_it_was_issued(sim: Sim) -> None:
    sessions = sim.prevail().get("/api/v1/sessions", params={"items": 100}).json()["sessions"]
    completed = next(s for s in sessions if s["state"] == "completed")
    url = sim.prevail().get(f"/api/v1/sessions/{completed['remote_session_id']}/recordings").json()[
        "recordings"][0]["presigned_url"]
    assert sim.http.put("/_sim/clock", json={"now": "2025-01-20T14:00:00Z"}).status_code == 200
    early = httpx.get(url)
    assert early.status_code == 403 and b"<Code>AccessDenied</Code>" in early.content
    assert b"Request is not valid yet" in early.content
    assert sim.http.put("/_sim/clock", json={"now": "2025-01-20T15:00:00Z"}).status_code == 200
    assert httpx.get(url).status_code == 200
