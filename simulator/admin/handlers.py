"""Admin operations that belong to no vendor. Vendors add their own (triggers, seeding) by operationId."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from simulator import __version__
from simulator.admin import faults, fuzz, journal_stream, rate_limits, state, ui
from simulator.admin.journal_view import entry_view
from simulator.core.auth import TOKEN_CLOCKS
from simulator.core.clock import isoformat, parse_instant, to_datetime
from simulator.core.dispatch import Call, Reply
from simulator.core.errors import BadRequest, Conflict, Violation
from simulator.core.metrics import CONTENT_TYPE as METRICS_TYPE

# Dates are formatted for years 1..9999 and seeded data reaches months around the clock: the clock
# stays within 1970..9000 (a day of slack each side for offsets, as the spec's pattern allows).
EARLIEST = datetime(1969, 12, 31, tzinfo=UTC).timestamp()
LATEST = datetime(9000, 1, 2, tzinfo=UTC).timestamp()


def _within_range(moment: float, field: str) -> float:
    if not EARLIEST <= moment <= LATEST:
        raise BadRequest(f"{field}: the clock must stay between 1970-01-01 and 9000-01-01", "clock_out_of_range",
                         [Violation(field, "#/components/schemas/ClockUpdate/properties/now",
                                    "outside 1970-01-01 .. 9000-01-01")])
    return moment


def _clock_view(call: Call[Any], **extra: Any) -> Reply:
    namespace = call.namespace
    return Reply({"namespace": namespace.name, "now": isoformat(namespace.clock.now()),
                  "frozen": namespace.clock.frozen, "token_clock": namespace.token_clock, **extra})


def health(call: Call[Any]) -> Reply:
    return Reply({"status": "ok", "version": __version__, "namespaces": len(call.registry.names())})


def reset(call: Call[Any]) -> Reply:
    empty = bool((call.body or {}).get("empty", False))
    call.namespace.reset(empty=empty)
    return Reply({"namespace": call.namespace.name, "reset": True, "empty": empty})


def get_clock(call: Call[Any]) -> Reply:
    return _clock_view(call)


async def set_clock(call: Call[Any]) -> Reply:
    body = call.body or {}
    target = None
    if "now" in body:
        try:
            target = _within_range(parse_instant(body["now"]).timestamp(), "body.now")
        except (ValueError, OverflowError) as error:
            raise BadRequest(f"body.now: not an ISO 8601 instant ({error})", "invalid_clock",
                             [Violation("body.now", "#/components/schemas/ClockUpdate/properties/now",
                                        str(error))]) from None
    token_clock = body.get("token_clock")
    if token_clock is not None and token_clock not in TOKEN_CLOCKS:  # a lenient server passes what came
        raise BadRequest(f"body.token_clock: must be one of {', '.join(TOKEN_CLOCKS)}", "invalid_clock",
                         [Violation("body.token_clock", "#/components/schemas/ClockUpdate/properties/token_clock",
                                    f"not one of {', '.join(TOKEN_CLOCKS)}")])
    clock = call.namespace.clock
    if token_clock is not None:
        call.namespace.token_clock = token_clock
    if body.get("frozen") is True:
        clock.freeze()
    if target is not None:
        clock.set(target)
    if body.get("frozen") is False:
        clock.unfreeze()
    fired = await call.namespace.catch_up()
    return _clock_view(call, fired=fired)


async def advance_clock(call: Call[Any]) -> Reply:
    clock = call.namespace.clock
    seconds = float(call.body["seconds"])
    if clock.timestamp() + seconds > LATEST:
        raise Conflict(f"body.seconds: advancing {seconds:g} s would move the clock past 9000-01-01; "
                       "set it back first (PUT /_sim/clock)", "clock_out_of_range")
    clock.advance(seconds)
    fired = await call.namespace.catch_up()
    return _clock_view(call, fired=fired)


def get_journal(call: Call[Any]) -> Reply:
    vendor = call.params.get("vendor")
    operation = call.params.get("operation")
    only_violations = call.params.get("violations")
    entries = [
        entry
        for entry in call.namespace.journal
        if (vendor is None or entry.vendor == vendor)
        and (operation is None or entry.operation_id == operation)
        and (only_violations is None or bool(entry.violations or entry.response_violations) == only_violations)
    ]
    limit = call.params.get("limit")
    if limit is not None:
        entries = entries[-limit:]
    return Reply({
        "namespace": call.namespace.name,
        "capacity": call.namespace.journal.capacity,
        "entries": [entry_view(entry) for entry in entries],
    })


def clear_journal(call: Call[Any]) -> Reply:
    call.namespace.journal.clear()
    return Reply(None, status=204)


def get_coverage(call: Call[Any]) -> Reply:
    namespace = call.namespace
    return Reply({"namespace": namespace.name, "vendors": namespace.coverage.report(call.registry.catalog)})


def clear_coverage(call: Call[Any]) -> Reply:
    call.namespace.coverage.clear()
    return Reply(None, status=204)


def get_metrics(call: Call[Any]) -> Reply:
    return Reply(call.registry.metrics.exposition(), media_type=METRICS_TYPE)


def list_namespaces(call: Call[Any]) -> Reply:
    view: dict[str, Any] = {"namespaces": call.registry.names()}
    if call.params.get("memory"):
        view["memory"] = {namespace.name: namespace.memory() for namespace in call.registry.all()}
    return Reply(view)


def get_namespace(call: Call[Any]) -> Reply:
    namespace = call.registry.existing(call.params["name"])
    return Reply({
        "name": namespace.name,
        "now": isoformat(namespace.clock.now()),
        "frozen": namespace.clock.frozen,
        "token_clock": namespace.token_clock,
        "seeded_vendors": namespace.seeded_vendors(),
        "pending": [{"due": isoformat(to_datetime(due)), "what": label} for due, label in namespace.queue.pending()],
        "journal_entries": len(namespace.journal),
        "memory": namespace.memory(),
    })


def delete_namespace(call: Call[Any]) -> Reply:
    call.registry.delete(call.params["name"])
    return Reply(None, status=204)


HANDLERS = {
    "getHealth": health,
    "resetNamespace": reset,
    "getClock": get_clock,
    "setClock": set_clock,
    "advanceClock": advance_clock,
    "getJournal": get_journal,
    "clearJournal": clear_journal,
    "getCoverage": get_coverage,
    "clearCoverage": clear_coverage,
    "getMetrics": get_metrics,
    "listNamespaces": list_namespaces,
    "getNamespace": get_namespace,
    "deleteNamespace": delete_namespace,
    **rate_limits.HANDLERS,
    **faults.HANDLERS,
    **fuzz.HANDLERS,
    **state.HANDLERS,
    **journal_stream.HANDLERS,
    **ui.HANDLERS,
}
