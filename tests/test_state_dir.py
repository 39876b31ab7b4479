"""``simulator serve --state-dir DIR``: namespaces kept in SQLite across restarts, even a kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from simulator.app import create_app
from simulator.core.clock import parse_instant
from simulator.core.persist import FILE_NAME, StateStore
from simulator.settings import from_env
from simulator.testing.server import ThreadedServer, free_port
from tests.persist.memo import MemoBackend, vendors
from tests.support import CLOCK_START, make_settings, prevail_token

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def killed_at_exit(command: list[str], state_dir: Path) -> Iterator[str]:
    """A server started with ``command`` on a free port and ``--state-dir``, killed with SIGKILL at the end."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
    process = subprocess.Popen([*command, "--port", str(port), "--state-dir", str(state_dir),
                                "--clock-start", CLOCK_START, "--freeze-clock"],
                               env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # the banner comes once the port accepts
        assert first.startswith("simulator listening on"), (first, process.stderr.read() if process.stderr else "")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)


SERVE = [sys.executable, "-m", "simulator", "serve"]
SERVE_WITH_MEMO = [sys.executable, "-m", "tests.persist.memo"]


def test_a_killed_server_keeps_every_acknowledged_admin_write(tmp_path: Path) -> None:
    with killed_at_exit(SERVE, tmp_path) as url, httpx.Client(base_url=url, timeout=10) as http:
        assert http.put("/_ns/alpha/_sim/clock", json={"now": "2030-05-01T12:00:00Z"}).status_code == 200
        assert http.post("/_ns/alpha/_sim/clock/advance", json={"seconds": 90}).status_code == 200
        assert http.put("/_ns/beta/_sim/clock", json={"frozen": False, "token_clock": "namespace"}).status_code == 200
        assert http.post("/_ns/blank/_sim/reset", json={"empty": True}).status_code == 200
        assert http.put("/_ns/gone/_sim/clock", json={"now": "2031-01-01T00:00:00Z"}).status_code == 200
        assert http.delete("/_sim/namespaces/gone").status_code == 204
    with killed_at_exit(SERVE, tmp_path) as url, httpx.Client(base_url=url, timeout=10) as http:
        assert http.get("/_sim/namespaces").json()["namespaces"] == ["alpha", "beta", "blank"]
        assert http.get("/_ns/alpha/_sim/clock").json()["now"] == "2030-05-01T12:01:30.000Z"
        beta = http.get("/_ns/beta/_sim/clock").json()
        assert (beta["frozen"], beta["token_clock"]) == (False, "namespace")
        sessions = http.get("/_ns/blank/api/v1/sessions", headers={"Authorization": f"Bearer {prevail_token()}"})
        assert sessions.status_code == 200 and sessions.json()["sessions"] == []  # still empty: tenants only
        seeded = http.get("/_ns/other/api/v1/sessions", headers={"Authorization": f"Bearer {prevail_token()}"})
        assert seeded.json()["sessions"]
        assert http.delete("/_sim/namespaces/gone").status_code == 404


def test_a_killed_server_keeps_vendor_records_and_their_pending_effects(tmp_path: Path) -> None:
    with killed_at_exit(SERVE_WITH_MEMO, tmp_path) as url, httpx.Client(base_url=url, timeout=10) as http:
        for key in ("one", "two", "three"):
            assert http.put(f"/_ns/m/memo/v1/memos/{key}", json={"text": key}).status_code == 200
        assert http.put("/_ns/m/memo/v1/memos/two", json={"text": "second", "stamp_after": 60}).status_code == 200
        assert http.delete("/_ns/m/memo/v1/memos/three").status_code == 200
        assert http.post("/_ns/m/_sim/clock/advance", json={"seconds": 59}).status_code == 200
    with killed_at_exit(SERVE_WITH_MEMO, tmp_path) as url, httpx.Client(base_url=url, timeout=10) as http:
        assert http.get("/_ns/m/memo/v1/memos/one").json() == {"key": "one", "text": "one", "stamped": False}
        assert http.get("/_ns/m/memo/v1/memos/two").json()["text"] == "second"
        assert http.get("/_ns/m/memo/v1/memos/three").status_code == 404
        assert http.get("/_ns/m/memo/v1/memos/two").json()["stamped"] is False  # due in one second
        assert http.post("/_ns/m/_sim/clock/advance", json={"seconds": 1}).status_code == 200
        assert http.get("/_ns/m/memo/v1/memos/two").json()["stamped"] is True


class _Client(httpx.Client):
    app: Any


@contextmanager
def _app(state_dir: Path) -> Iterator[_Client]:
    """An in-process server with the memo vendor keeping state in ``state_dir``, stopped (cleanly) at the end."""
    app = create_app(make_settings(state_dir=state_dir), vendors())
    with ThreadedServer(app) as running, _Client(base_url=running.url, timeout=10) as client:
        client.app = app
        yield client


