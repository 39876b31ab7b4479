"""The checks of scripts/replicas-check.sh, against replicas it started behind a balancer.

    python3 scripts/replicas_check.py --balancer URL --replica NAME,URL,PID [--replica ...] [--namespaces 20]

Drives every namespace through a Prevail lifecycle through the balancer (create a session request with
a postback URL, advance the clock so it is scheduled and the postback fires, list it, advance past the
session, download a recording through its presigned URL), half of them choosing their namespace by the
/_ns/NAME/ prefix and half by X-Sim-Namespace. Then checks each namespace lives on exactly one replica
(asking every replica directly) and answers consistently, kills one replica, and checks that only its
namespaces are affected. Standard library only; exit status 1 on any failure.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

SESSION = {"title": "Smith v. Jones", "case": "123-case", "start_date": "2025-01-28", "start_time": "01:30 AM",
           "time_zone": "Eastern Time (US & Canada)"}
PAST_THE_SESSION = 9 * 86400  # from the scheduling hour to well after the session's 4 hours on Jan 28
failures: list[str] = []


@dataclass
class Replica:
    name: str
    url: str
    pid: int
    namespaces: set[str] = field(default_factory=set)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(headers or {})} if data is not None else dict(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(req, timeout=15) as response:
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        return Answer(0, {}, str(error).encode())


def check(ok: bool, what: str) -> bool:
    if not ok:
        failures.append(what)
        print(f"FAIL: {what}", flush=True)
    return ok


class Receiver(http.server.ThreadingHTTPServer):
    """Postbacks by path (/hook/NAMESPACE)."""

    def __init__(self) -> None:
        self.received: dict[str, list[Any]] = {}
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), Hook)


class Hook(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # the name http.server calls
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.server.lock:
            self.server.received.setdefault(self.path.rsplit("/", 1)[-1], []).append(json.loads(body or b"{}"))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


@dataclass
class Namespace:
    name: str
    balancer: str
    by_prefix: bool
    token: str
    request_id: int | None = None
    owner: str | None = None

    def url(self, path: str) -> str:
        return f"{self.balancer}/_ns/{self.name}{path}" if self.by_prefix else f"{self.balancer}{path}"

    def call(self, method: str, path: str, body: Any = None, admin: bool = False) -> Answer:
        headers = {} if self.by_prefix else {"X-Sim-Namespace": self.name}
        if not admin:
            headers["Authorization"] = f"Bearer {self.token}"
        return request(method, self.url(path), body, headers)

    def listed(self) -> tuple[int, dict[str, Any] | None]:
        answer = self.call("GET", "/api/v1/session_requests?items=100")
        if answer.status != 200:
            return answer.status, None
        mine = [r for r in answer.json()["requests"] if r["id"] == self.request_id]
        return 200, mine[0] if mine else None


def lifecycle(ns: Namespace, receiver: Receiver, hook_base: str) -> None:
    body = {"session_request": {"remote_session": SESSION, "postback_url": f"{hook_base}/hook/{ns.name}"}}
    created = ns.call("POST", "/api/v1/session_requests", body)
    if not check(created.status == 201, f"{ns.name}: create answered {created.status} {created.body[:200]!r}"):
        return
    request_record = created.json()["requests"][0]
    ns.request_id = request_record["id"]
    check(request_record["session_state"] == "initial", f"{ns.name}: created in {request_record['session_state']}")
    advanced = ns.call("POST", "/_sim/clock/advance", {"seconds": 3600}, admin=True)
    check(advanced.status == 200, f"{ns.name}: clock advance answered {advanced.status}")
    status, mine = ns.listed()
    if not check(status == 200 and mine is not None, f"{ns.name}: request not listed ({status})"):
        return
    assert mine is not None
    check(mine["session_state"] == "scheduled", f"{ns.name}: listed as {mine['session_state']}, not scheduled")
    deadline = time.monotonic() + 15
    while ns.name not in receiver.received and time.monotonic() < deadline:
        time.sleep(0.05)
    check(ns.name in receiver.received, f"{ns.name}: no postback received")
    remote_id = mine.get("remote_session_id")
    if not check(bool(remote_id), f"{ns.name}: no remote_session_id once scheduled: {mine}"):
        return
    ns.call("POST", "/_sim/clock/advance", {"seconds": PAST_THE_SESSION}, admin=True)
    recordings = ns.call("GET", f"/api/v1/sessions/{remote_id}/recordings")
    if not check(recordings.status == 200 and recordings.json()["recordings"],
                 f"{ns.name}: no recordings after the session ({recordings.status} {recordings.body[:200]!r})"):
        return
    url = recordings.json()["recordings"][0]["presigned_url"]
    check(url.startswith(f"{ns.balancer}/_ns/{ns.name}/"), f"{ns.name}: download URL {url} bypasses the balancer "
          "or lacks the namespace")
    download = request("GET", url, headers={"Range": "bytes=0-1023"})  # no namespace header: the URL carries it
    check(download.status == 206 and len(download.body) == 1024,
          f"{ns.name}: presigned download through the balancer answered {download.status}")


def placement(replicas: list[Replica], names: set[str]) -> None:
    for replica in replicas:
        answer = request("GET", f"{replica.url}/_sim/namespaces")
        check(answer.status == 200 and answer.headers.get("x-sim-replica") == replica.name,
              f"{replica.name}: namespace list answered {answer.status}, X-Sim-Replica "
              f"{answer.headers.get('x-sim-replica')}")
        replica.namespaces = set(answer.json()["namespaces"]) & names if answer.status == 200 else set()


def consistency(namespaces: list[Namespace], replicas: list[Replica]) -> None:
    for ns in namespaces:
        holders = [r.name for r in replicas if ns.name in r.namespaces]
        if check(len(holders) == 1, f"{ns.name}: held by {holders or 'no replica'}, not exactly one"):
            ns.owner = holders[0]
        status, mine = ns.listed()
        check(status == 200 and mine is not None and mine["session_state"] == "scheduled",
              f"{ns.name}: through the balancer the request is {mine and mine['session_state']} ({status})")
        info = ns.call("GET", f"/_sim/namespaces/{ns.name}", admin=True)
        check(info.status == 200 and info.headers.get("x-sim-replica") == ns.owner,
              f"{ns.name}: namespace info through the balancer came from {info.headers.get('x-sim-replica')}, "
              f"owner {ns.owner}")


def wait_gone(replica: Replica) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and request("GET", f"{replica.url}/_sim/health").status != 0:
        time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--balancer", required=True)
    parser.add_argument("--replica", action="append", required=True, help="NAME,URL,PID")
    parser.add_argument("--namespaces", type=int, default=20)
    args = parser.parse_args()
    replicas = [Replica(name, url, int(pid)) for name, url, pid in (item.split(",") for item in args.replica)]
    token = subprocess.run([sys.executable, "-m", "simulator", "token", "prevail"], capture_output=True, text=True,
                           check=True).stdout.strip()
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook_base = f"http://127.0.0.1:{receiver.server_address[1]}"
    namespaces = [Namespace(f"team{i:02d}", args.balancer, i % 2 == 0, token) for i in range(args.namespaces)]
    started = time.monotonic()
    for ns in namespaces:
        lifecycle(ns, receiver, hook_base)
    print(f"lifecycles: {len(namespaces)} namespaces (half by /_ns/ prefix, half by X-Sim-Namespace) in "
          f"{time.monotonic() - started:.1f} s; postbacks received for {len(receiver.received)}", flush=True)
    placement(replicas, {ns.name for ns in namespaces})
    consistency(namespaces, replicas)
    for replica in replicas:
        print(f"  {replica.name} ({replica.url}) holds {len(replica.namespaces):2d}: "
              f"{' '.join(sorted(replica.namespaces))}", flush=True)
    if failures:
        print(f"{len(failures)} failure(s) before the kill; not killing", flush=True)
        return 1

    victim = max(replicas, key=lambda r: (len(r.namespaces), r.name))
    others = [r for r in replicas if r is not victim]
    check(all(r.namespaces for r in others), "the surviving replicas hold no namespace: nothing to compare")
    os.kill(victim.pid, signal.SIGKILL)
    wait_gone(victim)
    print(f"killed {victim.name} (pid {victim.pid}), which held {len(victim.namespaces)} namespaces", flush=True)
    affected, unaffected = [], []
    for ns in namespaces:
        status, mine = ns.listed()
        if ns.owner == victim.name:
            # Its state went with the replica: the balancer answers 502 or a fresh namespace on a survivor.
            check(mine is None, f"{ns.name}: still shows its request although its replica was killed")
            affected.append(f"{ns.name}({'moved, empty' if status == 200 else status or 'no answer'})")
        else:
            check(status == 200 and mine is not None and mine["session_state"] == "scheduled",
                  f"{ns.name} on {ns.owner}: after the kill the request is {mine and mine['session_state']} "
                  f"({status})")
            unaffected.append(ns.name)
    before = {r.name: set(r.namespaces) for r in others}
    placement(others, {ns.name for ns in namespaces})
    for replica in others:  # a survivor kept all it held (it may also hold namespaces that moved to it)
        check(before[replica.name] <= replica.namespaces, f"{replica.name} lost namespaces after the kill")
    print(f"after the kill: {len(unaffected)} namespaces on the survivors answer as before; "
          f"{len(affected)} of {victim.name} lost their state (502 from nginx until it marks {victim.name} down, "
          f"then a fresh namespace on a survivor): {' '.join(affected)}", flush=True)
    if failures:
        print(f"FAILED: {len(failures)} check(s)", flush=True)
        return 1
    print("PASSED", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
