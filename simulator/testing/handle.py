"""What a test holds: one namespace of a running simulator, with its clock, journal and credentials.

Everything goes over HTTP, so the same handle drives an in-process server or one started elsewhere
(a container in CI).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from simulator.core.clock import isoformat, parse_instant


class ClockHandle:
    def __init__(self, http: httpx.Client):
        self._http = http

    def _answer(self, response: httpx.Response) -> datetime:
        if response.status_code != 200:
            raise AssertionError(f"clock change refused ({response.status_code}): {response.text}")
        return parse_instant(response.json()["now"])

    def now(self) -> datetime:
        return self._answer(self._http.get("/_sim/clock"))

    def advance(self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0) -> datetime:
        """Move the namespace clock on; timed effects that became due (webhooks, schedules) fire first."""
        total = seconds + 60 * minutes + 3600 * hours + 86400 * days
        return self._answer(self._http.post("/_sim/clock/advance", json={"seconds": total}))

    def freeze(self) -> datetime:
        return self._answer(self._http.put("/_sim/clock", json={"frozen": True}))

    def unfreeze(self) -> datetime:
        return self._answer(self._http.put("/_sim/clock", json={"frozen": False}))

    def set(self, moment: datetime | str, *, frozen: bool | None = None) -> datetime:
        text = moment if isinstance(moment, str) else isoformat(moment)
        body: dict[str, Any] = {"now": text}
        if frozen is not None:
            body["frozen"] = frozen
        return self._answer(self._http.put("/_sim/clock", json=body))

    def judge_tokens(self, clock: str = "namespace") -> str:
        """Which clock judges JWTs (``exp``, ``nbf``, ``iat``) in this namespace: ``"namespace"`` to expire
        tokens by moving this clock, ``"wall"`` (the usual default) to judge them as clients mint them."""
        response = self._http.put("/_sim/clock", json={"token_clock": clock})
        if response.status_code != 200:
            raise AssertionError(f"token clock change refused ({response.status_code}): {response.text}")
        return str(response.json()["token_clock"])

    @property
    def token_clock(self) -> str:
        """The clock that judges JWTs in this namespace now."""
        response = self._http.get("/_sim/clock")
        response.raise_for_status()
        return str(response.json()["token_clock"])


class JournalHandle:
    def __init__(self, http: httpx.Client):
        self._http = http

    def entries(self, **filters: Any) -> list[dict[str, Any]]:
        params = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in filters.items() if v is not None}
        response = self._http.get("/_sim/journal", params=params)
        response.raise_for_status()
        return list(response.json()["entries"])

    def calls(self, operation_id: str) -> list[dict[str, Any]]:
        return [e for e in self.entries(operation=operation_id) if e["kind"] == "request"]

    def assert_called(self, operation_id: str, times: int | None = None) -> list[dict[str, Any]]:
        """The requests of that operation; fails unless there were ``times`` of them (or any, if None)."""
        found = self.calls(operation_id)
        if times is None and not found:
            raise AssertionError(f"{operation_id} was never called")
        if times is not None and len(found) != times:
            raise AssertionError(f"{operation_id} was called {len(found)} time(s), expected {times}")
        return found

    @property
    def violations(self) -> list[dict[str, Any]]:
        """Requests (and responses) that broke the spec, oldest first."""
        return self.entries(violations=True)

    def clear(self) -> None:
        self._http.delete("/_sim/journal").raise_for_status()


class FuzzHandle:
    """Response fuzzing of the namespace: ``simulator.fuzz(seed=3)`` turns it on, ``.off()`` turns it off."""

    def __init__(self, http: httpx.Client):
        self._http = http

    def _answer(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code != 200:
            raise AssertionError(f"fuzz settings refused ({response.status_code}): {response.text}")
        return dict(response.json())

    def __call__(self, seed: int | None = None, rate: float | None = None, vendors: list[str] | None = None,
                 operations: list[str] | None = None, mutations: list[str] | None = None) -> dict[str, Any]:
        """Mutate this namespace's answers within the spec from now on; returns the settings in force."""
        given = {"seed": seed, "rate": rate, "vendors": vendors, "operations": operations, "mutations": mutations}
        return self._answer(self._http.put("/_sim/fuzz", json={k: v for k, v in given.items() if v is not None}))

    def replay(self, mutation: str) -> dict[str, Any]:
        """Reproduce an ``X-Sim-Mutation`` id on the next answer of its operation (then fuzzing is off)."""
        return self._answer(self._http.put("/_sim/fuzz", json={"replay": mutation}))

    def off(self) -> None:
        self._answer(self._http.delete("/_sim/fuzz"))

    @property
    def settings(self) -> dict[str, Any]:
        return self._answer(self._http.get("/_sim/fuzz"))

    def mutations(self) -> list[dict[str, Any]]:
        """What was done to each mutated answer so far, oldest first: ``{"id", "count", "mutations", ...}``."""
        response = self._http.get("/_sim/journal")
        response.raise_for_status()
        return [entry["detail"]["mutation"] for entry in response.json()["entries"]
                if "mutation" in entry.get("detail", {}) and entry["detail"]["mutation"]["id"]]


