"""Fault rules as data: parse and check one rule document, vendor-free.

A rule has three parts: ``match`` (which operations), ``when`` (which of their calls) and ``effect``
(what goes wrong). Everything that can be wrong with a rule is found here, when it is added (through
the admin API or from a ``--faults`` file), and told as a :class:`RuleError` naming the field. The
checks do not rely on the admin spec's validation, because a plan file never passes through it.

Matching is decided here once: the operations a rule may hit are computed from the spec catalog as a
set of ``(vendor, operationId)`` pairs, so a call is matched with one set lookup (and the path glob,
when there is one). A rule naming a ``webhook`` selects ``(vendor, webhook)`` pairs and acts on deliveries
only (:mod:`simulator.core.webhookrules`); a rule for calls never matches a delivery.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from simulator.core.clock import parse_instant
from simulator.core.spec import Operation
from simulator.core.webhookrules import WebhookEffect, WebhookRuleError, parse_webhook_effect, webhook_targets

METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH")
DISCONNECTS = ("reset", "empty", "truncate", "malformed")
EFFECTS = ("status", "latency", "disconnect", "slow_body", "webhook")
STATUS_EXTRAS = ("retry_after", "headers", "body", "undeclared")
MAX_OPERATIONS = 100  # operationIds in one match
MAX_ID_CHARS = 128
MAX_PATH_CHARS = 512
MAX_CALLS = 1000  # entries of when.calls
MAX_COUNT = 1_000_000_000  # call numbers, first, every, times
MAX_INSTANT_CHARS = 64
MAX_LATENCY_MS = 60_000
MAX_SIGMA = 10.0
MAX_CHUNKS = 1000
MAX_RETRY_AFTER = 86_400
MAX_HEADERS = 32
MAX_HEADER_NAME = 128
MAX_HEADER_VALUE = 1024
MAX_BODY_BYTES = 64 * 1024  # of an effect's body, as JSON
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")  # latin-1 without controls: no header splitting
_FRAMING = frozenset({"content-length", "transfer-encoding"})  # the server frames the answer itself
_PARAM = re.compile(r"\{[^}/]+\}")
_SCHEMAS = {"match": "FaultMatch", "when": "FaultWhen", "effect": "FaultEffect"}

Catalog = Mapping[str, Sequence[Operation]]  # vendor -> the operations of its spec
Webhooks = Mapping[str, Collection[str]]  # vendor -> the webhooks it declares


class RuleError(ValueError):
    """A rule that cannot be used: ``field`` (``match.vendor``) and what is wrong with it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    @property
    def rule(self) -> str:
        """JSON pointer of the broken rule in specs/admin.yaml."""
        section, _, rest = self.field.partition(".")
        schema = _SCHEMAS.get(section)
        if schema is None:
            return "#/components/schemas/FaultRule"
        prop = rest.split(".", 1)[0]
        return f"#/components/schemas/{schema}" + (f"/properties/{prop}" if prop and section != "effect" else "")


@dataclass(frozen=True)
class Match:
    operations: frozenset[tuple[str, str]]  # (vendor, operationId) the rule may hit
    path: re.Pattern[str] | None  # the glob, compiled; None matches every path
    webhooks: frozenset[tuple[str, str]] = frozenset()  # (vendor, webhook) the rule may hit; none for calls

    def selects(self, vendor: str, operation_id: str, path: str) -> bool:
        return (vendor, operation_id) in self.operations and (self.path is None or self.path.match(path) is not None)


@dataclass(frozen=True)
class When:
    calls: frozenset[int] | None = None
    first: int | None = None
    every: int | None = None
    probability: float | None = None
    after: float | None = None  # epoch seconds on the namespace clock
    until: float | None = None
    times: int | None = None


@dataclass(frozen=True)
class StatusEffect:
    status: int
    retry_after: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: Any = None
    has_body: bool = False
    undeclared: bool = False


