"""The pytest plugin, exercised the way users meet it: in a separate pytest run (pytester)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.support import make_settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _readme_python(section: str) -> list[str]:
    body = README.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, re.S)


def test_readme_examples_pass_as_written(pytester: pytest.Pytester) -> None:
    httpx_example, sdk_example, _saved_world = _readme_python("Use it in your tests")
    pytester.makepyfile(test_prevail_client=httpx_example, test_meeting_reports=sdk_example)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=2)


def test_each_test_has_its_own_namespace(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        BODY = {"session_request": {"postback_url": "http://127.0.0.1:9/h", "remote_session": {
            "title": "t", "case": "c", "start_date": "2025-01-28", "start_time": "01:30 AM", "time_zone": "UTC"}}}

        def _count(simulator):
            token = simulator.credentials["prevail"][0]["token"]
            api = httpx.Client(base_url=simulator.base_url("prevail"), headers={"Authorization": f"Bearer {token}"})
            return api, api.get("/session_requests").json()["pagy"]["count"]

        SEEN = []

        def test_one(simulator):
            SEEN.append(simulator.namespace)
            api, before = _count(simulator)
            api.post("/session_requests", json=BODY)
            assert _count(simulator)[1] == before + 1 == 73

        def test_two(simulator):
            api, before = _count(simulator)
            assert before == 72  # test_one's request is not here
            assert SEEN and simulator.namespace != SEEN[0]
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=2)


def test_clock_journal_and_seed_helpers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_helpers(simulator):
            start = simulator.clock.freeze()
            assert (simulator.clock.advance(hours=25) - start).total_seconds() == 25 * 3600
            assert simulator.clock.set("2030-01-01T00:00:00Z").year == 2030
            bot = simulator.credentials["koreai"][0]["bot_ids"][0]
            call = simulator.seed("koreai", {"bot_id": bot, "duration_seconds": 30})
            assert call["status"] == "call_in_progress"
            simulator.journal.assert_called("createKoreaiCall", times=1)
            with pytest.raises(AssertionError, match="called 1 time"):
                simulator.journal.assert_called("createKoreaiCall", times=2)
            with pytest.raises(AssertionError, match="never called"):
                simulator.journal.assert_called("listSessions")
            with pytest.raises(ValueError, match="takes no hand-made records"):
                simulator.seed("nobody", {})
            simulator.http.get("/api/v1/session_requests?start_time=x", headers={
                "Authorization": "Bearer " + simulator.credentials["prevail"][0]["token"]})
            assert [v["status"] for v in simulator.journal.violations] == [422]
            assert simulator.coverage()["vendors"][0]["summary"]["violations"] == 1
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=1)


def test_a_failed_assertion_fails_the_users_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_expects_a_call(simulator):
            simulator.journal.assert_called("listSessionRequests", times=1)
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*listSessionRequests was called 0 time(s), expected 1*"])


def test_an_already_running_simulator_can_be_used(pytester: pytest.Pytester) -> None:
    with ThreadedServer(create_app(make_settings())) as server:
        pytester.makepyfile(
            f"""
            def test_uses_it(simulator):
                assert simulator.url.startswith("{server.url}/_ns/")
                assert simulator.http.get("/_sim/clock").json()["now"] == "2025-01-20T15:00:00.000Z"
            """
        )
        result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", f"--simulator-url={server.url}")
        result.assert_outcomes(passed=1)
        assert httpx.get(f"{server.url}/_sim/namespaces").json()["namespaces"] == []  # deleted after the test


def test_options_configure_the_session_server(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsimulator_clock_start = 2031-05-06T07:08:09Z\nsimulator_lenient = true\n")
    pytester.makepyfile(
        """
        def test_configured(simulator):
            assert simulator.clock.now().year == 2031
            token = simulator.credentials["prevail"][0]["token"]
            answer = simulator.http.post("/api/v1/session_requests", headers={"Authorization": f"Bearer {token}"},
                                         json={"session_request": {"postback_url": "http://127.0.0.1:9/h",
                                               "remote_session": {"title": "t", "case": "c", "start_date": "2031-06-01",
                                               "start_time": "01:30 AM", "time_zone": "UTC"},
                                               "deponent": {"role": "judge"}}})
            assert answer.status_code == 201  # lenient: served, and recorded
            assert simulator.journal.violations[0]["violations"][0]["field"] == "body.session_request.deponent.role"
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=1)


def test_a_test_can_have_tokens_judged_by_its_namespace_clock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import jwt

        def test_token_expires_with_the_clock(simulator):
            org = simulator.credentials["prevail"][0]
            assert simulator.clock.token_clock == "wall"
            now = simulator.clock.freeze().timestamp()
            token = jwt.encode({"slug": org["slug"], "exp": int(now) + 60}, org["api_key"], algorithm="HS256")
            api = httpx.Client(base_url=simulator.base_url("prevail"), headers={"Authorization": f"Bearer {token}"})
            assert simulator.clock.judge_tokens("namespace") == "namespace"
            assert api.get("/sessions").status_code == 200
            simulator.clock.advance(minutes=1)
            refused = api.get("/sessions")
            assert refused.status_code == 401 and "by the namespace clock" in refused.json()["error"]
            assert simulator.clock.judge_tokens("wall") == "wall"
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=1)


