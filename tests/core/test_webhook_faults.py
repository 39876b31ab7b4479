"""Fault rules on webhook deliveries without a server: parsing, matching, tampered tokens, and the sender
applying duplicate, reorder and delay to deliveries sent to a receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
import orjson
import pytest

from simulator.core.faultrules import RuleError, parse_rule
from simulator.core.faults import FaultPlan
from simulator.core.journal import Entry, Journal
from simulator.core.schedule import DueQueue
from simulator.core.spec import Operation
from simulator.core.webhook_faults import EXTRA_KEY, Holds, SignedClaims, signed_jwt
from simulator.core.webhookrules import WebhookEffect, webhook_name
from simulator.core.webhooks import WebhookSender
from simulator.vendors.prevail import postback
from tests.core.test_webhooks import Receiver, answer

CATALOG = {"alpha": [Operation("listThings", "GET", "/a/things", (), None, {"200": {}, "503": {}}, ())],
           "beta": [Operation("listWidgets", "GET", "/b/widgets", (), None, {"200": {}}, ())]}
WEBHOOKS = {"alpha": ("thing_made",), "beta": ()}
KEY = "tenant-key-of-alpha-0123456789abcdef"
T0 = 1_700_000_000.0


def _webhook_rule(effect: dict[str, Any], when: dict[str, Any] | None = None, **match: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {"match": {"vendor": "alpha", "webhook": "thing_made", **match}, "effect": effect}
    if when is not None:
        rule["when"] = when
    return rule


def _plan(*rules: dict[str, Any], seed: int = 1) -> FaultPlan:
    return FaultPlan(seed, [parse_rule(rule, CATALOG, WEBHOOKS) for rule in rules])


# --- parsing and matching ----------------------------------------------------------------------------


@pytest.mark.parametrize(("effect", "expected"), [
    ({"webhook": "duplicate"}, WebhookEffect("duplicate", copies=1)),
    ({"webhook": "duplicate", "times": 3}, WebhookEffect("duplicate", copies=3)),
    ({"webhook": "reorder"}, WebhookEffect("reorder", hold=60.0)),
    ({"webhook": "reorder", "within": 5}, WebhookEffect("reorder", hold=5.0)),
    ({"webhook": "delay", "seconds": 30}, WebhookEffect("delay", delay=30.0)),
    ({"webhook": "bad_signature"}, WebhookEffect("bad_signature")),
    ({"webhook": "extra_keys"}, WebhookEffect("extra_keys")),
])
def test_webhook_effects_parse_with_their_parameters(effect: dict[str, Any], expected: WebhookEffect) -> None:
    spec = parse_rule(_webhook_rule(effect), CATALOG, WEBHOOKS)
    assert spec.effect == expected
    assert spec.match.webhooks == {("alpha", "thing_made")} and not spec.match.operations
    assert spec.document["match"] == {"vendor": "alpha", "webhook": "thing_made"}


@pytest.mark.parametrize(("rule", "field", "words"), [
    (_webhook_rule({"webhook": "duplicate"}, vendor="beta"), "match.webhook",
     "unknown webhook 'thing_made' of vendor 'beta'; known: none"),
    ({"match": {"webhook": "nope"}, "effect": {"webhook": "delay", "seconds": 1}}, "match.webhook",
     "unknown webhook 'nope' of any vendor; known: thing_made (alpha)"),
    ({"match": {"vendor": "alpha", "operation": "listThings"}, "effect": {"webhook": "duplicate"}}, "match.webhook",
     "name the webhook (one of thing_made (alpha))"),
    ({"effect": {"webhook": "alg_none"}}, "match.webhook", "a webhook effect acts on deliveries"),
    (_webhook_rule({"status": 503}), "effect", "takes a webhook effect"),
    (_webhook_rule({"webhook": "duplicate"}, operation="listThings"), "match.operation", "deliveries only"),
    (_webhook_rule({"webhook": "duplicate"}, path="/a/*"), "match.path", "deliveries only"),
    (_webhook_rule({"webhook": "duplicate", "status": 503}), "effect", "exactly one of"),
    (_webhook_rule({"webhook": "shuffle"}), "effect.webhook", "must be one of duplicate, reorder"),
    (_webhook_rule({"webhook": "duplicate", "times": 11}), "effect.times", "from 1 to 10"),
    (_webhook_rule({"webhook": "duplicate", "times": True}), "effect.times", "from 1 to 10"),
    (_webhook_rule({"webhook": "duplicate", "seconds": 1}), "effect.seconds", "takes only times"),
    (_webhook_rule({"webhook": "expired", "times": 1}), "effect.times", "takes no parameter"),
    (_webhook_rule({"webhook": "delay"}), "effect.seconds", "is required"),
    (_webhook_rule({"webhook": "delay", "seconds": 0}), "effect.seconds", "above 0 and at most 86400"),
    (_webhook_rule({"webhook": "delay", "seconds": 86401}), "effect.seconds", "above 0 and at most 86400"),
    (_webhook_rule({"webhook": "reorder", "within": 3601}), "effect.within", "at most 3600"),
    (_webhook_rule({"webhook": "duplicate"}, vendor="gamma"), "match.vendor", "unknown vendor 'gamma'"),
    ({"match": {"vendor": "alpha", "webhook": "x" * 129}, "effect": {"webhook": "duplicate"}}, "match.webhook",
     "1 to 128 characters"),
])
def test_misfit_webhook_rules_are_refused_naming_the_field(rule: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(RuleError) as refused:
        parse_rule(rule, CATALOG, WEBHOOKS)
    assert refused.value.field == field and words in refused.value.message


def test_a_webhook_rule_never_matches_calls_and_a_call_rule_never_matches_deliveries() -> None:
    plan = _plan(_webhook_rule({"webhook": "duplicate"}), {"match": {"vendor": "alpha"}, "effect": {"status": 503}})
    webhook_rule, call_rule = plan.rules
    assert plan.decide("alpha", "listThings", "/a/things", T0) is not None
    assert (webhook_rule.matched, call_rule.matched) == (0, 1)
    assert plan.decide_webhook("alpha", "thing_made", T0) is webhook_rule
    assert (webhook_rule.matched, webhook_rule.fired, call_rule.matched) == (1, 1, 1)
    assert plan.decide_webhook("beta", "thing_made", T0) is None


def test_when_counts_deliveries_per_rule_and_the_first_firing_rule_decides() -> None:
    plan = _plan(_webhook_rule({"webhook": "delay", "seconds": 5}, when={"calls": [2, 3]}),
                 _webhook_rule({"webhook": "bad_signature"}, when={"times": 2}))
    chosen = [plan.decide_webhook("alpha", "thing_made", T0) for _ in range(4)]
    assert [rule.id if rule else None for rule in chosen] == ["f2", "f1", "f1", "f2"]
    assert [(rule.matched, rule.fired) for rule in plan.rules] == [(4, 2), (4, 2)]


def test_webhook_probabilities_are_seeded() -> None:
    def sequence(seed: int) -> list[bool]:
        plan = _plan(_webhook_rule({"webhook": "duplicate"}, when={"probability": 0.5}), seed=seed)
        return [plan.decide_webhook("alpha", "thing_made", T0) is not None for _ in range(64)]

    assert sequence(3) == sequence(3) and 10 < sum(sequence(3)) < 54
    assert sequence(3) != sequence(4)


def test_events_belong_to_the_webhook_named_before_the_colon() -> None:
    assert webhook_name("session_scheduled:17") == "session_scheduled" == webhook_name("session_scheduled")


# --- what a receiver must reject -----------------------------------------------------------------------


def _token(tamper: str | None, now: float = T0) -> str:
    body = postback.build(postback.claims([{"remote_session_id": "abc"}], KEY), tamper, now)
    envelope = orjson.loads(body)
    assert list(envelope) == ["jwt_payload"]
    return str(envelope["jwt_payload"])


def test_an_honest_postback_verifies_with_the_organisations_key() -> None:
    claims = jwt.decode(_token(None, now=0), KEY, algorithms=["HS256"], options={"verify_exp": False})
    assert claims == {"sessions": [{"remote_session_id": "abc"}], "iat": 0, "exp": 86400}
    assert jwt.decode(_token(None, now=time.time()), KEY, algorithms=["HS256"])["sessions"]


def test_tampered_postbacks_are_what_a_receiver_must_reject() -> None:
    now = time.time()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(_token("bad_signature", now), KEY, algorithms=["HS256"])
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(_token("expired", now), KEY, algorithms=["HS256"])
    none = _token("alg_none", now)
    assert none.endswith(".") and jwt.get_unverified_header(none)["alg"] == "none"
    with pytest.raises((jwt.InvalidAlgorithmError, jwt.DecodeError)):  # pyjwt 2.x: the alg is not allowed
        jwt.decode(none, KEY, algorithms=["HS256"])
    extra = jwt.decode(_token("extra_keys", now), KEY, algorithms=["HS256"])  # still correctly signed
    assert extra[EXTRA_KEY] and extra["sessions"][0][EXTRA_KEY] and extra["sessions"][0]["remote_session_id"] == "abc"


def test_an_expired_token_expired_an_hour_before_it_was_sent() -> None:
    claims = jwt.decode(signed_jwt({}, KEY, "expired", T0, 86400), KEY, algorithms=["HS256"],
                        options={"verify_exp": False})
    assert claims["exp"] == T0 - 3600 and claims["iat"] == claims["exp"] - 86400


# --- the sender applying effects ---------------------------------------------------------------------


def _world(plan: FaultPlan) -> tuple[WebhookSender, DueQueue, Journal, list[float]]:
    now = [T0]
    queue, journal = DueQueue(), Journal(1000)
    sender = WebhookSender(queue, lambda: now[0], journal, policy="loopback", concurrency=4,
                           builders={"alpha": {"thing_made": postback.build}}, plan=lambda: plan)
    return sender, queue, journal, now


async def _drain(sender: WebhookSender, queue: DueQueue, now: list[float]) -> None:
    queue.drain(lambda: now[0])
    await sender.settle()


def _hooks(journal: Journal) -> list[Entry]:
    return [entry for entry in journal if entry.kind == "webhook"]


def _post(sender: WebhookSender, url: str, number: int) -> None:
    sender.post(url, SignedClaims({"n": number}, KEY), "alpha", f"thing_made:{number}")


def _claims_json(body: bytes) -> bytes:
    token = orjson.loads(body)["jwt_payload"]
    return orjson.dumps(jwt.decode(token, KEY, algorithms=["HS256"], options={"verify_exp": False}))


def _numbers(receiver: BodyReceiver) -> list[int]:
    return [jwt.decode(orjson.loads(body)["jwt_payload"], KEY, algorithms=["HS256"],
                       options={"verify_exp": False})["n"] for body in receiver.bodies]


class BodyReceiver(Receiver):
    """The test receiver, keeping the bodies it was sent (it answers 204, or the statuses queued first)."""

    def __init__(self, *statuses: int) -> None:
        super().__init__(answer(204))
        self.bodies: list[bytes] = []
        self.statuses = list(statuses)

    async def __aenter__(self) -> BodyReceiver:
        await super().__aenter__()
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        self.bodies.append(await reader.readexactly(int(headers.get("content-length", "0"))))
        try:
            await answer(self.statuses.pop(0) if self.statuses else 204)(reader, writer, headers)
        finally:
            writer.close()


def test_duplicate_sends_the_same_bytes_again_and_journals_each_copy() -> None:
    async def main() -> None:
        async with BodyReceiver() as receiver:
            sender, queue, journal, now = _world(_plan(_webhook_rule({"webhook": "duplicate", "times": 2},
                                                                     when={"calls": [1]})))
            _post(sender, receiver.url(), 1)
            _post(sender, receiver.url(), 2)
            await _drain(sender, queue, now)
            assert sorted(_numbers(receiver)) == [1, 1, 1, 2]
            assert len({body for body in receiver.bodies if b'"n":1' in _claims_json(body)}) == 1  # the same bytes
            entries = [e for e in _hooks(journal) if e.detail["event"] == "thing_made:1"]
            assert [e.detail.get("copy") for e in entries] == [None, 1, 2]
            assert all(e.detail["fault"] == {"rule": "f1", "effect": {"webhook": "duplicate", "times": 2}}
                       for e in entries)
            assert "fault" not in next(e for e in _hooks(journal) if e.detail["event"] == "thing_made:2").detail
    asyncio.run(main())


def test_reorder_sends_the_held_delivery_after_the_next_one() -> None:
    async def main() -> None:
        async with BodyReceiver() as receiver:
            sender, queue, journal, now = _world(_plan(_webhook_rule({"webhook": "reorder"}, when={"calls": [1]})))
            _post(sender, receiver.url(), 1)
            await _drain(sender, queue, now)
            assert receiver.bodies == [] and sender.pending_count == 1
            assert "held back" in sender.pending()[0][1]
            _post(sender, receiver.url(), 2)
            await _drain(sender, queue, now)
            assert _numbers(receiver) == [2, 1]
            assert [e.detail["event"] for e in _hooks(journal)] == ["thing_made:2", "thing_made:1"]
            assert _hooks(journal)[1].detail["fault"]["effect"] == {"webhook": "reorder"}
            assert sender.pending_count == 0
    asyncio.run(main())


def test_a_held_delivery_goes_out_anyway_when_no_later_one_comes_within_its_bound() -> None:
    async def main() -> None:
        async with BodyReceiver() as receiver:
            sender, queue, _journal, now = _world(_plan(_webhook_rule({"webhook": "reorder", "within": 10})))
            _post(sender, receiver.url(), 1)
            now[0] = T0 + 9.9
            await _drain(sender, queue, now)
            assert receiver.bodies == []
            now[0] = T0 + 10
            await _drain(sender, queue, now)
            assert _numbers(receiver) == [1] and sender.pending_count == 0
    asyncio.run(main())


def test_delay_waits_on_the_namespace_clock_before_the_first_attempt() -> None:
    async def main() -> None:
        async with BodyReceiver() as receiver:
            sender, queue, journal, now = _world(_plan(_webhook_rule({"webhook": "delay", "seconds": 30})))
            _post(sender, receiver.url(), 1)
            now[0] = T0 + 29
            await _drain(sender, queue, now)
            assert receiver.bodies == []
            now[0] = T0 + 30
            await _drain(sender, queue, now)
            assert _numbers(receiver) == [1]
            assert _hooks(journal)[0].at == T0 + 30
    asyncio.run(main())


def test_a_retry_is_signed_when_it_is_sent() -> None:
    async def main() -> None:
        async with BodyReceiver(500) as receiver:
            sender, queue, _journal, now = _world(_plan())
            _post(sender, receiver.url(), 1)
            await _drain(sender, queue, now)
            now[0] = T0 + 2 * 86400  # two days on: a token signed when queued would have expired
            await _drain(sender, queue, now)
            first, retry = (jwt.decode(orjson.loads(body)["jwt_payload"], KEY, algorithms=["HS256"],
                                       options={"verify_exp": False}) for body in receiver.bodies)
            assert first["iat"] == T0 and retry["iat"] == T0 + 2 * 86400 and retry["exp"] == retry["iat"] + 86400
    asyncio.run(main())


def test_holds_let_each_delivery_go_once_after_its_leader_or_at_its_deadline() -> None:
    holds: Holds[str] = Holds()
    holds.hold("w", 1, "one", deadline=10)
    holds.follow("w", 2)
    assert holds.sent(2) == ["one"] and holds.expired(10) == [] and len(holds) == 0
    holds.hold("w", 3, "three", deadline=20)
    holds.follow("w", 4)
    assert holds.expired(20) == ["three"] and holds.sent(4) == [] and len(holds) == 0
