"""``/_sim/fuzz``: turn response mutation on (or replay one mutation), show it, turn it off."""

from __future__ import annotations

from typing import Any

from simulator.core.dispatch import Call, Reply
from simulator.core.errors import BadRequest, NotFound, Violation
from simulator.core.fuzz import MAX_SEED, BadMutationId, FuzzPlan, quantized_rate, replay_plan, replayed_operation
from simulator.core.mutation import KINDS

_SETTINGS = "#/components/schemas/FuzzSettings/properties"
DEFAULT_RATE = 0.5


def _refuse(field: str, message: str) -> BadRequest:
    return BadRequest(f"body.{field}: {message}", "invalid_fuzz",
                      [Violation(f"body.{field}", f"{_SETTINGS}/{field}", message)])


def _known(call: Call[Any], field: str, given: list[str] | None, known: set[str]) -> tuple[str, ...] | None:
    if given is None:
        return None
    unknown = sorted(set(given) - known)
    if unknown:  # well formed, but names nothing here
        raise NotFound(f"body.{field}: no {', '.join(unknown)} here; known: {', '.join(sorted(known))}")
    return tuple(dict.fromkeys(given))


def _within(body: dict[str, Any], field: str, highest: float) -> None:
    value = body.get(field, 0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= highest:
        raise _refuse(field, f"must be a number from 0 to {highest}")


def _off() -> dict[str, Any]:
    return {"enabled": False}


def get_fuzz(call: Call[Any]) -> Reply:
    plan = call.namespace.fuzz
    return Reply(plan.view() if plan is not None else _off())


def set_fuzz(call: Call[Any]) -> Reply:
    body: dict[str, Any] = call.body or {}
    catalog = call.registry.catalog
    operations = {op.operation_id for ops in catalog.values() for op in ops}
    if "replay" in body:
        others = sorted(set(body) - {"replay"})
        if others:
            raise _refuse("replay", f"a replay takes no other setting (drop {', '.join(others)})")
        try:
            plan = replay_plan(body["replay"])
        except BadMutationId as error:
            raise _refuse("replay", str(error)) from None
        if replayed_operation(body["replay"]) not in operations:
            raise NotFound(f"body.replay: names operation {replayed_operation(body['replay'])}, which no vendor has")
    else:
        _within(body, "seed", MAX_SEED)  # a lenient server hands over what the spec refuses: check again
        _within(body, "rate", 1)
        kinds = _known(call, "mutations", body.get("mutations"), set(KINDS))
        plan = FuzzPlan(
            seed=int(body.get("seed", call.registry.config.seed % (MAX_SEED + 1))),
            rate=quantized_rate(float(body.get("rate", DEFAULT_RATE))),
            kinds=frozenset(kinds if kinds is not None else KINDS),
            vendors=_known(call, "vendors", body.get("vendors"), set(catalog)),
            operations=_known(call, "operations", body.get("operations"), operations),
        )
    call.namespace.fuzz = plan
    return Reply(plan.view())


def delete_fuzz(call: Call[Any]) -> Reply:
    call.namespace.fuzz = None
    return Reply(_off())


HANDLERS = {"getFuzz": get_fuzz, "setFuzz": set_fuzz, "deleteFuzz": delete_fuzz}
