"""One Settings object, built from defaults, environment variables (``SIM_*``) and CLI flags."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from simulator.core import paths
from simulator.core.auth import TOKEN_CLOCKS
from simulator.core.clock import parse_instant

OVERFLOW_MODES = ("empty_page", "last_page", "exception")
WEBHOOK_POLICIES = ("any", "loopback")
REPLICA_NAME = re.compile(r"[!-~]([ -~]{0,126}[!-~])?")  # a header value: visible ASCII, no edge spaces
LOG_FORMATS = ("text", "json")


def default_fixtures() -> Path:
    found = paths.find("fixtures")
    return (found or paths.candidates("fixtures")[0]) / "default.yaml"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    seed: int = 1
    fixtures: Path = field(default_factory=default_fixtures)
    clock_start: float | None = None  # epoch seconds where every namespace clock begins
    clock_frozen: bool = False
    journal_size: int = 1000
    validate_responses: bool = False
    lenient: bool = False
    pagy_overflow: str = "empty_page"
    max_namespaces: int = 1000
    tick_seconds: float = 0.5
    access_log: bool = False
    shutdown_timeout: float = 10.0  # seconds from SIGTERM / Ctrl-C to finish requests in flight and due webhooks
    log_format: str = "text"  # "json": one JSON line per request on standard output
    webhook_policy: str = "any"
    # Hosts webhooks may reach even though they resolve to link-local or cloud-metadata addresses.
    webhook_allow: tuple[str, ...] = ()
    webhook_concurrency: int = 16  # deliveries in flight per namespace
    webhook_timeout: float = 5.0  # seconds for a whole delivery: connect, send, read the answer
    max_body_bytes: int = 10 * 1024 * 1024  # larger request bodies get 413
    max_header_bytes: int = 64 * 1024  # request line or header block larger than this gets 414 / 431
    read_timeout: float = 30.0  # seconds to receive a request's head, and then its whole body
    namespace_ttl: float = 0.0  # idle seconds after which a namespace other than "default" is dropped; 0 keeps all
    admin_token: str | None = None  # when set, /_sim/ (but health and signed downloads) asks for it
    token_clock: str = "wall"  # the clock that judges JWT exp / nbf / iat unless a namespace asks otherwise
    faults: Path | None = None  # a fault plan (YAML list of rules) put into every new namespace
    state_dir: Path | None = None  # keep namespaces here across restarts (core/persist.py); None keeps nothing
    # Named in X-Sim-Replica on server-wide admin answers, so a caller behind a balancer sees who answered;
    # None: hostname:port.
    replica_name: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be from 0 to 65535, not {self.port}")
        if self.pagy_overflow not in OVERFLOW_MODES:
            raise ValueError(f"pagy_overflow must be one of {', '.join(OVERFLOW_MODES)}")
        if self.log_format not in LOG_FORMATS:
            raise ValueError(f"log_format must be one of {', '.join(LOG_FORMATS)}")
        if self.webhook_policy not in WEBHOOK_POLICIES:
            raise ValueError(f"webhook_policy must be one of {', '.join(WEBHOOK_POLICIES)}")
        if self.journal_size < 1:
            raise ValueError("journal_size must be at least 1")
        if self.max_namespaces < 1:
            raise ValueError("max_namespaces must be at least 1")
        if self.token_clock not in TOKEN_CLOCKS:
            raise ValueError(f"token_clock must be one of {', '.join(TOKEN_CLOCKS)}")
        for name in ("max_body_bytes", "max_header_bytes", "webhook_concurrency"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("read_timeout", "webhook_timeout", "shutdown_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a positive number of seconds")
        if self.namespace_ttl < 0:
            raise ValueError("namespace_ttl must not be negative (0 turns eviction off)")
        if self.replica_name is not None and not REPLICA_NAME.fullmatch(self.replica_name):
            raise ValueError("replica_name must be 1 to 128 printable ASCII characters (it is sent as a header)")

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _convert(name: str, raw: str) -> Any:
    if name == "clock_start":
        return parse_instant(raw).timestamp()
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind in ("int",):
        return int(raw)
    if kind in ("float",):
        return float(raw)
    if kind in ("bool",):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if name in ("fixtures", "faults", "state_dir"):
        return Path(raw)
    if name == "webhook_allow":
        return host_list(raw)
    return raw


def host_list(raw: str) -> tuple[str, ...]:
    """``"a.example, b:8080"`` -> ``("a.example", "b")``: host names, lower case, ports dropped."""
    hosts = []
    for item in raw.split(","):
        host = item.strip().lower()
        if host.startswith("["):  # [::1]:8080
            host = host[1:].split("]", 1)[0]
        elif host.count(":") == 1:
            host = host.split(":", 1)[0]
        if host:
            hosts.append(host)
    return tuple(hosts)


def from_env(environ: Mapping[str, str] | None = None, base: Settings | None = None) -> Settings:
    """``SIM_SEED=7``, ``SIM_CLOCK_START=2025-01-01T00:00:00Z``, ``SIM_LENIENT=true`` and so on."""
    environ = os.environ if environ is None else environ
    changes: dict[str, Any] = {}
    for item in fields(Settings):
        raw = environ.get(f"SIM_{item.name.upper()}")
        if raw is not None and raw != "":
            changes[item.name] = _convert(item.name, raw)
    return (base or Settings()).with_(**changes)
