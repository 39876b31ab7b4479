"""A journal entry as the admin API shows it (the journal, and its stream)."""

from __future__ import annotations

from typing import Any

from simulator.core.clock import isoformat, to_datetime
from simulator.core.journal import Entry


def entry_view(entry: Entry) -> dict[str, Any]:
    view: dict[str, Any] = {
        "seq": entry.seq,
        "at": isoformat(to_datetime(entry.at)),
        "kind": entry.kind,
        "method": entry.method,
        "path": entry.path,
        "query": entry.query.decode("latin-1"),
        "vendor": entry.vendor,
        "operation_id": entry.operation_id,
        "status": entry.status,
        "latency_ms": round(entry.latency_ms, 3),
        "violations": [v.as_dict() for v in entry.violations],
        "response_violations": [v.as_dict() for v in entry.response_violations],
    }
    if entry.detail:
        view["detail"] = entry.detail
    if entry.warnings:
        view["warnings"] = list(entry.warnings)
    return view
