"""The HTML contract report, opened in the same headless chromium as the dashboard: a violation a test made
is on the page, and an operation never called is marked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from simulator.app import create_app
from simulator.cli import main
from simulator.testing.server import ThreadedServer
from tests.support import make_settings
from tests.test_report_html import SCRIPT, _traffic
from tests.ui.conftest import start_chromium


@pytest.fixture
def lenient() -> Iterator[ThreadedServer]:
    with ThreadedServer(create_app(make_settings(lenient=True))) as server:
        yield server


def test_the_html_report_shows_a_violation_a_test_made(lenient: ThreadedServer, tmp_path: Path) -> None:
    _traffic(lenient.url)  # one clean listing, one creation whose deponent role breaks the spec
    report = tmp_path / "report.html"
    assert main(["report", "--url", lenient.url, "--format", "html", "--output", str(report)]) == 1
    driver = start_chromium()
    try:
        driver.get(report.as_uri())
        [row] = driver.find_elements(By.CSS_SELECTOR, "#violation-table tr.violation")
        assert row.find_element(By.CSS_SELECTOR, "td.field").text == "body.session_request.deponent.role"
        assert SCRIPT in row.find_element(By.CSS_SELECTOR, "td.message").text  # shown, not run
        assert row.find_element(By.CSS_SELECTOR, "td.request code").text == "POST /api/v1/session_requests"
        never = driver.find_element(By.CSS_SELECTOR, '#vendor-prevail tr[data-operation="listSessions"]')
        assert "never called" in never.text
        assert driver.execute_script("return document.scripts.length") == 0
        driver.save_screenshot(str(tmp_path / "report.png"))
    finally:
        driver.quit()
