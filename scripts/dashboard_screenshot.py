"""Take docs/dashboard.png: the dashboard in headless chromium, after a little traffic.

    python3 scripts/dashboard_screenshot.py [OUTPUT]

Needs chromium, chromium-driver and selenium, as the browser tests do (see the README's "See it").
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.app import create_app  # noqa: E402
from simulator.testing.server import ThreadedServer  # noqa: E402
from tests.support import make_settings, prevail_token  # noqa: E402
from tests.ui.conftest import start_chromium  # noqa: E402


def traffic(url: str) -> None:
    """A few requests worth looking at: answers, a spec violation, a download and its expiry."""
    with httpx.Client(base_url=url, timeout=10, headers={"Authorization": f"Bearer {prevail_token()}"}) as prevail:
        sessions = prevail.get("/api/v1/sessions", params={"items": 100}).json()["sessions"]
        completed = next(s for s in sessions if s["state"] == "completed")
        link = prevail.get(f"/api/v1/sessions/{completed['remote_session_id']}/recordings").json()["recordings"][0]
        httpx.get(link["presigned_url"])
        prevail.get(f"/api/v1/sessions/{completed['remote_session_id']}/transcripts")
        prevail.post("/api/v1/session_requests", json={"session_request": {"session_type": 7}})
        httpx.post(f"{url}/_sim/clock/advance", json={"seconds": 90000})
        httpx.get(link["presigned_url"])
        prevail.get("/api/v1/session_requests", params={"items": 5})


def main() -> None:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "dashboard.png"
    with ThreadedServer(create_app(make_settings())) as server:
        traffic(server.url)
        browser = start_chromium(1400, 1300)
        try:
            browser.get(f"{server.url}/_sim/ui")
            deadline = time.monotonic() + 15
            while browser.find_element("id", "journal-live").text != "live" or not browser.find_elements(
                    "css selector", "#journal-table tbody tr"):
                if time.monotonic() > deadline:
                    raise SystemExit("the dashboard did not load")
                time.sleep(0.1)
            browser.save_screenshot(str(output))
        finally:
            browser.quit()
    print(output)


if __name__ == "__main__":
    main()