@dataclass(frozen=True)
class LatencyEffect:
    fixed_ms: float | None = None
    low_ms: float | None = None
    high_ms: float | None = None
    median_ms: float | None = None
    sigma: float | None = None


@dataclass(frozen=True)
class DisconnectEffect:
    mode: str


@dataclass(frozen=True)
class SlowBodyEffect:
    chunks: int
    ms: float


Effect = StatusEffect | LatencyEffect | DisconnectEffect | SlowBodyEffect | WebhookEffect


@dataclass(frozen=True)
class RuleSpec:
    match: Match
    when: When
    effect: Effect
    document: dict[str, Any]  # the rule as it is shown back: {"match", "when", "effect"}


def parse_rule(data: Any, catalog: Catalog, webhooks: Webhooks | None = None) -> RuleSpec:
    """The checked rule, or :class:`RuleError` naming the first problem. ``webhooks``: what vendors declare."""
    if not isinstance(data, dict):
        raise RuleError("rule", f"must be an object with match, when and effect, not {_kind(data)}")
    _only(data, ("match", "when", "effect"), "rule")
    if "effect" not in data:
        raise RuleError("effect", "is required: one of " + ", ".join(EFFECTS))
    match_doc = _object(data.get("match", {}), "match")
    when_doc = _object(data.get("when", {}), "when")
    effect_doc = _object(data["effect"], "effect")
    if "webhook" in match_doc or "webhook" in effect_doc:
        try:
            return _webhook_rule(match_doc, when_doc, effect_doc, catalog, webhooks or {})
        except WebhookRuleError as error:
            raise RuleError(error.field, error.message) from None
    selected = _selected_operations(match_doc, catalog)
    pattern = _glob(match_doc)
    effect = _effect(effect_doc)
    when = _when(when_doc)
    if isinstance(effect, StatusEffect) and not effect.undeclared:
        _check_declared(effect.status, _reachable(selected, pattern, match_doc.get("path")))
        # The glob is only judged approximately above: an operation it reaches that lacks the status
        # is never hit, so an injected answer stays within the spec.
        selected = [(vendor, op) for vendor, op in selected if _declares(op, effect.status)]
    shown_match = dict(match_doc)
    if "method" in shown_match:
        shown_match["method"] = shown_match["method"].upper()
    return RuleSpec(
        match=Match(frozenset((vendor, op.operation_id) for vendor, op in selected), pattern),
        when=when, effect=effect,
        document={"match": shown_match, "when": dict(when_doc), "effect": dict(effect_doc)},
    )


def _webhook_rule(match_doc: dict[str, Any], when_doc: dict[str, Any], effect_doc: dict[str, Any],
                  catalog: Catalog, webhooks: Webhooks) -> RuleSpec:
    """A rule acting on deliveries: match.webhook and a webhook effect, always together."""
    _only(match_doc, ("vendor", "webhook", "operation", "method", "path"), "match")
    vendors = [_vendor(match_doc, catalog)] if "vendor" in match_doc else list(catalog)
    targets = webhook_targets(match_doc, effect_doc, vendors, webhooks)
    return RuleSpec(match=Match(frozenset(), None, targets), when=_when(when_doc), effect=_effect(effect_doc),
                    document={"match": dict(match_doc), "when": dict(when_doc), "effect": dict(effect_doc)})


# --- match --------------------------------------------------------------------------------------