def test_namespaces_load_on_first_use_not_at_start(tmp_path: Path) -> None:
    with _app(tmp_path) as client:
        assert client.put("/_ns/a/memo/v1/memos/k", json={"text": "kept"}).status_code == 200
    with _app(tmp_path) as client:
        registry = client.app.state.registry
        assert registry.all() == []  # nothing read at start but the names
        assert client.get("/_sim/namespaces").json()["namespaces"] == ["a"]
        assert registry.all() == []
        assert client.get("/_ns/a/memo/v1/memos/k").json()["text"] == "kept"
        assert [namespace.name for namespace in registry.all()] == ["a"]


def test_a_deleted_namespace_is_deleted_from_the_state_dir(tmp_path: Path) -> None:
    with _app(tmp_path) as client:
        for name in ("loaded", "unloaded"):
            assert client.put(f"/_ns/{name}/memo/v1/memos/k", json={"text": name}).status_code == 200
    with _app(tmp_path) as client:
        assert client.get("/_ns/loaded/memo/v1/memos/k").status_code == 200
        assert client.delete("/_sim/namespaces/loaded").status_code == 204
        assert client.delete("/_sim/namespaces/unloaded").status_code == 204  # never loaded in this process
    with _app(tmp_path) as client:
        assert client.get("/_sim/namespaces").json()["namespaces"] == []
        assert client.get("/_ns/loaded/memo/v1/memos/k").status_code == 404
    assert _rows(tmp_path) == (0, 0)


def test_a_reset_is_kept(tmp_path: Path) -> None:
    with _app(tmp_path) as client:
        assert client.put("/_ns/r/memo/v1/memos/k", json={"text": "x", "stamp_after": 5}).status_code == 200
        assert client.post("/_ns/r/_sim/clock/advance", json={"seconds": 3600}).status_code == 200
        assert client.post("/_ns/r/_sim/reset", json={}).status_code == 200
    with _app(tmp_path) as client:
        assert client.get("/_ns/r/memo/v1/memos/k").status_code == 404
        assert client.get("/_ns/r/_sim/clock").json()["now"] == "2025-01-20T15:00:00.000Z"
    assert _rows(tmp_path)[1] == 0


def test_a_save_writes_only_the_rows_that_changed(tmp_path: Path) -> None:
    with _app(tmp_path) as client:
        for key in ("a", "b", "c"):
            assert client.put(f"/_ns/d/memo/v1/memos/{key}", json={"text": key}).status_code == 200
        registry = client.app.state.registry
        store: StateStore = client.app.state.pipeline.store
        namespace = registry.get("d")
        assert store.save(namespace) == 0  # everything is written already
        backend: MemoBackend = namespace.state("memo")
        backend.memos["b"].text = "changed"
        assert store.save(namespace) == 1
        del backend.memos["c"]
        assert store.save(namespace, ["memo"]) == 1
        assert store.save(namespace) == 0
    assert _rows(tmp_path)[1] == 2


def test_a_refused_write_stores_no_namespace(tmp_path: Path) -> None:
    with _app(tmp_path) as client:
        assert client.put("/_ns/n/memo/v1/memos/k", json={"text": 1}).status_code == 400
        assert client.get("/_sim/namespaces").json()["namespaces"] == ["n"]  # in memory only
    with _app(tmp_path) as client:
        assert client.get("/_sim/namespaces").json()["namespaces"] == []


def _rows(state_dir: Path) -> tuple[int, int]:
    with closing(sqlite3.connect(state_dir / FILE_NAME)) as db:
        meta = db.execute("SELECT COUNT(*) FROM meta").fetchone()[0]
        records = db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    return int(meta), int(records)


