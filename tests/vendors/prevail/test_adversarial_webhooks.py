"""Fault rules on Prevail's postback, end to end: a running simulator delivering to a receiver on 127.0.0.1."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jwt
import orjson
import pytest

from simulator.app import load_fault_plan
from simulator.core.webhookrules import WebhookEffect
from simulator.faultplan import FaultPlanError
from simulator.testing.server import ThreadedServer
from tests.support import Sim, WebhookReceiver
from tests.vendors.prevail.helpers import new_request

SELF_SERVICE = "brightline-reporting"  # its requests get a session, and a postback, at once
KEY = "prevail-dev-key-brightline-8d3e6b0c5a"
MATCH = {"vendor": "prevail", "webhook": "session_scheduled"}


def _add(sim: Sim, effect: dict[str, Any], when: dict[str, Any] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"match": MATCH, "effect": effect, **({"when": when} if when else {})}
    response = sim.http.post("/_sim/faults", json=rule)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _submit(sim: Sim, url: str) -> str:
    """A self-service request (posted back at once); its remote_session_id."""
    response = sim.prevail(SELF_SERVICE).post("/api/v1/session_requests", json=new_request(url))
    assert response.status_code == 201, response.text
    return str(response.json()["requests"][0]["remote_session_id"])


def _hooks(sim: Sim) -> list[dict[str, Any]]:
    return [entry for entry in sim.journal() if entry["kind"] == "webhook"]


def _claims(body: bytes, verify_exp: bool = True) -> dict[str, Any]:
    return dict(jwt.decode(orjson.loads(body)["jwt_payload"], KEY, algorithms=["HS256"],
                           options={"verify_exp": verify_exp}))


def _session_ids(receiver: WebhookReceiver) -> list[str]:
    return [_claims(body)["sessions"][0]["remote_session_id"] for body in receiver.received]


def test_a_duplicated_postback_arrives_twice_and_each_copy_is_journaled(sim: Sim) -> None:
    rule = _add(sim, {"webhook": "duplicate"})
    with WebhookReceiver() as receiver:
        session = _submit(sim, receiver.url)
        sim.wait_for(lambda: len(receiver.received) == 2 and len(_hooks(sim)) == 2)
    assert receiver.received[0] == receiver.received[1] and _session_ids(receiver) == [session, session]
    original, copy = _hooks(sim)
    fault = {"rule": rule["id"], "effect": {"webhook": "duplicate"}}
    assert original["detail"]["fault"] == fault == copy["detail"]["fault"]
    assert "copy" not in original["detail"] and copy["detail"]["copy"] == 1
    assert original["detail"]["delivered"] and copy["detail"]["delivered"]
    [listed] = sim.http.get("/_sim/faults").json()["rules"]
    assert (listed["matched"], listed["fired"]) == (1, 1)  # deliveries, not sends


def test_a_reordered_postback_arrives_after_the_next_one(sim: Sim) -> None:
    _add(sim, {"webhook": "reorder"}, when={"calls": [1]})
    with WebhookReceiver() as receiver:
        first = _submit(sim, receiver.url)
        time.sleep(0.2)
        assert receiver.received == []  # held back
        second = _submit(sim, receiver.url)
        sim.wait_for(lambda: len(receiver.received) == 2)
    assert _session_ids(receiver) == [second, first]
    held = [entry for entry in _hooks(sim) if "fault" in entry["detail"]]
    assert [entry["detail"]["fault"]["effect"] for entry in held] == [{"webhook": "reorder"}]


def test_a_delayed_postback_arrives_once_the_clock_has_moved(sim: Sim) -> None:
    _add(sim, {"webhook": "delay", "seconds": 120})
    with WebhookReceiver() as receiver:
        _submit(sim, receiver.url)
        sim.advance(119)
        time.sleep(0.2)
        assert receiver.received == [] and _hooks(sim) == []
        sim.advance(1)
        sim.wait_for(lambda: len(receiver.received) == 1)
    assert _hooks(sim)[0]["detail"]["fault"]["effect"] == {"webhook": "delay", "seconds": 120}


@pytest.mark.parametrize(("tamper", "refusal"), [
    ("bad_signature", jwt.InvalidSignatureError),
    ("expired", jwt.ExpiredSignatureError),
    ("alg_none", (jwt.InvalidAlgorithmError, jwt.DecodeError)),
])
def test_a_tampered_postback_is_refused_by_a_receiver_that_verifies_it(sim: Sim, tamper: str,
                                                                        refusal: Any) -> None:
    _add(sim, {"webhook": tamper})
    with WebhookReceiver() as receiver:
        _submit(sim, receiver.url)
        sim.wait_for(lambda: len(receiver.received) == 1)
    with pytest.raises(refusal):
        _claims(receiver.received[0])
    assert _hooks(sim)[0]["detail"]["fault"]["effect"] == {"webhook": tamper}


def test_extra_keys_still_verify_and_carry_keys_the_page_does_not_promise(sim: Sim) -> None:
    _add(sim, {"webhook": "extra_keys"})
    with WebhookReceiver() as receiver:
        session = _submit(sim, receiver.url)
        sim.wait_for(lambda: len(receiver.received) == 1)
    claims = _claims(receiver.received[0])
    assert "sim_extra" in claims and claims["sessions"][0]["remote_session_id"] == session
    assert "sim_extra" in claims["sessions"][0]


def test_a_retry_is_signed_when_it_is_sent_so_it_is_valid_when_it_arrives(sim: Sim) -> None:
    assert sim.http.put("/_sim/clock", json={"token_clock": "namespace"}).status_code == 200
    with WebhookReceiver(failures=1) as receiver:
        _submit(sim, receiver.url)
        sim.wait_for(lambda: len(_hooks(sim)) == 1)
        sim.advance(2 * 86400)  # the retry goes out two days after the postback was queued
        sim.wait_for(lambda: len(receiver.received) == 1)
    claims = _claims(receiver.received[0], verify_exp=False)
    assert claims["iat"] == int(sim.now()) and claims["exp"] == claims["iat"] + 86400


def test_the_same_seed_and_plan_give_the_same_deliveries_in_two_fresh_namespaces(server: ThreadedServer,
                                                                                 sim: Sim) -> None:
    def run(suffix: str) -> list[tuple[str, bool, int]]:
        other = Sim(f"{server.url}/_ns/{sim.namespace}-{suffix}", f"{sim.namespace}-{suffix}")
        try:
            _add(other, {"webhook": "duplicate"}, when={"probability": 0.5})
            with WebhookReceiver() as receiver:
                for _ in range(8):
                    _submit(other, receiver.url)
                other.wait_for(lambda: sum(1 for e in _hooks(other) if e["detail"]["delivered"]) == len(
                    receiver.received) >= 8)
                time.sleep(0.2)
            return sorted((e["detail"]["event"], "fault" in e["detail"], e["detail"].get("copy", 0))
                          for e in _hooks(other))
        finally:
            other.http.delete(f"/_sim/namespaces/{other.namespace}")
            other.close()

    first = run("a")
    assert first == run("b")
    assert 8 < len(first) < 16  # some deliveries were duplicated, not all


@pytest.mark.parametrize(("rule", "status", "field"), [
    ({"match": {"vendor": "koreai", "webhook": "session_scheduled"}, "effect": {"webhook": "duplicate"}}, 409,
     "body.match.webhook"),
    ({"match": {"vendor": "prevail", "operation": "listSessionRequests"}, "effect": {"webhook": "expired"}}, 409,
     "body.match.webhook"),
    ({"match": MATCH, "effect": {"status": 503}}, 409, "body.effect"),
    ({"match": {**MATCH, "method": "POST"}, "effect": {"webhook": "duplicate"}}, 409, "body.match.method"),
    ({"match": {"vendor": "prevail", "webhook": "nope"}, "effect": {"webhook": "duplicate"}}, 400,
     "body.match.webhook"),
    ({"match": MATCH, "effect": {"webhook": "duplicate", "times": 11}}, 400, "body.effect"),
    ({"match": MATCH, "effect": {"webhook": "delay"}}, 400, "body.effect"),
])
def test_misfit_webhook_rules_are_refused_naming_the_field(sim: Sim, rule: dict[str, Any], status: int,
                                                           field: str) -> None:
    response = sim.http.post("/_sim/faults", json=rule)
    assert response.status_code == status, response.text
    assert any(v["field"].startswith(field) for v in response.json()["error"]["violations"]), response.text
    assert sim.http.get("/_sim/faults").json()["rules"] == []


def test_a_plan_file_may_hold_webhook_rules(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("- match: {vendor: prevail, webhook: session_scheduled}\n"
                    "  when: {calls: [1]}\n"
                    "  effect: {webhook: duplicate, times: 2}\n", encoding="utf-8")
    [rule] = load_fault_plan(plan)
    assert rule.match.webhooks == {("prevail", "session_scheduled")}
    assert rule.effect == WebhookEffect("duplicate", copies=2)
    plan.write_text("- match: {vendor: vonage, webhook: session_scheduled}\n  effect: {webhook: expired}\n",
                    encoding="utf-8")
    with pytest.raises(FaultPlanError, match=r"\[0\]\.match\.webhook: unknown webhook 'session_scheduled' of vendor"):
        load_fault_plan(plan)