def _selected_operations(doc: dict[str, Any], catalog: Catalog) -> list[tuple[str, Operation]]:
    _only(doc, ("vendor", "operation", "method", "path"), "match")
    vendors = list(catalog)
    if "vendor" in doc:
        vendors = [_vendor(doc, catalog)]
    candidates = [(vendor, op) for vendor in vendors for op in catalog[vendor]]
    if "operation" in doc:
        wanted = _operation_ids(doc["operation"])
        known = {op.operation_id for _, op in candidates}
        unknown = [name for name in wanted if name not in known]
        if unknown:
            scope = f"of vendor {doc['vendor']!r}" if "vendor" in doc else "of any vendor"
            raise RuleError("match.operation", f"unknown operationId {unknown[0]!r} ({scope})")
        candidates = [(vendor, op) for vendor, op in candidates if op.operation_id in wanted]
    if "method" in doc:
        method = _text(doc["method"], "match.method", 8).upper()
        if method not in METHODS:
            raise RuleError("match.method", f"must be one of {', '.join(METHODS)}")
        candidates = [(vendor, op) for vendor, op in candidates if op.method == method]
    if not candidates:
        raise RuleError("match", "selects no operation (check vendor, operation and method together)")
    return candidates


def _vendor(doc: dict[str, Any], catalog: Catalog) -> str:
    vendor = _text(doc["vendor"], "match.vendor", MAX_ID_CHARS)
    if vendor not in catalog:
        raise RuleError("match.vendor", f"unknown vendor {vendor!r}; known: {', '.join(catalog)}")
    return vendor


def _reachable(candidates: list[tuple[str, Operation]], pattern: re.Pattern[str] | None,
               glob: str | None) -> list[tuple[str, Operation]]:
    """The operations whose declared statuses must allow a status effect.

    A glob is matched against request paths, not templates: an operation is kept when the glob
    matches its template or its template routes the glob's text. When the glob names concrete ids
    no template shows, every candidate stays (the stricter check).
    """
    if pattern is None or glob is None:
        return candidates
    reachable = [(vendor, op) for vendor, op in candidates
                 if pattern.match(op.path) or _template(op.path).fullmatch(glob)]
    return reachable or candidates


def _template(path: str) -> re.Pattern[str]:
    """A spec path as a pattern of the concrete paths it routes (``{id}`` is one segment)."""
    return re.compile(_PARAM.sub("[^/]+", re.escape(path).replace(r"\{", "{").replace(r"\}", "}")))


def _operation_ids(value: Any) -> set[str]:
    if isinstance(value, str):
        return {_text(value, "match.operation", MAX_ID_CHARS)}
    if not isinstance(value, list) or not value:
        raise RuleError("match.operation", f"must be an operationId or a non-empty list of them, not {_kind(value)}")
    if len(value) > MAX_OPERATIONS:
        raise RuleError("match.operation", f"at most {MAX_OPERATIONS} operationIds")
    return {_text(item, f"match.operation.{i}", MAX_ID_CHARS) for i, item in enumerate(value)}


def _glob(doc: dict[str, Any]) -> re.Pattern[str] | None:
    if "path" not in doc:
        return None
    glob = _text(doc["path"], "match.path", MAX_PATH_CHARS)
    # fnmatch's translation matches in linear time (no nested quantifiers); '*' also crosses '/'.
    return re.compile(fnmatch.translate(glob))


def _check_declared(status: int, selected: list[tuple[str, Operation]]) -> None:
    lacking = [op.operation_id for _, op in selected if not _declares(op, status)]
    if not lacking:
        return
    common = set.intersection(*({int(s) for s in op.responses if s.isdigit() and int(s) >= 400}
                                for _, op in selected))
    names = ", ".join(lacking[:5]) + (f" and {len(lacking) - 5} more" if len(lacking) > 5 else "")
    declared = ", ".join(map(str, sorted(common))) or "none"
    raise RuleError("effect.status", f"{status} is not declared by {names}; the matched operations declare "
                                     f"{declared}; add \"undeclared\": true to send it anyway")


def _declares(op: Operation, status: int) -> bool:
    return str(status) in op.responses or f"{str(status)[0]}XX" in op.responses or "default" in op.responses


# --- when ---------------------------------------------------------------------------------------


