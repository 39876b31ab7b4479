"""One Settings object, built from defaults, environment variables (``SIM_*``) and CLI flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from simulator.core import paths
from simulator.core.clock import parse_instant

OVERFLOW_MODES = ("empty_page", "last_page", "exception")
WEBHOOK_POLICIES = ("any", "loopback")


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
    webhook_policy: str = "any"

    def __post_init__(self) -> None:
        if self.pagy_overflow not in OVERFLOW_MODES:
            raise ValueError(f"pagy_overflow must be one of {', '.join(OVERFLOW_MODES)}")
        if self.webhook_policy not in WEBHOOK_POLICIES:
            raise ValueError(f"webhook_policy must be one of {', '.join(WEBHOOK_POLICIES)}")
        if self.journal_size < 1:
            raise ValueError("journal_size must be at least 1")
        if self.max_namespaces < 1:
            raise ValueError("max_namespaces must be at least 1")

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
    if name == "fixtures":
        return Path(raw)
    return raw


def from_env(environ: Mapping[str, str] | None = None, base: Settings | None = None) -> Settings:
    """``SIM_SEED=7``, ``SIM_CLOCK_START=2025-01-01T00:00:00Z``, ``SIM_LENIENT=true`` and so on."""
    environ = os.environ if environ is None else environ
    changes: dict[str, Any] = {}
    for item in fields(Settings):
        raw = environ.get(f"SIM_{item.name.upper()}")
        if raw is not None and raw != "":
            changes[item.name] = _convert(item.name, raw)
    return (base or Settings()).with_(**changes)
