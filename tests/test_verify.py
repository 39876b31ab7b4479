"""`simulator verify`: clean against the simulator, drift found against an altered spec."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.app import create_app
from simulator.cli import main
from simulator.core.spec import specs_dir
from simulator.testing.server import ThreadedServer
from tests.support import make_settings, prevail_token


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    with ThreadedServer(create_app(make_settings(clock_frozen=False))) as running:
        yield running


def _verify(server: ThreadedServer, *extra: str) -> list[str]:
    return ["verify", "prevail", "--base-url", server.url, "-H", f"Authorization: Bearer {prevail_token()}",
            "--max-examples", "5", "--seed", "3", *extra]


def test_the_simulator_does_not_drift_from_its_spec(server: ThreadedServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_verify(server)) == 0
    out = capsys.readouterr().out
    assert "No drift found" in out
    assert "ok     GET /api/v1/session_requests" in out
    assert "POST" not in out  # read-only unless --allow-writes


def test_an_altered_spec_shows_drift(server: ThreadedServer, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    altered = tmp_path / "prevail.yaml"
    original = (specs_dir() / "prevail.yaml").read_text(encoding="utf-8")
    changed = original.replace("items: {type: integer, minimum: 1, maximum: 100}",
                               "items: {type: integer, minimum: 1, maximum: 5}")
    assert changed != original
    altered.write_text(changed, encoding="utf-8")
    assert main(_verify(server, "--spec", str(altered))) == 1
    out = capsys.readouterr().out
    assert "DRIFT  GET /api/v1/session_requests" in out
    assert "20 is greater than the maximum of 5" in out


def test_writes_only_when_allowed(server: ThreadedServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_verify(server, "--allow-writes")) == 0
    assert "POST /api/v1/session_requests" in capsys.readouterr().out


def test_unreachable_server_or_missing_spec_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    assert main(["verify", "prevail", "--base-url", "http://127.0.0.1:8000", "--spec",
                 str(tmp_path / "none.yaml")]) == 2
    assert "no spec" in capsys.readouterr().err