def _when(doc: dict[str, Any]) -> When:
    _only(doc, ("calls", "first", "every", "probability", "after", "until", "times"), "when")
    calls = None
    if "calls" in doc:
        raw = doc["calls"]
        if not isinstance(raw, list) or not raw:
            raise RuleError("when.calls", f"must be a non-empty list of call numbers (from 1), not {_kind(raw)}")
        if len(raw) > MAX_CALLS:
            raise RuleError("when.calls", f"at most {MAX_CALLS} call numbers")
        calls = frozenset(_count(item, f"when.calls.{i}") for i, item in enumerate(raw))
    probability = None
    if "probability" in doc:
        probability = _number(doc["probability"], "when.probability", 0, 1)
    after = _instant(doc, "after")
    until = _instant(doc, "until")
    if after is not None and until is not None and not after < until:
        raise RuleError("when.until", "must be later than when.after")
    return When(calls=calls, first=_optional_count(doc, "first"), every=_optional_count(doc, "every"),
                probability=probability, after=after, until=until, times=_optional_count(doc, "times"))


def _optional_count(doc: dict[str, Any], name: str) -> int | None:
    return _count(doc[name], f"when.{name}") if name in doc else None


def _count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
        raise RuleError(field, f"must be an integer from 1 to {MAX_COUNT}, not {_show(value)}")
    return value


def _instant(doc: dict[str, Any], name: str) -> float | None:
    if name not in doc:
        return None
    text = _text(doc[name], f"when.{name}", MAX_INSTANT_CHARS)
    try:
        return parse_instant(text).timestamp()
    except (ValueError, OverflowError) as error:
        raise RuleError(f"when.{name}", f"not an ISO 8601 instant ({error})") from None


# --- effect -------------------------------------------------------------------------------------


def _effect(doc: dict[str, Any]) -> Effect:
    kinds = [name for name in EFFECTS if name in doc]
    if len(kinds) != 1:
        raise RuleError("effect", f"must have exactly one of {', '.join(EFFECTS)}"
                                  + (f" (got {', '.join(kinds)})" if kinds else ""))
    kind = kinds[0]
    extras = [name for name in doc if name != kind]
    if kind not in ("status", "webhook") and extras:
        raise RuleError(f"effect.{extras[0]}", f"goes with a status effect only, not with {kind}")
    if kind == "status":
        return _status(doc)
    if kind == "webhook":  # only in a webhook rule, whose parsing turns WebhookRuleError into RuleError
        return parse_webhook_effect(doc)
    if kind == "latency":
        return _latency(doc["latency"])
    if kind == "disconnect":
        mode = doc["disconnect"]
        if mode not in DISCONNECTS:
            raise RuleError("effect.disconnect", f"must be one of {', '.join(DISCONNECTS)}, not {_show(mode)}")
        return DisconnectEffect(mode)
    return _slow_body(doc["slow_body"])


def _status(doc: dict[str, Any]) -> StatusEffect:
    _only(doc, ("status", *STATUS_EXTRAS), "effect")
    status = doc["status"]
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise RuleError("effect.status", f"must be an error status from 400 to 599, not {_show(status)}")
    retry_after = None
    if "retry_after" in doc:
        retry_after = doc["retry_after"]
        if isinstance(retry_after, bool) or not isinstance(retry_after, int) or not 0 <= retry_after <= MAX_RETRY_AFTER:
            raise RuleError("effect.retry_after", f"must be whole seconds from 0 to {MAX_RETRY_AFTER}, "
                                                  f"not {_show(retry_after)}")
    undeclared = doc.get("undeclared", False)
    if not isinstance(undeclared, bool):
        raise RuleError("effect.undeclared", f"must be true or false, not {_show(undeclared)}")
    has_body = "body" in doc
    if has_body and len(orjson.dumps(doc["body"])) > MAX_BODY_BYTES:
        raise RuleError("effect.body", f"is larger than {MAX_BODY_BYTES} bytes as JSON")
    headers = _headers(doc.get("headers", {}), has_body)
    return StatusEffect(status, retry_after, headers, doc.get("body"), has_body, undeclared)


