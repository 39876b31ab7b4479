"""The dashboard at /_sim/ui, looked at in a real (headless) chromium: what a test does shows up live."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from simulator.app import create_app
from simulator.core.clock import isoformat, parse_instant
from simulator.testing.server import ThreadedServer
from tests.support import make_settings, prevail_token
from tests.ui.conftest import WAIT_SECONDS

Shots = Callable[[Any, str], Path]
VIEWS = ("clock", "journal", "coverage", "violations", "webhooks", "faults", "records", "timeline")


def _open(browser: Any, server: ThreadedServer) -> None:
    browser.get(f"{server.url}/_sim/ui")
    _wait(browser, lambda b: b.find_element(By.ID, "journal-live").text == "live", "the journal stream is live")


def _wait(browser: Any, condition: Callable[[Any], Any], what: str) -> Any:
    return WebDriverWait(browser, WAIT_SECONDS, poll_frequency=0.1).until(condition, f"waited for: {what}")


def _journal_rows(browser: Any) -> list[list[str]]:
    rows = browser.find_elements(By.CSS_SELECTOR, "#journal-table tbody tr")
    return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows]


def _prevail(server: ThreadedServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=10, headers={"Authorization": f"Bearer {prevail_token()}"})


def test_a_request_made_by_a_test_appears_in_the_live_journal(ui_server: ThreadedServer, browser: Any,
                                                               shots: Shots) -> None:
    _open(browser, ui_server)
    with _prevail(ui_server) as prevail:
        assert prevail.get("/api/v1/sessions").status_code == 200
        invalid = prevail.post("/api/v1/session_requests", json={"session_request": {"session_type": 7}})
        assert invalid.status_code == 422  # a request that breaks the spec

    def listed(b: Any) -> list[list[str]]:
        return [row for row in _journal_rows(b) if row[4] in ("listSessions", "createSessionRequest")]

    rows = _wait(browser, lambda b: len(listed(b)) == 2 and listed(b), "both Prevail requests in the journal")
    assert [(row[4], row[7]) for row in rows] == [("createSessionRequest", "422"), ("listSessions", "200")]
    assert all(row[3] == "prevail" for row in rows)
    assert "body.session_request.postback_url" in rows[0][9] and "/required" in rows[0][9]  # field and rule

    browser.find_element(By.ID, "f-violations").click()
    _wait(browser, lambda b: [row[7] for row in listed(b)] == ["422"], "only the violating request")
    browser.find_element(By.ID, "f-violations").click()
    Select(browser.find_element(By.ID, "f-vendor")).select_by_value("koreai")
    _wait(browser, lambda b: not listed(b), "no Prevail request under the koreai filter")
    Select(browser.find_element(By.ID, "f-vendor")).select_by_value("prevail")
    browser.find_element(By.ID, "f-operation").send_keys("listSess")
    _wait(browser, lambda b: [row[4] for row in listed(b)] == ["listSessions"], "the operation filter")
    shots(browser.find_element(By.ID, "journal"), "journal")


def _recording_url(prevail: httpx.Client) -> str:
    sessions = prevail.get("/api/v1/sessions", params={"items": 100}).json()["sessions"]
    completed = next(s for s in sessions if s["state"] == "completed")
    recordings = prevail.get(f"/api/v1/sessions/{completed['remote_session_id']}/recordings").json()["recordings"]
    return str(recordings[0]["presigned_url"])


def test_the_advance_button_moves_the_clock_and_a_download_link_expires(ui_server: ThreadedServer, browser: Any,
                                                                        shots: Shots) -> None:
    with _prevail(ui_server) as prevail:
        url = _recording_url(prevail)
    assert httpx.get(url).status_code == 200
    _open(browser, ui_server)
    before = browser.find_element(By.ID, "clock-now").text
    expected = isoformat(parse_instant(before) + timedelta(hours=25))
    field = browser.find_element(By.ID, "advance-seconds")
    field.clear()
    field.send_keys("90000")
    browser.find_element(By.ID, "advance").click()
    _wait(browser, lambda b: b.find_element(By.ID, "clock-now").text == expected, f"the clock at {expected}")
    assert httpx.get(f"{ui_server.url}/_sim/clock").json()["now"] == expected

    expired = httpx.get(url)
    assert expired.status_code == 403 and b"Request has expired" in expired.content

    def downloads(b: Any) -> list[str]:
        return [row[7] for row in _journal_rows(b) if row[4] == "downloadPrevailFile"]

    _wait(browser, lambda b: downloads(b) == ["403", "200"], "the download, then its expiry, in the journal")
    shots(browser.find_element(By.ID, "clock"), "clock")
    shots(browser.find_element(By.ID, "journal"), "journal")


def test_the_coverage_matrix_marks_an_operation_never_called(ui_server: ThreadedServer, browser: Any,
                                                             shots: Shots) -> None:
    with _prevail(ui_server) as prevail:
        assert prevail.get("/api/v1/sessions").status_code == 200
    _open(browser, ui_server)

    def row(operation: str) -> Any:
        return browser.find_element(By.CSS_SELECTOR, f'#coverage tr[data-operation="{operation}"]')

    _wait(browser, lambda b: row("listSessions").get_attribute("class") == "called", "listSessions counted")
    called = row("listSessions")
    assert called.find_element(By.CSS_SELECTOR, 'td[data-status="200"]').get_attribute("class") == "reached"
    unreached = called.find_element(By.CSS_SELECTOR, 'td[data-status="401"]')
    assert unreached.get_attribute("class") == "never" and unreached.text == "never"

    never = row("createSessionRequest")
    assert never.get_attribute("class") == "never-called" and "never called" in never.text
    assert {cell.text for cell in never.find_elements(By.CSS_SELECTOR, "td.never")} == {"never"}
    assert not never.find_elements(By.CSS_SELECTOR, "td.reached")
    for view in VIEWS:  # every view, as a user would see it
        shots(browser.find_element(By.ID, view), view)


def test_the_page_asks_for_the_admin_token(shots: Shots) -> None:
    from tests.ui.conftest import start_chromium

    with ThreadedServer(create_app(make_settings(admin_token="s3cret-token"))) as server:
        browser = start_chromium()
        try:
            browser.get(f"{server.url}/_sim/ui")
            form = _wait(browser, lambda b: b.find_element(By.ID, "token-form").is_displayed()
                         and b.find_element(By.ID, "token-form"), "the token form")
            assert not browser.find_element(By.ID, "views").is_displayed()
            browser.find_element(By.ID, "token-input").send_keys("wrong")
            browser.find_element(By.ID, "token-submit").click()
            _wait(browser, lambda b: "refused" in b.find_element(By.ID, "token-error").text, "the refusal")
            shots(form, "token")
            field = browser.find_element(By.ID, "token-input")
            field.clear()
            field.send_keys("s3cret-token")
            browser.find_element(By.ID, "token-submit").click()
            _wait(browser, lambda b: b.find_element(By.ID, "journal-live").text == "live", "the dashboard")
            assert browser.find_element(By.ID, "clock-now").text.startswith("2025-")
        finally:
            browser.quit()
