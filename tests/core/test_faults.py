"""Fault rules and plans without a server: parsing, matching, `when`, effects and the send path."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from simulator.core.errors import SimulatorError
from simulator.core.faulteffects import MALFORMED, ConnectionCut, send_faulty, status_reply
from simulator.core.faultrules import (
    DisconnectEffect,
    LatencyEffect,
    RuleError,
    SlowBodyEffect,
    StatusEffect,
    parse_rule,
)
from simulator.core.faults import MAX_RULES, FaultPlan, PlanFull, draw_latency
from simulator.core.rand import SeededSource
from simulator.core.spec import Operation


def _op(op_id: str, method: str, path: str, statuses: tuple[str, ...] = ("200", "400", "404", "429")) -> Operation:
    return Operation(op_id, method, path, (), None, {s: {} for s in statuses}, ())


CATALOG = {
    "alpha": [_op("listThings", "GET", "/a/things"), _op("getThing", "GET", "/a/things/{id}"),
              _op("makeThing", "POST", "/a/things", ("201", "400", "409"))],
    "beta": [_op("listWidgets", "GET", "/b/widgets", ("200", "5XX")), _op("anything", "GET", "/b/any", ("default",))],
}
T0 = 1_700_000_000.0


def _rule(**parts: Any) -> dict[str, Any]:
    return {"match": {"operation": "listThings"}, "effect": {"status": 429}, **parts}


def _plan(*rules: dict[str, Any], seed: int = 1) -> FaultPlan:
    return FaultPlan(seed, [parse_rule(rule, CATALOG) for rule in rules])


def _fires(plan: FaultPlan, calls: int, op: tuple[str, str, str] = ("alpha", "listThings", "/a/things"),
           now: float = T0) -> list[bool]:
    return [plan.decide(*op, now) is not None for _ in range(calls)]


# --- parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rule", "field", "words"), [
    ("nope", "rule", "must be an object"),
    ({"match": {}}, "effect", "is required"),
    ({"effect": {"status": 429}, "extra": 1}, "extra", "unknown key"),
    (_rule(match={"vendor": "gamma"}), "match.vendor", "unknown vendor 'gamma'; known: alpha, beta"),
    (_rule(match={"vendor": "alpha", "operation": "listWidgets"}), "match.operation", "of vendor 'alpha'"),
    (_rule(match={"operation": []}), "match.operation", "non-empty list"),
    (_rule(match={"operation": ["listThings"] * 101}), "match.operation", "at most 100"),
    (_rule(match={"method": "TRACE"}), "match.method", "one of GET"),
    (_rule(match={"vendor": "beta", "method": "POST"}), "match", "selects no operation"),
    (_rule(match={"path": "x" * 513}), "match.path", "1 to 512"),
    (_rule(match={"host": "x"}), "match.host", "unknown key"),
    (_rule(when={"calls": [0]}), "when.calls.0", "from 1"),
    (_rule(when={"calls": []}), "when.calls", "non-empty"),
    (_rule(when={"calls": list(range(1, 1002))}), "when.calls", "at most 1000"),
    (_rule(when={"first": True}), "when.first", "integer"),
    (_rule(when={"every": 0}), "when.every", "from 1"),
    (_rule(when={"times": 2**63}), "when.times", "from 1"),
    (_rule(when={"probability": 1.5}), "when.probability", "from 0 to 1"),
    (_rule(when={"after": "soon"}), "when.after", "ISO 8601"),
    (_rule(when={"after": "2025-01-02T00:00:00Z", "until": "2025-01-01T00:00:00Z"}), "when.until", "later"),
    ({"effect": {}}, "effect", "exactly one of status, latency, disconnect, slow_body"),
    ({"effect": {"status": 429, "latency": 5}}, "effect", "(got status, latency)"),
    ({"effect": {"latency": 5, "retry_after": 1}}, "effect.retry_after", "with a status effect only"),
    ({"effect": {"status": 200}}, "effect.status", "from 400 to 599"),
    ({"effect": {"status": 429, "retry_after": -1}}, "effect.retry_after", "whole seconds"),
    ({"effect": {"status": 429, "retry_after": 1.5}}, "effect.retry_after", "whole seconds"),
    ({"effect": {"status": 429, "undeclared": "yes"}}, "effect.undeclared", "true or false"),
    ({"effect": {"status": 429, "body": "x" * 70_000}}, "effect.body", "larger than 65536 bytes"),
    ({"effect": {"status": 429, "headers": {"X-A": "a\r\nSet-Cookie: b"}}}, "effect.headers.X-A", "control"),
    ({"effect": {"status": 429, "headers": {"Bad Name": "a"}}}, "effect.headers", "not a header name"),
    ({"effect": {"status": 429, "headers": {"Content-Length": "1"}}}, "effect.headers.Content-Length", "frames"),
    ({"effect": {"status": 429, "headers": {"Content-Type": "text/html"}}}, "effect.headers.Content-Type",
     "with a body only"),
    ({"effect": {"status": 429, "headers": {f"X-{i}": "v" for i in range(33)}}}, "effect.headers", "at most 32"),
    ({"effect": {"latency": 60_001}}, "effect.latency", "from 0 to 60000"),
    ({"effect": {"latency": [5, 1]}}, "effect.latency", "must not exceed"),
    ({"effect": {"latency": [1, 2, 3]}}, "effect.latency", "[low, high]"),
    ({"effect": {"latency": {"median": 0, "sigma": 1}}}, "effect.latency.median", "more than 0"),
    ({"effect": {"latency": {"median": 10}}}, "effect.latency", "both median"),
    ({"effect": {"latency": {"median": 10, "sigma": 11}}}, "effect.latency.sigma", "from 0 to 10"),
    ({"effect": {"latency": float("nan")}}, "effect.latency", "number"),
    ({"effect": {"disconnect": "explode"}}, "effect.disconnect", "reset, empty, truncate, malformed"),
    ({"effect": {"slow_body": {"chunks": 0, "ms": 1}}}, "effect.slow_body.chunks", "from 1 to 1000"),
    ({"effect": {"slow_body": {"chunks": 2}}}, "effect.slow_body", "needs chunks"),
    ({"effect": {"slow_body": {"chunks": 2, "ms": 70_000}}}, "effect.slow_body.ms", "from 0 to 60000"),
])
def test_a_bad_rule_is_refused_naming_the_field(rule: Any, field: str, words: str) -> None:
    with pytest.raises(RuleError) as refused:
        parse_rule(rule, CATALOG)
    assert refused.value.field == field
    assert words in refused.value.message


def test_a_status_the_matched_operations_do_not_declare_is_refused_naming_the_declared_ones() -> None:
    with pytest.raises(RuleError) as refused:
        parse_rule({"match": {"vendor": "alpha", "method": "GET"}, "effect": {"status": 503}}, CATALOG)
    assert refused.value.field == "effect.status"
    assert "503 is not declared by listThings, getThing" in refused.value.message
    assert "declare 400, 404, 429" in refused.value.message and '"undeclared": true' in refused.value.message
    assert refused.value.rule == "#/components/schemas/FaultEffect"
    with pytest.raises(RuleError, match="makeThing"):  # every matched operation must declare it
        parse_rule({"match": {"vendor": "alpha"}, "effect": {"status": 429}}, CATALOG)


def test_declared_ranges_and_defaults_count_and_undeclared_lets_any_status_through() -> None:
    assert parse_rule({"match": {"operation": "listWidgets"}, "effect": {"status": 503}}, CATALOG)
    assert parse_rule({"match": {"operation": "anything"}, "effect": {"status": 418}}, CATALOG)
    rule = parse_rule({"match": {"vendor": "alpha"}, "effect": {"status": 503, "undeclared": True}}, CATALOG)
    assert len(rule.match.operations) == 3


def test_a_path_glob_narrows_the_operations_whose_statuses_are_checked() -> None:
    # Only GET /a/things/{id} is reachable by the glob: makeThing's lack of 429 does not matter.
    rule = parse_rule({"match": {"vendor": "alpha", "path": "/a/things/*"}, "effect": {"status": 429}}, CATALOG)
    assert rule.match.selects("alpha", "getThing", "/a/things/42")
    # A concrete path names its template too.
    assert parse_rule({"match": {"path": "/a/things/42"}, "effect": {"status": 404}}, CATALOG)
    # An operation reached at run time that lacks the status is never hit: answers stay within the spec.
    assert not rule.match.selects("alpha", "makeThing", "/a/things/x")


def test_the_rule_is_shown_as_given_with_the_method_in_capitals() -> None:
    rule = parse_rule({"match": {"method": "get"}, "when": {"first": 2}, "effect": {"latency": [1, 2]}}, CATALOG)
    assert rule.document == {"match": {"method": "GET"}, "when": {"first": 2}, "effect": {"latency": [1, 2]}}
    assert parse_rule({"effect": {"latency": 1}}, CATALOG).document == {"match": {}, "when": {},
                                                                        "effect": {"latency": 1}}


# --- matching and when ---------------------------------------------------------------------------


def test_match_by_vendor_operation_method_and_path_glob() -> None:
    plan = _plan(_rule(match={"vendor": "alpha", "operation": ["listThings", "getThing"], "method": "GET",
                              "path": "/a/things/4?"}))
    assert plan.decide("alpha", "getThing", "/a/things/42", T0) is not None
    assert plan.decide("alpha", "getThing", "/a/things/420", T0) is None
    assert plan.decide("alpha", "listThings", "/a/things", T0) is None
    assert plan.decide("beta", "listWidgets", "/b/widgets", T0) is None
    assert plan.rules[0].matched == 1 and plan.rules[0].fired == 1


def test_no_match_means_every_operation_but_never_an_admin_one() -> None:
    plan = _plan({"effect": {"latency": 1}})
    assert plan.decide("beta", "listWidgets", "/b/widgets", T0) is not None
    assert plan.decide("alpha", "makeThing", "/a/things", T0) is not None
    assert plan.decide("alpha", "resetNamespace", "/_sim/reset", T0) is None  # not in the vendor catalog


def test_calls_first_every_and_times() -> None:
    assert _fires(_plan(_rule(when={"calls": [2, 4]})), 5) == [False, True, False, True, False]
    assert _fires(_plan(_rule(when={"first": 2})), 4) == [True, True, False, False]
    assert _fires(_plan(_rule(when={"every": 3})), 7) == [False, False, True, False, False, True, False]
    assert _fires(_plan(_rule(when={"every": 2, "times": 2})), 8) == [False, True, False, True] + [False] * 4
    assert _fires(_plan(_rule()), 3) == [True, True, True]


def test_after_and_until_are_instants_on_the_namespace_clock() -> None:
    plan = _plan(_rule(when={"after": "2025-01-01T00:00:00Z", "until": "2025-01-01T01:00:00Z"}))
    start = 1_735_689_600.0  # 2025-01-01T00:00:00Z
    op = ("alpha", "listThings", "/a/things")
    assert [plan.decide(*op, at) is not None for at in (start - 1, start, start + 3599, start + 3600)] == \
        [False, True, True, False]
    assert plan.rules[0].matched == 4 and plan.rules[0].fired == 2


def test_probability_is_seeded_by_server_seed_and_rule_id() -> None:
    rule = _rule(when={"probability": 0.5})
    first, second = _fires(_plan(rule), 200), _fires(_plan(rule), 200)
    assert first == second and 60 < sum(first) < 140
    assert _fires(_plan(rule, seed=2), 200) != first
    assert _fires(_plan(_rule(when={"probability": 0})), 20) == [False] * 20
    assert _fires(_plan(_rule(when={"probability": 1})), 20) == [True] * 20


def test_the_probability_sequence_does_not_depend_on_the_other_conditions() -> None:
    alone = _fires(_plan(_rule(when={"probability": 0.5})), 50)
    capped = _fires(_plan(_rule(when={"probability": 0.5, "after": "2000-01-01T00:00:00Z"})), 50)
    assert alone == capped


def test_every_rule_counts_every_call_latency_adds_up_and_the_first_answer_wins() -> None:
    plan = _plan({"effect": {"latency": 100}}, {"effect": {"latency": [200, 200]}},
                 _rule(when={"calls": [2]}), {"when": {"calls": [2, 3]}, "effect": {"disconnect": "reset"}})
    op = ("alpha", "listThings", "/a/things")
    first = plan.decide(*op, T0)
    assert first is not None and first.answer is None and first.delay == pytest.approx(0.3)
    second = plan.decide(*op, T0)
    assert second is not None and isinstance(second.effect, StatusEffect)
    assert second.notes == ["fault f1: latency 100 ms", "fault f2: latency 200 ms", "fault f3: status 429"]
    third = plan.decide(*op, T0)
    assert third is not None and third.effect == DisconnectEffect("reset")
    assert [(r.matched, r.fired) for r in plan.rules] == [(3, 3), (3, 3), (3, 1), (3, 1)]  # f4 was shadowed on call 2


def test_rules_get_ids_in_order_and_can_be_removed_and_cleared() -> None:
    plan = _plan(_rule(), _rule())
    assert [r.id for r in plan.rules] == ["f1", "f2"]
    assert plan.remove("f1") and not plan.remove("f1")
    assert plan.add(parse_rule(_rule(), CATALOG)).id == "f3"
    plan.clear()
    assert plan.rules == [] and plan.decide("alpha", "listThings", "/a/things", T0) is None


def test_a_plan_holds_at_most_a_hundred_rules() -> None:
    plan = _plan(*[_rule()] * MAX_RULES)
    with pytest.raises(PlanFull, match="at most 100"):
        plan.add(parse_rule(_rule(), CATALOG))


def test_latency_draws_are_bounded_and_seeded() -> None:
    source = SeededSource(1, "x")
    assert draw_latency(LatencyEffect(fixed_ms=250), source) == 0.25
    uniform = [draw_latency(LatencyEffect(low_ms=10, high_ms=20), source) for _ in range(100)]
    assert all(0.01 <= d <= 0.02 for d in uniform)
    wide = [draw_latency(LatencyEffect(median_ms=50_000, sigma=10), source) for _ in range(200)]
    assert max(wide) == 60.0 and min(wide) >= 0
    again = SeededSource(1, "x")
    assert draw_latency(LatencyEffect(fixed_ms=250), again) == 0.25
    assert [draw_latency(LatencyEffect(low_ms=10, high_ms=20), again) for _ in range(100)] == uniform


# --- effects -------------------------------------------------------------------------------------


class _Shape:
    def render(self, error: SimulatorError) -> Any:
        from simulator.core.dispatch import Reply

        return Reply({"oops": error.message}, status=401 if error.status == 422 else error.status,
                     headers=dict(error.headers))


def test_a_status_is_answered_in_the_vendors_shape_with_retry_after_and_headers() -> None:
    reply = status_reply(StatusEffect(429, retry_after=2, headers=(("X-Why", "test"),)), "f1", _Shape())
    assert reply.status == 429 and reply.headers == {"Retry-After": "2", "X-Why": "test"}
    assert "rule f1" in reply.body["oops"]
    assert status_reply(StatusEffect(422), "f1", _Shape()).status == 422  # the plan's status wins over the shape's


def test_a_status_with_a_body_sends_it_as_json_or_as_text() -> None:
    as_json = status_reply(StatusEffect(503, body={"down": True}, has_body=True), "f1", _Shape())
    assert as_json.body == b'{"down":true}' and as_json.media_type == "application/json"
    html = status_reply(StatusEffect(502, headers=(("Content-Type", "text/html"),), body="<h1>502</h1>",
                                     has_body=True), "f1", _Shape())
    assert html.body == b"<h1>502</h1>" and html.media_type == "text/html" and "Content-Type" not in html.headers
    undeclared = status_reply(StatusEffect(503, undeclared=True), "f1", _Shape())
    assert isinstance(undeclared.body, bytes)  # raw bytes: no schema to self-check against


class _Transport:
    def __init__(self) -> None:
        self.closed = self.aborted = False

    def get_extra_info(self, _name: str) -> None:
        return None

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True


class _Cycle:
    """Stands in for uvicorn's request-response cycle: its bound ``send`` leads to the transport."""

    def __init__(self) -> None:
        self.transport = _Transport()
        self.messages: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)


