"""Fault plan files (``simulator serve --faults plan.yaml``): a YAML list of rules, checked at start.

The file is read with the fixtures loader's bounds (size, nesting, aliases) and every rule is checked
as ``POST /_sim/faults`` checks one, against the vendor specs. A problem is told in one line naming
the file and the rule: ``plan.yaml: [1].effect.status: 503 is not declared by getSessions; ...``.
"""

from __future__ import annotations

from pathlib import Path

from simulator.core.faultrules import Catalog, RuleError, RuleSpec, Webhooks, parse_rule
from simulator.core.faults import MAX_RULES
from simulator.fixtures import FixturesError, parse


class FaultPlanError(FixturesError):
    """A plan file that cannot be used; the message is one line naming the file and the problem."""


def load(path: Path, catalog: Catalog, webhooks: Webhooks | None = None) -> tuple[RuleSpec, ...]:
    try:
        data = parse(path, what="fault plan")
    except FixturesError as error:
        raise FaultPlanError(str(error)) from None
    if data == {}:  # an empty file: no rules
        return ()
    if not isinstance(data, list):
        raise FaultPlanError(f"{path}: must be a list of fault rules (each with match, when, effect)")
    if len(data) > MAX_RULES:
        raise FaultPlanError(f"{path}: at most {MAX_RULES} rules, not {len(data)}")
    rules = []
    for index, item in enumerate(data):
        try:
            rules.append(parse_rule(item, catalog, webhooks))
        except RuleError as error:
            where = f"[{index}]" if error.field == "rule" else f"[{index}].{error.field}"
            raise FaultPlanError(f"{path}: {where}: {error.message}") from None
    return tuple(rules)
