"""The mutate stage: a namespace's fuzz settings, mutation ids, and the step between handler and render.

A namespace fuzzes only after ``PUT /_sim/fuzz``; until then its ``fuzz`` is None and the stage costs
one attribute check. Only successful (2xx) JSON answers of vendor operations are mutated: the admin API
is how tests steer the simulator, and errors are the fault plans' business.

Mutation ids. ``m1.<operationId>.<seed>.<rate in millionths>.<kinds as hex bits>.<digest>`` names
everything a choice depends on but the answer itself (see :mod:`simulator.core.mutation`): replayed in a
fresh namespace holding the same state, the next answer of that operation gets the same mutations.
The digest (of the applied mutations) lets the journal say whether the replay reproduced them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from simulator.core.mutation import KINDS, Mutation, Outcome, Rules, mutate_valid
from simulator.core.render import plain
from simulator.core.spec import Operation

if TYPE_CHECKING:
    from simulator.core.dispatch import Binding, Reply

HEADER = "X-Sim-Mutation"
ADMIN_PREFIX = "/_sim/"
RATE_STEPS = 1_000_000  # rates are kept to six decimals, so an id carries the exact rate
JOURNALED_MUTATIONS = 50
MAX_SEED = 2**53 - 1
_ID = re.compile(r"m1\.([A-Za-z0-9_-]{1,100})\.([0-9]{1,16})\.(1000000|[0-9]{1,6})\.([0-7][0-9a-f]{2}|[0-9a-f]{1,2})"
                 r"\.([0-9a-f]{8})")
_SORTING = ("sort", "order")


class BadMutationId(ValueError):
    """A replay id that is not one this simulator hands out."""


@dataclass
class FuzzPlan:
    seed: int
    rate: float
    kinds: frozenset[str]
    vendors: tuple[str, ...] | None = None  # None: every vendor
    operations: tuple[str, ...] | None = None  # None: every operation
    replay: str | None = None  # the id being replayed: the plan ends after its first answer
    mutated: int = 0  # answers mutated so far

    def view(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"enabled": True, "seed": self.seed, "rate": self.rate,
                                 "vendors": list(self.vendors) if self.vendors is not None else None,
                                 "operations": list(self.operations) if self.operations is not None else None,
                                 "mutations": [kind for kind in KINDS if kind in self.kinds],
                                 "mutated": self.mutated}
        if self.replay is not None:
            shown["replay"] = self.replay
        return shown

    def covers(self, vendor: str | None, operation: Operation) -> bool:
        return (self.vendors is None or vendor in self.vendors) and (
            self.operations is None or operation.operation_id in self.operations)


def quantized_rate(rate: float) -> float:
    return round(rate * RATE_STEPS) / RATE_STEPS


def _mask(kinds: frozenset[str]) -> int:
    return sum(1 << index for index, kind in enumerate(KINDS) if kind in kinds)


def _digest(mutations: list[Mutation]) -> str:
    return hashlib.sha256(orjson.dumps([m.as_dict() for m in mutations])).hexdigest()[:8]


def mutation_id(operation_id: str, plan: FuzzPlan, mutations: list[Mutation]) -> str:
    return (f"m1.{operation_id}.{plan.seed}.{round(plan.rate * RATE_STEPS)}.{_mask(plan.kinds):x}."
            f"{_digest(mutations)}")


def replay_plan(mutation: str) -> FuzzPlan:
    """The one-answer plan that reproduces ``mutation`` (:class:`BadMutationId` if it is no such id)."""
    found = _ID.fullmatch(mutation)
    if found is None:
        raise BadMutationId("not a mutation id (an X-Sim-Mutation value such as m1.getSessions.1.500000.7ff.0123abcd)")
    operation, seed, rate, mask, _digest_part = found.groups()
    kinds = frozenset(kind for index, kind in enumerate(KINDS) if int(mask, 16) >> index & 1)
    return FuzzPlan(seed=int(seed), rate=int(rate) / RATE_STEPS, kinds=kinds, operations=(operation,),
                    replay=mutation)


def replayed_operation(mutation: str) -> str:
    found = _ID.fullmatch(mutation)
    assert found is not None
    return found.group(1)


def _sorts_on_request(operation: Operation) -> bool:
    return any(param.location == "query" and any(word in param.name.lower() for word in _SORTING)
               for param in operation.parameters)


def _problems(validator: Any) -> Any:
    def problems(body: Any) -> list[str]:
        if validator is None or validator.is_valid(body):
            return []
        return ["".join(f"/{str(part).replace('~', '~0').replace('/', '~1')}" for part in error.instance_path)
                for error in validator.iter_errors(body)]
    return problems


def _node(document: Mapping[str, Any], pointer: str) -> Any:
    node: Any = document
    for token in pointer[2:].split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def _journaled(mutation: str | None, outcome: Outcome, plan: FuzzPlan) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "id": mutation,
        "count": len(outcome.mutations),
        "mutations": [m.as_dict() for m in outcome.mutations[:JOURNALED_MUTATIONS]],
        "withdrawn": [m.as_dict() for m in outcome.withdrawn[:JOURNALED_MUTATIONS]],
    }
    if plan.replay is not None:
        detail["replay_of"] = plan.replay
        detail["reproduced"] = mutation == plan.replay
    return {"mutation": detail}


def fuzzable(operation: Operation) -> bool:
    """Vendor operations only: the admin API's own answers are never mutated."""
    return not operation.path.startswith(ADMIN_PREFIX)


def mutate_reply(plan: FuzzPlan, owner: Any, binding: Binding, reply: Reply, detail: dict[str, Any]) -> Reply:
    """The reply with its body mutated within the spec (and ``X-Sim-Mutation``), or as it was.

    ``owner`` is the namespace: a replay plan is taken off it once it has served its answer. What was
    done is written into ``detail``, the request's journal detail.
    """
    operation = binding.operation
    if (not 200 <= reply.status < 300 or not isinstance(reply.body, dict | list)
            or not fuzzable(operation) or not plan.covers(binding.backend, operation)):
        return reply
    _, pointer = operation.response_schema(reply.status, reply.media_type)
    if pointer is None:
        return reply
    spec = binding.validator.spec
    rules = Rules(seed=plan.seed, rate=plan.rate, kinds=plan.kinds, scope=operation.operation_id,
                  ordered=_sorts_on_request(operation))
    outcome = mutate_valid(spec.document, _node(spec.document, pointer), plain(reply.body), rules,
                           _problems(spec.validators.get(pointer)))
    if plan.replay is not None:
        owner.fuzz = None
    if not outcome.mutations:
        if outcome.withdrawn:
            detail.update(_journaled(None, outcome, plan))
        return reply
    plan.mutated += 1
    mutation = mutation_id(operation.operation_id, plan, outcome.mutations)
    detail.update(_journaled(mutation, outcome, plan))
    return type(reply)(outcome.body, reply.status, reply.media_type, {**reply.headers, HEADER: mutation})
