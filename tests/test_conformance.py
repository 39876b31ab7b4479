"""Client conformance: strict rejects, lenient serves and records, the report lists what was broken."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from simulator.app import create_app
from simulator.cli import main
from simulator.testing.server import ThreadedServer
from tests.support import make_settings, prevail_token, run_readme_block
from tests.vendors.prevail.helpers import new_request

ROOT = Path(__file__).resolve().parents[1]
HEADERS = {"Authorization": f"Bearer {prevail_token()}"}


def _bad_requests(client: httpx.Client) -> list[httpx.Response]:
    """A wrong type, a missing required field and an unknown enum value."""
    wrong_type = new_request()
    wrong_type["session_request"]["invite_emails"] = "john@smith.com"
    missing = new_request()
    del missing["session_request"]["remote_session"]["case"]
    unknown_enum = new_request()
    unknown_enum["session_request"]["deponent"]["role"] = "judge"
    return [client.post("/api/v1/session_requests", json=body, headers=HEADERS)
            for body in (wrong_type, missing, unknown_enum)]


EXPECTED_FIELDS = {"body.session_request.invite_emails", "body.session_request.remote_session.case",
                   "body.session_request.deponent.role"}


@pytest.fixture(params=[False, True], ids=["strict", "lenient"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[bool, ThreadedServer]]:
    with ThreadedServer(create_app(make_settings(lenient=request.param))) as server:
        yield request.param, server


def test_strict_rejects_and_lenient_records(served: tuple[bool, ThreadedServer]) -> None:
    lenient, server = served
    with httpx.Client(base_url=server.url) as client:
        answers = _bad_requests(client)
        if lenient:
            # served where it can be (the unknown role, the string of emails); a request missing what the
            # operation needs still cannot be served, and says why
            assert [a.status_code for a in answers] == [201, 422, 201]
        else:
            assert [a.status_code for a in answers] == [422, 422, 422]
            named = {e["field"] for a in answers for e in a.json()["errors"]}
            assert named == EXPECTED_FIELDS
        journaled = client.get("/_sim/journal", params={"violations": "true"}).json()["entries"]
        assert {v["field"] for e in journaled for v in e["violations"]} == EXPECTED_FIELDS
        assert {e["operation_id"] for e in journaled} == {"createSessionRequest"}


def _report(url: str, fmt: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["report", "--url", url, "--format", fmt])
    return code, capsys.readouterr().out


def test_report_lists_coverage_and_violations(served: tuple[bool, ThreadedServer],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    _lenient, server = served
    with httpx.Client(base_url=server.url) as client:
        client.get("/api/v1/session_requests", headers=HEADERS)
        _bad_requests(client)
    code, text = _report(server.url, "text", capsys)
    assert code == 1
    assert "prevail: 2/5 operations" in text
    assert re.search(r"never called\s+GET /api/v1/sessions \(listSessions\)", text)
    assert "never provoked: 400, 401, 422, 429" in text  # listSessionRequests saw only 200 (limits are not listed)
    for field in EXPECTED_FIELDS:
        assert f"VIOLATION x1 {field}" in text

    code, raw = _report(server.url, "json", capsys)
    coverage = json.loads(raw)
    [prevail] = [v for v in coverage["vendors"] if v["vendor"] == "prevail"]
    assert prevail["summary"]["violations"] == 3 and code == 1

    code, xml = _report(server.url, "junit", capsys)
    suite = ElementTree.fromstring(xml).find("testsuite[@name='prevail']")
    assert suite is not None and suite.get("failures") == "1" and suite.get("skipped") == "3"
    failure = suite.find("testcase/failure")
    assert failure is not None and "body.session_request.deponent.role" in (failure.text or "")


def test_report_of_clean_traffic_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with ThreadedServer(create_app(make_settings())) as server:
        httpx.get(f"{server.url}/api/v1/sessions", headers=HEADERS)
        code, text = _report(server.url, "text", capsys)
    assert code == 0 and "VIOLATION" not in text and "1/5 operations" in text


def test_report_without_a_server_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--url", "http://127.0.0.1:9"]) == 2
    assert "cannot reach" in capsys.readouterr().err


def test_readme_check_your_client_examples(tmp_path: Path) -> None:
    body = (ROOT / "README.md").read_text(encoding="utf-8").split("## Check your client\n", 1)[1].split("\n## ")[0]
    report_block, verify_block = re.findall(r"```bash\n(.*?)```", body, re.S)
    assert "serve --lenient --port 8002" in report_block and "serve --port 8001" in verify_block
    with ThreadedServer(create_app(make_settings(lenient=True))) as lenient:
        result = run_readme_block(report_block, lenient.url, 8002, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("the client broke the contract")
    decoder, documents, rest = json.JSONDecoder(), [], result.stdout.strip()
    while rest.startswith("{"):  # curl prints the two bodies back to back
        document, end = decoder.raw_decode(rest)
        documents.append(document)
        rest = rest[end:].lstrip()
    listing, journal = documents
    assert listing["pagy"]["count"] == 72  # lenient: a junk epoch filter is ignored, not fatal
    assert journal["entries"][0]["violations"][0]["field"] == "query.start_time"
    junit = ElementTree.parse(tmp_path / "contract-report.xml").getroot()
    assert junit.find("testsuite[@name='prevail']/testcase/failure") is not None
    page = (tmp_path / "contract-report.html").read_text(encoding="utf-8")
    assert "query.start_time" in page and "GET /api/v1/session_requests?start_time=yesterday" in page

    with ThreadedServer(create_app(make_settings(clock_frozen=False))) as strict:
        result = run_readme_block(verify_block, strict.url, 8001, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No drift found" in result.stdout
