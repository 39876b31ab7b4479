"""``/_sim/faults``: the namespace's fault plan - add a rule, list the rules with their counters, remove."""

from __future__ import annotations

from typing import Any

from simulator.core.dispatch import Call, Reply
from simulator.core.errors import Conflict, NotFound, SimulatorError, Violation
from simulator.core.faultrules import RuleError, parse_rule
from simulator.core.faults import PlanFull


def add_fault(call: Call[Any]) -> Reply:
    try:
        spec = parse_rule(call.body, call.registry.catalog, call.registry.webhooks)
    except RuleError as error:
        # The admin spec already refused (400) what its schema can tell; what is left is a rule that
        # fits the schema but not the vendor specs (an operation another vendor has, an undeclared
        # status, an empty window): a conflict, as schema-valid data must not get a 400.
        field = f"body.{error.field}" if error.field != "rule" else "body"
        raise SimulatorError(f"{field}: {error.message}", 409, "fault_rule_conflict",
                             [Violation(field, error.rule, error.message)]) from None
    try:
        rule = call.namespace.fault_plan().add(spec)
    except PlanFull as full:
        raise Conflict(str(full), "fault_plan_full") from None
    return Reply(rule.view(), status=201)


def list_faults(call: Call[Any]) -> Reply:
    plan = call.namespace.faults
    return Reply({"rules": [rule.view() for rule in plan.rules] if plan is not None else []})


def clear_faults(call: Call[Any]) -> Reply:
    plan = call.namespace.faults
    if plan is not None:
        plan.clear()
    return Reply(None, status=204)


def remove_fault(call: Call[Any]) -> Reply:
    plan = call.namespace.faults
    rule_id = call.params["id"]
    if plan is None or not plan.remove(rule_id):
        raise NotFound(f"No fault rule {rule_id!r} in namespace {call.namespace.name!r}", "fault_rule_not_found")
    return Reply(None, status=204)


HANDLERS = {
    "addFault": add_fault,
    "listFaults": list_faults,
    "clearFaults": clear_faults,
    "removeFault": remove_fault,
}