class FaultsHandle:
    """The namespace's fault plan: make the simulator misbehave on purpose (see ``POST /_sim/faults``)."""

    def __init__(self, http: httpx.Client):
        self._http = http

    def add(self, *, effect: dict[str, Any], match: dict[str, Any] | None = None,
            when: dict[str, Any] | None = None) -> dict[str, Any]:
        """Add a rule; returns it with its ``id`` (and ``matched``/``fired`` counters at 0).

        ``simulator.faults.add(match={"operation": "getSessions"}, when={"calls": [1, 2]},
        effect={"status": 429, "retry_after": 1})``; for webhook deliveries,
        ``simulator.faults.add(match={"vendor": "prevail", "webhook": "session_scheduled"},
        effect={"webhook": "bad_signature"})``
        """
        rule: dict[str, Any] = {"effect": effect}
        if match is not None:
            rule["match"] = match
        if when is not None:
            rule["when"] = when
        response = self._http.post("/_sim/faults", json=rule)
        if response.status_code != 201:
            raise AssertionError(f"fault rule refused ({response.status_code}): {response.text}")
        return dict(response.json())

    def list(self) -> list[dict[str, Any]]:
        """The rules in order, each with how many calls it ``matched`` and how often it ``fired``."""
        response = self._http.get("/_sim/faults")
        response.raise_for_status()
        return list(response.json()["rules"])

    def remove(self, rule_id: str) -> None:
        response = self._http.delete(f"/_sim/faults/{rule_id}")
        if response.status_code != 204:
            raise AssertionError(f"cannot remove fault rule {rule_id!r} ({response.status_code}): {response.text}")

    def clear(self) -> None:
        self._http.delete("/_sim/faults").raise_for_status()


