"""``simulator serve --faults plan.yaml``: a plan checked at start and put into every new namespace."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from simulator.app import create_app
from simulator.cli import main
from simulator.settings import from_env
from simulator.testing.server import ThreadedServer
from tests.support import make_settings, prevail_token

PLAN = """\
# The second call of every Prevail list is rate limited; every Vonage call waits a little.
- match: {vendor: prevail, operation: [listSessions, listSessionRequests]}
  when: {calls: [2]}
  effect: {status: 429, retry_after: 1}
- match: {vendor: vonage}
  effect: {latency: 1}
"""


@pytest.mark.parametrize(("text", "expected"), [
    ("effect: {status: 429}\n", "must be a list of fault rules"),
    ("- effect: {status: 429\n", "plan.yaml:2:1: "),
    ("- match: {operation: nope}\n  effect: {status: 429}\n",
     "plan.yaml: [0].match.operation: unknown operationId 'nope'"),
    ("- effect: {latency: 1}\n- match: {vendor: realtimekit}\n  effect: {status: 503}\n",
     "plan.yaml: [1].effect.status: 503 is not declared by getSessions"),
    ("- 7\n", "plan.yaml: [0]: must be an object"),
    ("- &a {effect: {latency: 1}}\n- *a\n" + "- *a\n" * 100, "at most 100 rules"),
])
def test_a_bad_plan_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                                           expected: str) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(text, encoding="utf-8")
    assert main(["serve", "--faults", str(plan), "--port", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err


def test_a_missing_plan_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--faults", str(tmp_path / "absent.yaml"), "--port", "1"]) == 2
    assert "absent.yaml: cannot read the fault plan file" in capsys.readouterr().err


def test_the_plan_is_in_every_new_namespace_and_a_reset_puts_it_back(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    auth = {"Authorization": f"Bearer {prevail_token()}"}
    with ThreadedServer(create_app(make_settings(faults=plan))) as server:
        one = httpx.Client(base_url=f"{server.url}/_ns/one", headers=auth)
        two = httpx.Client(base_url=f"{server.url}/_ns/two", headers=auth)
        assert [one.get("/api/v1/sessions").status_code for _ in range(3)] == [200, 429, 200]
        assert two.get("/api/v1/sessions").status_code == 200  # its own counters
        rules = one.get("/_sim/faults").json()["rules"]
        assert [(r["id"], r["matched"], r["fired"]) for r in rules] == [("f1", 3, 1), ("f2", 0, 0)]
        assert one.post("/_sim/faults", json={"effect": {"latency": 1}}).json()["id"] == "f3"
        assert one.post("/_sim/reset").status_code == 200
        after = one.get("/_sim/faults").json()["rules"]
        assert [(r["id"], r["matched"]) for r in after] == [("f1", 0), ("f2", 0)]
        assert one.delete("/_sim/faults").status_code == 204
        assert [one.get("/api/v1/sessions").status_code for _ in range(2)] == [200, 200]


def test_the_plan_can_come_from_the_environment(tmp_path: Path) -> None:
    assert from_env({"SIM_FAULTS": str(tmp_path / "p.yaml")}).faults == tmp_path / "p.yaml"