def _headers(raw: Any, has_body: bool) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise RuleError("effect.headers", f"must be an object of header names and values, not {_kind(raw)}")
    if len(raw) > MAX_HEADERS:
        raise RuleError("effect.headers", f"at most {MAX_HEADERS} headers")
    found = []
    for name, value in raw.items():
        if not (len(name) <= MAX_HEADER_NAME and _TOKEN.fullmatch(name)):
            raise RuleError("effect.headers", f"{name[:40]!r} is not a header name (letters, digits, !#$%&'*+-.^_`|~; "
                                              f"at most {MAX_HEADER_NAME})")
        if name.lower() in _FRAMING:
            raise RuleError(f"effect.headers.{name}", "is set by the server (it frames the answer)")
        if name.lower() == "content-type" and not has_body:
            raise RuleError(f"effect.headers.{name}", "goes with a body only (the vendor's error body is JSON)")
        if not (isinstance(value, str) and len(value) <= MAX_HEADER_VALUE and _FIELD_VALUE.fullmatch(value)):
            raise RuleError(f"effect.headers.{name}", f"must be a string of at most {MAX_HEADER_VALUE} Latin-1 "
                                                      "characters without control characters")
        found.append((name, value))
    return tuple(found)


def _latency(raw: Any) -> LatencyEffect:
    field = "effect.latency"
    if isinstance(raw, list):
        if len(raw) != 2:
            raise RuleError(field, "a range is [low, high] in milliseconds")
        low = _number(raw[0], f"{field}.0", 0, MAX_LATENCY_MS)
        high = _number(raw[1], f"{field}.1", 0, MAX_LATENCY_MS)
        if low > high:
            raise RuleError(field, f"low ({low:g}) must not exceed high ({high:g})")
        return LatencyEffect(low_ms=low, high_ms=high)
    if isinstance(raw, dict):
        _only(raw, ("median", "sigma"), field)
        if "median" not in raw or "sigma" not in raw:
            raise RuleError(field, "a lognormal delay needs both median (ms) and sigma")
        median = _number(raw["median"], f"{field}.median", 0, MAX_LATENCY_MS)
        if median <= 0:
            raise RuleError(f"{field}.median", "must be more than 0 ms")
        return LatencyEffect(median_ms=median, sigma=_number(raw["sigma"], f"{field}.sigma", 0, MAX_SIGMA))
    return LatencyEffect(fixed_ms=_number(raw, field, 0, MAX_LATENCY_MS))


def _slow_body(raw: Any) -> SlowBodyEffect:
    doc = _object(raw, "effect.slow_body")
    _only(doc, ("chunks", "ms"), "effect.slow_body")
    if "chunks" not in doc or "ms" not in doc:
        raise RuleError("effect.slow_body", "needs chunks (how many pieces) and ms (over how long)")
    chunks = doc["chunks"]
    if isinstance(chunks, bool) or not isinstance(chunks, int) or not 1 <= chunks <= MAX_CHUNKS:
        raise RuleError("effect.slow_body.chunks", f"must be an integer from 1 to {MAX_CHUNKS}, not {_show(chunks)}")
    return SlowBodyEffect(chunks, _number(doc["ms"], "effect.slow_body.ms", 0, MAX_LATENCY_MS))


# --- small checks -------------------------------------------------------------------------------


def _only(doc: dict[str, Any], allowed: tuple[str, ...], field: str) -> None:
    for key in doc:
        if key not in allowed:
            raise RuleError(f"{field}.{str(key)[:40]}" if field != "rule" else str(key)[:40],
                            f"unknown key; allowed: {', '.join(allowed)}")


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RuleError(field, f"must be an object, not {_kind(value)}")
    return value


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        raise RuleError(field, f"must be a string of 1 to {limit} characters, not {_show(value)}")
    return value


def _number(value: Any, field: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not low <= value <= high:
        raise RuleError(field, f"must be a number from {low:g} to {high:g}, not {_show(value)}")
    return float(value)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