class SimulatorHandle:
    """One test's namespace. ``base_url(vendor)`` is what to give the client under test."""

    def __init__(self, server_url: str, namespace: str, credentials: dict[str, list[dict[str, Any]]],
                 client_bases: dict[str, str], seed_paths: dict[str, str | None],
                 transport: httpx.BaseTransport | None = None, admin_token: str | None = None,
                 seed_singles: frozenset[str] = frozenset()):
        self.server_url = server_url.rstrip("/")
        self.namespace = namespace
        self.url = f"{self.server_url}/_ns/{namespace}"
        self.credentials = credentials
        self._client_bases = client_bases
        self._seed_paths = seed_paths
        self._seed_singles = seed_singles
        # A shared transport (and no proxy lookup) keeps a handle cheap: building an httpx client from
        # scratch loads a CA bundle, ~30 ms, which would dominate a test's cost.
        self._owns_transport = transport is None
        # The admin token (when the simulator has one) rides on every call of this client: vendors ignore it.
        headers = {"X-Sim-Admin-Token": admin_token} if admin_token else {}
        self.http = httpx.Client(base_url=self.url, timeout=30, transport=transport or httpx.HTTPTransport(),
                                 trust_env=False, headers=headers)
        self.clock = ClockHandle(self.http)
        self.journal = JournalHandle(self.http)
        self.fuzz = FuzzHandle(self.http)
        self.faults = FaultsHandle(self.http)

    def base_url(self, vendor: str) -> str:
        if vendor not in self._client_bases:
            raise KeyError(f"unknown vendor {vendor!r}; known: {', '.join(sorted(self._client_bases))}")
        return self.url + self._client_bases[vendor]

    def seed(self, vendor: str, records: Any) -> Any:
        """Store hand-made records through the vendor's admin seed operation; returns what it stored.

        ``records`` is what that operation takes: a list of records (one record for Kore.ai, whose
        operation starts one call per request; a list for it is sent one by one and its calls returned).
        """
        path = self._seed_paths.get(vendor)
        if path is None:
            able = sorted(name for name, found in self._seed_paths.items() if found)
            raise ValueError(f"{vendor!r} takes no hand-made records; vendors that do: {', '.join(able)}")
        if vendor in self._seed_singles and isinstance(records, list):
            return [self._post_seed(vendor, path, record) for record in records]
        return self._post_seed(vendor, path, records)

    def _post_seed(self, vendor: str, path: str, records: Any) -> Any:
        response = self.http.post(path, json=records)
        if response.status_code >= 400:
            raise AssertionError(f"seeding {vendor} failed ({response.status_code}): {response.text}")
        return response.json()

    def rate_limit(self, vendor: str, capacity: int | None = None, refill_per_second: float | None = None,
                   per: str | None = None, *, preset: str | None = None) -> dict[str, Any]:
        """Limit the vendor's calls in this namespace with a token bucket that refills on its clock.

        ``capacity`` calls pass at once, then ``refill_per_second`` more per second of namespace time,
        per tenant (default) or ``per="namespace"``; an empty bucket answers the vendor's 429 with
        ``Retry-After``. ``preset="vendor"`` sets the vendor's published limit instead. Returns the limit.
        """
        wanted = {"capacity": capacity, "refill_per_second": refill_per_second, "per": per, "preset": preset}
        body = {"vendor": vendor, **{key: value for key, value in wanted.items() if value is not None}}
        response = self.http.put("/_sim/rate-limits", json=body)
        if response.status_code != 200:
            raise AssertionError(f"rate limit refused ({response.status_code}): {response.text}")
        return next(dict(limit) for limit in response.json()["limits"] if limit["vendor"] == vendor)

    def clear_rate_limits(self, vendor: str | None = None) -> None:
        """Turn rate limits off in this namespace: every vendor's, or only ``vendor``'s."""
        self.http.delete("/_sim/rate-limits", params={"vendor": vendor} if vendor else None).raise_for_status()

    def reset(self, empty: bool = False) -> None:
        """Back to the seeded baseline, or (``empty``) to tenants and credentials only."""
        self.http.post("/_sim/reset", json={"empty": empty}).raise_for_status()

    def state(self) -> dict[str, Any]:
        """This namespace as one JSON document (``GET /_sim/state``)."""
        response = self.http.get("/_sim/state")
        response.raise_for_status()
        return dict(response.json())

    def save_state(self, path: str | os.PathLike[str]) -> Path:
        """Write this namespace (records, clock, pending effects and webhooks, fault plan, rate limits,
        fuzz plan; not the journal) to ``path`` as JSON, for :meth:`load_state` in this or a later run."""
        response = self.http.get("/_sim/state")
        response.raise_for_status()
        target = Path(path)
        target.write_bytes(response.content)
        return target

    def load_state(self, path: str | os.PathLike[str]) -> dict[str, Any]:
        """Replace this namespace by the document in ``path`` (from :meth:`save_state` or written by
        hand against ``GET /_sim/state/schema``). A document the simulator refuses raises
        AssertionError naming the field, and the namespace stays as it was."""
        response = self.http.put("/_sim/state", content=Path(path).read_bytes(),
                                 headers={"Content-Type": "application/json"})
        if response.status_code != 200:
            raise AssertionError(f"loading {os.fspath(path)} failed ({response.status_code}): {response.text}")
        return dict(response.json())

    def coverage(self) -> dict[str, Any]:
        response = self.http.get("/_sim/coverage")
        response.raise_for_status()
        return dict(response.json())

    def close(self, delete: bool = True) -> None:
        if delete:
            self.http.delete(f"/_sim/namespaces/{self.namespace}")  # 404 when the test never used it
        if self._owns_transport:
            self.http.close()
