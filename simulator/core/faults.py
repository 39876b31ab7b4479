"""A namespace's fault plan: its rules, their counters, and which of them a call sets off.

Rules are tried in the order they were added, and every rule counts every call it matches (so
"the 3rd call" means the 3rd matching call whatever other rules did). Latency rules that fire add up;
the first rule that fires with another effect (status, disconnect, slow body) decides the answer, and
later rules whose ``when`` also held are not counted as fired (a ``times`` cap is not spent on them).

Webhook rules are tried the same way for each delivery a vendor posts (:meth:`FaultPlan.decide_webhook`):
each counts the deliveries it matches, and the first that fires decides what is done to the delivery.

Probabilities and random delays are drawn from a source seeded by the server seed and the rule's id,
never from the namespace, so the same seed and plan give the same sequence in two fresh namespaces.
A probability is drawn on every matching call, whether or not the rule's other conditions hold, so
the sequence does not depend on them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from simulator.core.faultrules import (
    MAX_LATENCY_MS,
    DisconnectEffect,
    Effect,
    LatencyEffect,
    RuleSpec,
    SlowBodyEffect,
    StatusEffect,
    When,
)
from simulator.core.rand import SeededSource
from simulator.core.webhookrules import WebhookEffect

MAX_RULES = 100  # per namespace


class PlanFull(Exception):
    """The namespace already has :data:`MAX_RULES` rules."""


@dataclass
class Rule:
    id: str
    spec: RuleSpec
    chance: SeededSource  # probability draws
    delays: SeededSource  # random latencies
    matched: int = 0
    fired: int = 0

    def view(self) -> dict[str, Any]:
        return {"id": self.id, **self.spec.document, "matched": self.matched, "fired": self.fired}

    def holds(self, when: When, now: float) -> bool:
        """Whether this matching call (already counted in ``matched``) is one the rule fires on."""
        drawn = self.chance.chance(when.probability) if when.probability is not None else True
        n = self.matched
        return (drawn
                and (when.calls is None or n in when.calls)
                and (when.first is None or n <= when.first)
                and (when.every is None or n % when.every == 0)
                and (when.after is None or now >= when.after)
                and (when.until is None or now < when.until)
                and (when.times is None or self.fired < when.times))


@dataclass
class Decision:
    """What the plan does to one call: wait ``delay`` seconds, then (maybe) answer by ``answer``'s effect."""

    delay: float = 0.0
    answer: Rule | None = None
    notes: list[str] = field(default_factory=list)  # journaled with the call
    kinds: list[str] = field(default_factory=list)  # the effect kind of each rule that fired (metrics)

    @property
    def effect(self) -> Effect | None:
        return self.answer.spec.effect if self.answer is not None else None


class FaultPlan:
    def __init__(self, seed: int, rules: Iterable[RuleSpec] = ()):
        self._seed = seed
        self._rules: list[Rule] = []
        self._next_id = 1
        for spec in rules:
            self.add(spec)

    def add(self, spec: RuleSpec) -> Rule:
        if len(self._rules) >= MAX_RULES:
            raise PlanFull(f"a namespace holds at most {MAX_RULES} fault rules; remove some first")
        rule_id = f"f{self._next_id}"
        self._next_id += 1
        source = SeededSource(self._seed, f"faults:{rule_id}")
        rule = Rule(rule_id, spec, source.child("chance"), source.child("delay"))
        self._rules.append(rule)
        return rule

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def next_id(self) -> int:
        """The number the next rule's id gets (ids are never reused, so a saved plan keeps it)."""
        return self._next_id

    def restore(self, rules: Iterable[Rule], next_id: int) -> None:
        """Hold exactly ``rules`` (with their counters and random streams), as a saved plan had them."""
        self._rules = list(rules)
        self._next_id = next_id

    def remove(self, rule_id: str) -> bool:
        for index, rule in enumerate(self._rules):
            if rule.id == rule_id:
                del self._rules[index]
                return True
        return False

    def clear(self) -> None:
        self._rules.clear()

    @property
    def rules(self) -> list[Rule]:
        return list(self._rules)

    def decide(self, vendor: str, operation_id: str, path: str, now: float) -> Decision | None:
        """Count the call against every rule it matches; None when no rule fires."""
        decision: Decision | None = None
        for rule in self._rules:
            spec = rule.spec
            if not spec.match.selects(vendor, operation_id, path):
                continue
            rule.matched += 1
            if not rule.holds(spec.when, now):
                continue
            effect = spec.effect
            if isinstance(effect, LatencyEffect):
                decision = decision or Decision()
                delay = draw_latency(effect, rule.delays)
                decision.delay += delay
                decision.notes.append(f"fault {rule.id}: latency {delay * 1000:.0f} ms")
                decision.kinds.append("latency")
            elif decision is None or decision.answer is None:
                decision = decision or Decision()
                decision.answer = rule
                decision.notes.append(f"fault {rule.id}: {describe(effect)}")
                decision.kinds.append(effect_kind(effect))
            else:
                continue  # an earlier rule already decides the answer
            rule.fired += 1
        return decision


    def decide_webhook(self, vendor: str, webhook: str, now: float) -> Rule | None:
        """Count a delivery of ``webhook`` against every rule that matches it; the first that fires, or None."""
        chosen: Rule | None = None
        for rule in self._rules:
            if (vendor, webhook) not in rule.spec.match.webhooks:
                continue
            rule.matched += 1
            if rule.holds(rule.spec.when, now) and chosen is None:  # holds() first: its draw is always made
                rule.fired += 1
                chosen = rule
        return chosen


_KINDS: dict[type, str] = {StatusEffect: "status", LatencyEffect: "latency", DisconnectEffect: "disconnect",
                           SlowBodyEffect: "slow_body"}


def effect_kind(effect: Effect) -> str:
    """The name a rule's effect has in a fault plan (``status``, ``latency``, ...; a webhook effect's own kind)."""
    if isinstance(effect, WebhookEffect):
        return effect.kind
    return _KINDS.get(type(effect), "other")


def draw_latency(effect: LatencyEffect, source: SeededSource) -> float:
    """Seconds to wait: fixed, uniform in [low, high], or lognormal around the median; at most a minute."""
    if effect.fixed_ms is not None:
        ms = effect.fixed_ms
    elif effect.low_ms is not None and effect.high_ms is not None:
        ms = source.uniform(effect.low_ms, effect.high_ms)
    else:
        assert effect.median_ms is not None and effect.sigma is not None
        ms = source.random.lognormvariate(math.log(effect.median_ms), effect.sigma)
    return min(ms, MAX_LATENCY_MS) / 1000


def describe(effect: Effect) -> str:
    """The effect in a few words, for the journal."""
    if isinstance(effect, StatusEffect):
        extra = f" (Retry-After {effect.retry_after})" if effect.retry_after is not None else ""
        return f"status {effect.status}{extra}"
    if isinstance(effect, DisconnectEffect):
        return f"disconnect {effect.mode}"
    if isinstance(effect, SlowBodyEffect):
        return f"slow body in {effect.chunks} chunks over {effect.ms:g} ms"
    if isinstance(effect, WebhookEffect):
        return effect.describe()
    return "latency"
