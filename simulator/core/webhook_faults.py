"""What fault rules do to webhook deliveries once decided: signed bodies built at send time, tampered
on purpose, and reordered deliveries held back.

A vendor whose webhooks are signed posts :class:`SignedClaims` (the claims and the tenant key that
signs them, as data) and registers a :data:`Builder` per webhook that turns them into the bytes sent,
given the tamper a rule asked for (or None) and the instant tokens are judged at. Building at send
time means every attempt, retries included, carries ``iat``/``exp`` of the moment it is sent.
:func:`signed_jwt` is the HS256 token such builders share, honest or tampered.

:class:`Holds` keeps the deliveries a ``reorder`` rule held back: each waits for the next delivery of
the same webhook to be sent, or until its deadline on the namespace clock, whichever comes first.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson

from simulator.core.auth import sign_hs256
from simulator.core.webhookrules import WebhookEffect

EXTRA_KEY = "sim_extra"  # the key extra_keys adds: no vendor page promises it
EXTRA_VALUE = {"note": "a key the vendor's documentation does not promise", "level": 1}
EXPIRED_BY = 3600  # an expired token's exp lies this many seconds in the past


@dataclass(frozen=True, slots=True)
class SignedClaims:
    """A signed webhook's payload as data: its claims and the key of the tenant that signs them."""

    claims: Mapping[str, Any]
    key: str


# (payload, tamper or None, now of the token clock) -> the body sent
Builder = Callable[[SignedClaims, str | None, float], bytes]


@dataclass(frozen=True, slots=True)
class AppliedFault:
    """The rule that fired on a delivery and its effect, journaled with every attempt of it."""

    rule: str
    effect: WebhookEffect
    document: Mapping[str, Any]  # the effect as the rule shows it

    def journal(self) -> dict[str, Any]:
        return {"rule": self.rule, "effect": dict(self.document)}


def with_extra_keys(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The claims with :data:`EXTRA_KEY` added at the top level."""
    return {**claims, EXTRA_KEY: EXTRA_VALUE}


def signed_jwt(claims: Mapping[str, Any], key: str, tamper: str | None, now: float, ttl: int) -> str:
    """An HS256 JWT of ``claims`` plus ``iat``/``exp`` (now, now + ttl), or tampered as asked:

    ``bad_signature`` signs with a key derived from the right one (never equal to it), ``expired``
    sets ``exp`` :data:`EXPIRED_BY` seconds in the past (and ``iat`` ttl before it), ``alg_none``
    sends ``{"alg": "none"}`` and no signature. ``extra_keys`` is the vendor's to add to ``claims``.
    """
    issued = int(now)
    if tamper == "expired":
        issued -= ttl + EXPIRED_BY
    full = {**claims, "iat": issued, "exp": issued + ttl}
    if tamper == "alg_none":
        return f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(full)}."
    if tamper == "bad_signature":
        key = hashlib.sha256(f"not the key: {key}".encode()).hexdigest()
    return sign_hs256(full, key)


def _segment(document: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(document)).rstrip(b"=").decode("ascii")


T = TypeVar("T")


class Holds(Generic[T]):
    """Deliveries held back by ``reorder``, per webhook; each goes out after the next one, or at its deadline."""

    def __init__(self) -> None:
        self._waiting: dict[Any, list[tuple[int, T]]] = {}  # webhook -> held (id, delivery) not yet claimed
        self._behind: dict[int, list[tuple[int, T]]] = {}  # id of the delivery they follow -> held ones
        self._deadlines: list[tuple[float, int, int, T]] = []  # (deadline, order, id, delivery), a heap
        self._held: set[int] = set()  # the source of truth: lists above may keep ids already let go
        self._order = itertools.count()

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, webhook: Any, delivery_id: int, delivery: T, deadline: float) -> None:
        self._held.add(delivery_id)
        self._waiting.setdefault(webhook, []).append((delivery_id, delivery))
        heapq.heappush(self._deadlines, (deadline, next(self._order), delivery_id, delivery))

    def follow(self, webhook: Any, leader_id: int) -> None:
        """The held deliveries of ``webhook`` go out after ``leader_id`` (the next delivery of it) is sent."""
        waiting = self._waiting.pop(webhook, None)
        if waiting:
            self._behind.setdefault(leader_id, []).extend(waiting)

    def sent(self, leader_id: int) -> list[T]:
        """The held deliveries to send now that ``leader_id`` has been sent, in the order they were held."""
        return self._take(self._behind.pop(leader_id, []))

    def expired(self, now: float) -> list[T]:
        """The held deliveries whose deadline has come: they go out anyway."""
        due: list[tuple[int, T]] = []
        while self._deadlines and self._deadlines[0][0] <= now:
            _deadline, _order, delivery_id, delivery = heapq.heappop(self._deadlines)
            due.append((delivery_id, delivery))
        return self._take(due)

    def pending(self) -> list[tuple[float, T]]:
        return [(deadline, delivery) for deadline, _order, delivery_id, delivery in sorted(self._deadlines)
                if delivery_id in self._held]

    def held(self) -> list[tuple[float, int | None, T]]:
        """(deadline, the id it goes out after or None while it waits for the next one, delivery) of every
        held delivery, in the order they were held: what a saved namespace keeps."""
        leader_of = {delivery_id: leader for leader, entries in self._behind.items() for delivery_id, _ in entries}
        return [(deadline, leader_of.get(delivery_id), delivery)
                for deadline, _order, delivery_id, delivery in sorted(self._deadlines, key=lambda entry: entry[1])
                if delivery_id in self._held]

    def restore(self, held: list[tuple[Any, int, float, int | None, T]]) -> None:
        """Hold exactly these (webhook, id, deadline, leader id or None, delivery), in this order."""
        self.clear()
        for webhook, delivery_id, deadline, leader, delivery in held:
            self.hold(webhook, delivery_id, delivery, deadline)
            if leader is not None:
                self._behind.setdefault(leader, []).append(self._waiting[webhook].pop())
                if not self._waiting[webhook]:
                    del self._waiting[webhook]

    def _take(self, found: list[tuple[int, T]]) -> list[T]:
        taken = []
        for delivery_id, delivery in found:
            if delivery_id in self._held:
                self._held.discard(delivery_id)
                taken.append(delivery)
        if len(self._deadlines) > 2 * len(self._held) + 64:  # let-go entries would pile up under a frozen clock
            self._deadlines = [entry for entry in self._deadlines if entry[2] in self._held]
            heapq.heapify(self._deadlines)
        return taken

    def clear(self) -> None:
        self._waiting.clear()
        self._behind.clear()
        self._deadlines.clear()
        self._held.clear()
