"""A headless Debian chromium, driven by Selenium through chromedriver, and a simulator for it to look at.

Missing browser tools fail the tests with the command that installs them: a browser test that skips
itself would pass in CI without having looked at anything.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.support import make_settings

INSTALL = "apt-get install chromium chromium-driver (Debian; as root), then pip install -e '.[test]' for selenium"
WAIT_SECONDS = 15  # generous: a cold chromium on a busy CI machine


def browser_tools() -> tuple[str, str]:
    """Paths of chromium and chromedriver, or a failure saying how to install them."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", browser), ("chromedriver", driver)) if path is None]
    if missing:
        pytest.fail(f"the dashboard tests need {' and '.join(missing)}: {INSTALL}", pytrace=False)
    assert browser is not None and driver is not None
    return browser, driver


def start_chromium(width: int = 1400, height: int = 1000) -> Any:
    browser, driver = browser_tools()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail(f"the dashboard tests need selenium: {INSTALL}", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}"):
        options.add_argument(argument)  # --no-sandbox: CI runs as root, where chromium's sandbox refuses to start
    return webdriver.Chrome(service=Service(driver), options=options)


@pytest.fixture
def ui_server() -> Iterator[ThreadedServer]:
    with ThreadedServer(create_app(make_settings())) as server:
        yield server
        # What the page asked for and what the test provoked must have been answered as the spec says.
        entries = httpx.get(f"{server.url}/_sim/journal", timeout=10).json()["entries"]
        broken = [entry for entry in entries if entry["response_violations"]]
        assert not broken, f"responses broke the spec: {broken}"


@pytest.fixture
def make_browser(ui_server: ThreadedServer) -> Iterator[Callable[[], Any]]:
    """Start chromium browsers; each quits before the server stops (its journal stream must end first)."""
    started: list[Any] = []

    def make() -> Any:
        driver = start_chromium()
        driver.set_script_timeout(WAIT_SECONDS)
        started.append(driver)
        return driver

    yield make
    for driver in started:
        driver.quit()


@pytest.fixture
def browser(make_browser: Callable[[], Any]) -> Any:
    return make_browser()


@pytest.fixture
def shots(tmp_path: Path) -> Callable[[Any, str], Path]:
    """Save a screenshot of a page element (a dashboard view) in the test's temp folder."""

    def shoot(element: Any, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        element.screenshot(str(path))
        assert path.stat().st_size > 1000, f"empty screenshot {path}"
        return path

    return shoot