def test_the_token_clock_option_configures_the_session_server(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsimulator_token_clock = namespace\n")
    pytester.makepyfile(
        """
        def test_configured(simulator):
            assert simulator.clock.token_clock == "namespace"
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=1)


def test_readme_fuzz_example_passes_as_written(pytester: pytest.Pytester) -> None:
    section = README.split("### Fuzzed responses\n", 1)[1].split("\n## ", 1)[0]
    [example] = [block for block in re.findall(r"```python\n(.*?)```", section, re.S) if "simulator.fuzz(" in block]
    assert "simulator.fuzz.replay(" in example
    pytester.makepyfile(test_fuzzed_meetings=example)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=1)


FUZZED_TEST = '''
import httpx
import pytest


@pytest.mark.simulator_fuzz(runs=3, seed=11, rate=1.0, vendors=["prevail"])
def test_sessions_come_back_as_built(simulator):
    token = simulator.credentials["prevail"][0]["token"]
    answer = httpx.get(simulator.base_url("prevail") + "/sessions",
                       headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert "X-Sim-Mutation" not in answer.headers, answer.headers["X-Sim-Mutation"]
'''


def test_the_fuzz_marker_runs_each_seed_reports_it_and_a_failure_replays(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fuzzed=FUZZED_TEST)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-rf")
    result.assert_outcomes(failed=3)  # rate 1.0: every run's answer is mutated
    output = result.stdout.str()
    for seed in (11, 12, 13):
        assert f"test_sessions_come_back_as_built[fuzz-seed-{seed}]" in output
        assert f"fuzzed with seed {seed}; 1 mutated answer(s)" in output
    [replay] = re.findall(r"--simulator-fuzz-replay=(m1\.listSessions\.12\.\S+)", output)
    again = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", f"--simulator-fuzz-replay={replay}")
    again.assert_outcomes(failed=1)  # one run, fuzzed as when it answered that id
    assert f"[fuzz-replay-{replay}]" in again.stdout.str()
    assert f"AssertionError: {replay}" in again.stdout.str()  # the same mutation, reproduced


def test_a_test_without_the_marker_is_not_fuzzed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain=FUZZED_TEST.replace("@pytest.mark.simulator_fuzz(runs=3, seed=11, rate=1.0, "
                                                       'vendors=["prevail"])\n', ""))
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=1)


def test_readme_fuzz_marker_example_passes_as_written(pytester: pytest.Pytester) -> None:
    section = README.split("### Fuzzed responses\n", 1)[1].split("\n## ", 1)[0]
    [example] = [block for block in re.findall(r"```python\n(.*?)```", section, re.S) if "simulator_fuzz(" in block]
    pytester.makepyfile(test_marked=example)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=5)
def test_a_test_can_plan_faults(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_faults(simulator):
            token = simulator.credentials["prevail"][0]["token"]
            api = simulator.http
            auth = {"Authorization": f"Bearer {token}"}
            rule = simulator.faults.add(match={"operation": "listSessions"}, when={"calls": [2]},
                                        effect={"status": 429, "retry_after": 1})
            assert rule["id"] == "f1" and rule["fired"] == 0
            assert [api.get("/api/v1/sessions", headers=auth).status_code for _ in range(3)] == [200, 429, 200]
            assert [(r["matched"], r["fired"]) for r in simulator.faults.list()] == [(3, 1)]
            with pytest.raises(AssertionError, match="fault rule refused .409.*getSessions"):
                simulator.faults.add(match={"vendor": "prevail", "operation": "getSessions"}, effect={"latency": 1})
            simulator.faults.add(effect={"latency": 1})
            simulator.faults.remove("f1")
            with pytest.raises(AssertionError, match="cannot remove fault rule 'f1'"):
                simulator.faults.remove("f1")
            simulator.faults.clear()
            assert simulator.faults.list() == []
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=1)


def test_seed_stores_hand_made_records_for_every_vendor(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        def test_seed_each_vendor(simulator):
            stored = simulator.seed("vonage", [{"id": "hand-made-1", "status": "completed"}])
            assert stored["ids"] == ["hand-made-1"]
            bot = simulator.credentials["koreai"][0]["bot_ids"][0]
            calls = simulator.seed("koreai", [{"bot_id": bot, "session_id": "call-1"},
                                              {"bot_id": bot, "session_id": "call-2"}])
            assert [c["session_id"] for c in calls] == ["call-1", "call-2"]
            requests = simulator.seed("prevail", [{
                "id": 777001, "organisation": "acme-legal", "state": "initial", "title": "Hand v. Made",
                "case": "1-case", "start_date": "2025-02-01", "start_time": "10:00 AM", "time_zone": "EST"}])
            assert requests["requests"][0]["session_state"] == "initial"
            token = simulator.credentials["prevail"][0]["token"]
            listed = httpx.get(simulator.base_url("prevail") + "/session_requests",
                               headers={"Authorization": "Bearer " + token}).json()["requests"]
            assert listed[0]["id"] == 777001
            sessions = simulator.seed("realtimekit", [{
                "app_id": "3b8e5d1f7a2c4e6b9d0f1a2b3c4d5e6f", "meeting_title": "Hand-made",
                "started_at": "2025-01-19T10:00:00Z", "participants": [
                    {"display_name": "Ada", "joined_at": "2025-01-19T10:00:00Z", "left_at": "2025-01-19T10:30:00Z"}]}])
            assert sessions["sessions"][0]["status"] == "ENDED"
            with pytest.raises(AssertionError, match="409"):
                simulator.seed("prevail", [{
                    "id": 777001, "organisation": "acme-legal", "title": "Again", "case": "1-case",
                    "start_date": "2025-02-01", "start_time": "10:00 AM", "time_zone": "EST"}])
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=1)