def _start_failure(state_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
    return subprocess.run([*SERVE, "--port", str(free_port()), "--state-dir", str(state_dir)], env=env,
                          capture_output=True, text=True, timeout=60)


def test_a_corrupt_state_file_is_one_line_at_start_up(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"this is not a database, " * 100)
    outcome = _start_failure(tmp_path)
    assert outcome.returncode == 2
    assert outcome.stderr.strip().splitlines() == [
        f"simulator: cannot open state file {tmp_path / FILE_NAME}: file is not a database"]


def test_an_unusable_state_dir_is_one_line_at_start_up(tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a directory")
    outcome = _start_failure(blocker)
    assert outcome.returncode == 2
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"simulator: cannot open state file {blocker / FILE_NAME}: "), lines


def test_the_state_dir_comes_from_the_environment_too() -> None:
    assert from_env({"SIM_STATE_DIR": "/var/lib/simulator"}).state_dir == Path("/var/lib/simulator")
    assert from_env({}).state_dir is None


@pytest.mark.parametrize("flag", ["--state-dir"])
def test_serve_documents_the_flag(flag: str) -> None:
    helped = subprocess.run([*SERVE, "--help"], capture_output=True, text=True, timeout=60)
    assert flag in helped.stdout


def test_a_namespace_whose_rows_cannot_be_loaded_is_named_and_the_others_still_serve(tmp_path: Path) -> None:
    with _app(tmp_path) as client:
        for name in ("good", "bad"):
            assert client.put(f"/_ns/{name}/memo/v1/memos/k", json={"text": name}).status_code == 200
    with closing(sqlite3.connect(tmp_path / FILE_NAME)) as db, db:
        db.execute("UPDATE records SET value = ? WHERE namespace = 'bad'", (b"{not json",))
    with _app(tmp_path) as client:  # starts: records are read on first use only
        broken = client.get("/_ns/bad/memo/v1/memos/k")
        assert broken.status_code == 500
        assert "namespace 'bad'" in broken.json()["error"] and "cannot be loaded" in broken.json()["error"]
        assert client.get("/_ns/good/memo/v1/memos/k").json()["text"] == "good"


def test_a_second_server_on_the_same_state_dir_is_refused_in_one_line(tmp_path: Path) -> None:
    with killed_at_exit(SERVE, tmp_path):
        outcome = _start_failure(tmp_path)
    assert outcome.returncode == 2
    assert outcome.stderr.strip().splitlines() == [
        f"simulator: cannot open state file {tmp_path / FILE_NAME}: database is locked "
        "(another simulator serves this --state-dir)"]


def test_a_running_clock_runs_on_while_the_server_is_down(tmp_path: Path) -> None:
    with _app(tmp_path) as client:
        moment = "2030-01-01T00:00:00Z"
        assert client.put("/_ns/live/_sim/clock", json={"now": moment, "frozen": False}).status_code == 200
        assert client.put("/_ns/still/_sim/clock", json={"now": moment}).status_code == 200
    with closing(sqlite3.connect(tmp_path / FILE_NAME)) as db, db:  # as if saved an hour ago
        for namespace, value in db.execute("SELECT namespace, value FROM meta WHERE key = 'wall_at_save'").fetchall():
            if orjson.loads(value) is not None:
                db.execute("UPDATE meta SET value = ? WHERE namespace = ? AND key = 'wall_at_save'",
                           (orjson.dumps(orjson.loads(value) - 3600), namespace))
    with _app(tmp_path) as client:
        live = parse_instant(client.get("/_ns/live/_sim/clock").json()["now"]).timestamp()
        assert 3600 <= live - parse_instant("2030-01-01T00:00:00Z").timestamp() < 3600 + 60
        assert client.get("/_ns/still/_sim/clock").json()["now"] == "2030-01-01T00:00:00.000Z"


def test_effects_the_ticker_fires_are_written_without_a_request(tmp_path: Path) -> None:
    with killed_at_exit(SERVE_WITH_MEMO, tmp_path) as url, httpx.Client(base_url=url, timeout=10) as http:
        assert http.put("/_ns/t/_sim/clock", json={"frozen": False}).status_code == 200
        assert http.put("/_ns/t/memo/v1/memos/k", json={"text": "x", "stamp_after": 0.5}).status_code == 200
        time.sleep(3)  # the effect is due after 0.5 s; the ticker runs every 0.5 s. No request meanwhile.
    assert _stamped(tmp_path)  # read after the kill: only what was committed counts


def _stamped(state_dir: Path) -> bool:
    with closing(sqlite3.connect(state_dir / FILE_NAME, timeout=5)) as db:
        row = db.execute("SELECT value FROM records WHERE namespace = 't' AND key = 'k'").fetchone()
    return row is not None and orjson.loads(row[0])["stamped"] is True


def test_a_killed_server_keeps_every_vendors_acknowledged_writes(tmp_path: Path) -> None:
    """Writes to each of the four vendors, acknowledged, then SIGKILL: after a restart on the same
    directory each namespace's whole document (records, clock, effects) is what it was."""
    from tests.vendors.koreai.helpers import NORTHWIND_BOT
    from tests.vendors.prevail.helpers import new_request
    from tests.vendors.realtimekit.test_admin_seed import record
    from tests.vendors.vonage.helpers import US, conversation

    prevail = {"Authorization": f"Bearer {prevail_token()}"}
    with killed_at_exit(SERVE, tmp_path) as url, httpx.Client(base_url=url, timeout=30) as http:
        created = http.post("/_ns/p/api/v1/session_requests", json=new_request(), headers=prevail)
        assert created.status_code == 201, created.text
        assert http.post("/_ns/p/_sim/clock/advance", json={"seconds": 60}).status_code == 200
        assert http.post("/_ns/k/_sim/koreai/calls", json={"bot_id": NORTHWIND_BOT}).status_code == 201
        assert http.post("/_ns/r/_sim/realtimekit/sessions", json=[record()]).status_code == 201
        stored = http.post("/_ns/v/_sim/vonage/sessions", json=[conversation("kept-1")],
                           params={"account_id": US["account_id"]})
        assert stored.status_code == 201, stored.text
        before = {name: http.get(f"/_ns/{name}/_sim/state").json() for name in "pkrv"}
    assert before["p"]["effects"], "the created request waits to be scheduled"
    with killed_at_exit(SERVE, tmp_path) as url, httpx.Client(base_url=url, timeout=30) as http:
        assert http.get("/_sim/namespaces").json()["namespaces"] == ["k", "p", "r", "v"]
        after = {name: http.get(f"/_ns/{name}/_sim/state").json() for name in "pkrv"}
        assert after == before
        [request] = created.json()["requests"]
        listed = http.get("/_ns/p/api/v1/session_requests", headers=prevail).json()["requests"]
        assert request["id"] in [item["id"] for item in listed]
