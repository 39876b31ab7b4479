"""``/_sim/fuzz``: turn response mutation on (or replay one mutation), show it, turn it off."""

from __future__ import annotations

from typing import Any

from simulator.core.dispatch import Call, Reply
from simulator.core.errors import BadRequest, Violation
from simulator.core.fuzz import MAX_SEED, BadMutationId, FuzzPlan, quantized_rate, replay_plan, replayed_operation
from simulator.core.mutation import KINDS

_SETTINGS = "#/components/schemas/FuzzSettings/properties"
DEFAULT_RATE = 0.5


def _refuse(field: str, message: str) -> BadRequest:
    return BadRequest(f"body.{field}: {message}", "invalid_fuzz",
                      [Violation(f"body.{field}", f"{_SETTINGS}/{field}", message)])


def _known(call: Call, field: str, given: list[str] | None, known: set[str]) -> tuple[str, ...] | None:
    if given is None:
        return None
    unknown = sorted(set(given) - known)
    if unknown:
        raise _refuse(field, f"unknown {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return tuple(dict.fromkeys(given))


def _off() -> dict[str, Any]:
    return {"enabled": False}


def get_fuzz(call: Call) -> Reply:
    plan = call.namespace.fuzz
    return Reply(plan.view() if plan is not None else _off())


def set_fuzz(call: Call) -> Reply:
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
            raise _refuse("replay", f"names operation {replayed_operation(body['replay'])}, which no vendor has")
    else:
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


def delete_fuzz(call: Call) -> Reply:
    call.namespace.fuzz = None
    return Reply(_off())


HANDLERS = {"getFuzz": get_fuzz, "setFuzz": set_fuzz, "deleteFuzz": delete_fuzz}
