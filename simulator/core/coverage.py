"""What a client's traffic exercised, per operation: statuses seen and spec violations, grouped.

Unlike the journal (a ring of recent requests) this tally never forgets within a namespace, and its
size is bounded by the specs (operations x statuses) plus a cap on distinct violation groups.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from simulator.core.errors import Violation
from simulator.core.spec import Operation

MAX_VIOLATION_GROUPS = 1000


# Statuses every operation declares because the server itself may send them (wrong method, body too
# large or too slow, URL or headers too large). They say nothing about what a client's tests cover,
# so the report neither counts them as documented nor lists them as never provoked.
SERVER_LIMITS = frozenset({"405", "408", "413", "414", "431"})


@dataclass
class _Group:
    count: int
    message: str  # the first message seen; others of the same field and rule say much the same


@dataclass
class _Tally:
    statuses: dict[int, int] = field(default_factory=dict)
    violations: dict[tuple[str, str], _Group] = field(default_factory=dict)
    response_violations: dict[tuple[str, str], _Group] = field(default_factory=dict)


class Coverage:
    def __init__(self) -> None:
        self._tallies: dict[str, _Tally] = {}
        self._groups = 0

    def record(self, operation_id: str, status: int, violations: Collection[Violation],
               response_violations: Collection[Violation]) -> None:
        tally = self._tallies.get(operation_id)
        if tally is None:  # not setdefault: that would build a tally (three dicts) on every request
            tally = self._tallies[operation_id] = _Tally()
        tally.statuses[status] = tally.statuses.get(status, 0) + 1
        if violations:
            self._group(tally.violations, violations)
        if response_violations:
            self._group(tally.response_violations, response_violations)

    def _group(self, groups: dict[tuple[str, str], _Group], violations: Iterable[Violation]) -> None:
        for violation in violations:
            key = (violation.field, violation.rule)
            group = groups.get(key)
            if group is not None:
                group.count += 1
            elif self._groups < MAX_VIOLATION_GROUPS:
                groups[key] = _Group(1, violation.message)
                self._groups += 1

    def clear(self) -> None:
        self._tallies.clear()
        self._groups = 0

    def report(self, catalog: dict[str, list[Operation]]) -> list[dict[str, Any]]:
        """Per vendor: every operation of its spec, what was exercised, what never was."""
        return [self._vendor(vendor, operations) for vendor, operations in catalog.items()]

    def _vendor(self, vendor: str, operations: list[Operation]) -> dict[str, Any]:
        rows = [self._operation(op) for op in operations]
        return {
            "vendor": vendor,
            "operations": rows,
            "summary": {
                "operations": len(rows),
                "exercised": sum(1 for row in rows if row["calls"]),
                "documented_statuses": sum(len(row["documented_statuses"]) for row in rows),
                "exercised_statuses": sum(
                    sum(1 for s in row["documented_statuses"] if s in row["statuses"]) for row in rows
                ),
                "violations": sum(sum(v["count"] for v in row["violations"]) for row in rows),
                "response_violations": sum(sum(v["count"] for v in row["response_violations"]) for row in rows),
            },
        }

    def _operation(self, op: Operation) -> dict[str, Any]:
        tally = self._tallies.get(op.operation_id, _Tally())
        documented = sorted(status for status in op.responses if status.isdigit() and status not in SERVER_LIMITS)
        return {
            "operation_id": op.operation_id,
            "method": op.method,
            "path": op.path,
            "calls": sum(tally.statuses.values()),
            "statuses": {str(status): count for status, count in sorted(tally.statuses.items())},
            "documented_statuses": documented,
            "untested_statuses": [status for status in documented if int(status) not in tally.statuses],
            "undocumented_statuses": sorted(str(s) for s in tally.statuses if str(s) not in op.responses),
            "violations": _groups_view(tally.violations),
            "response_violations": _groups_view(tally.response_violations),
        }


def _groups_view(groups: dict[tuple[str, str], _Group]) -> list[dict[str, Any]]:
    return [
        {"field": field_name, "rule": rule, "message": group.message, "count": group.count}
        for (field_name, rule), group in sorted(groups.items())
    ]