HEADERS = [(b"content-length", b"10"), (b"content-type", b"application/json")]


def _send(effect: Any, content: bytes = b"0123456789") -> _Cycle:
    cycle = _Cycle()
    asyncio.run(send_faulty(effect, cycle.send, 200, list(HEADERS), content))
    return cycle


def test_reset_aborts_without_a_byte_and_empty_closes_after_the_headers() -> None:
    reset = _send(DisconnectEffect("reset"))
    assert reset.messages == [] and reset.transport.aborted
    empty = _send(DisconnectEffect("empty"))
    assert [m["type"] for m in empty.messages] == ["http.response.start"] and empty.transport.closed


def test_truncate_promises_the_whole_length_and_sends_half() -> None:
    cut = _send(DisconnectEffect("truncate"))
    assert (b"content-length", b"10") in cut.messages[0]["headers"]
    assert cut.messages[1] == {"type": "http.response.body", "body": b"01234", "more_body": True}
    assert cut.transport.closed
    nothing = _send(DisconnectEffect("truncate"), b"")
    assert (b"content-length", b"2") in nothing.messages[0]["headers"] and nothing.messages[1]["body"] == b""


def test_malformed_is_a_well_framed_answer_that_is_not_the_media_type() -> None:
    bad = _send(DisconnectEffect("malformed"))
    headers = dict(bad.messages[0]["headers"])
    assert headers[b"content-length"] == str(len(MALFORMED)).encode()
    assert headers[b"content-type"] == b"application/json"
    assert bad.messages[1]["body"] == MALFORMED and not bad.transport.closed


def test_slow_body_sends_the_body_in_chunks() -> None:
    slow = _send(SlowBodyEffect(chunks=3, ms=30))
    bodies = [m for m in slow.messages if m["type"] == "http.response.body"]
    assert b"".join(m["body"] for m in bodies) == b"0123456789" and len(bodies) == 3
    assert [m["more_body"] for m in bodies] == [True, True, False]
    tiny = _send(SlowBodyEffect(chunks=50, ms=0), b"ab")
    assert len([m for m in tiny.messages if m["type"] == "http.response.body"]) == 2


def test_a_server_without_a_reachable_transport_gets_an_exception_to_drop_the_connection() -> None:
    async def bare_send(_message: dict[str, Any]) -> None:
        return None

    with pytest.raises(ConnectionCut):
        asyncio.run(send_faulty(DisconnectEffect("reset"), bare_send, 200, [], b""))
