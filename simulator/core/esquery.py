"""Elasticsearch bool queries in filter context: parsed against a mapping, evaluated two ways.

Every node answers :meth:`Node.matches` on one analysed document (a linear scan, the reference
semantics) and :meth:`Node.select` / :meth:`Node.refine` on an index (the fast path); the two must
agree, and the tests check that they do. The semantics are Elasticsearch's:

- ``term`` is not analysed: on a text field it compares with the field's tokens; ``terms`` is any of
  several terms; on numbers, dates and booleans both compare values (``"1"`` matches ``1``), and a
  date that leaves out components covers the whole period (``"2020-10-08"`` is that day).
- ``match`` analyses the query like the field (text: the standard analyzer; keyword: the whole value);
  ``operator`` (or/and) and ``minimum_should_match`` decide how many tokens a document needs.
  ``match_phrase`` needs the tokens next to each other in one value.
- ``range`` (gt/gte/lt/lte; date math with ``now``), ``prefix``, ``exists``, nested ``bool``.
- ``bool``: ``must``/``filter`` all, ``must_not`` none, ``should`` at least ``minimum_should_match``
  (default 1 when there are should clauses). A field no document has matches nothing.
- Anything else is a :class:`QueryError` naming the clause: nothing is silently ignored.
"""

from __future__ import annotations

import dataclasses
import re
import struct
from dataclasses import dataclass
from typing import Any

from simulator.core.esdates import DateError, parse_date
from simulator.core.esfields import (
    BOOLEAN,
    DATE,
    DOUBLE,
    KEYWORD,
    NUMERIC,
    TEXT,
    Analyzed,
    Mapping,
    analyze_text,
    keyword_value,
    to_boolean,
    to_number,
)
from simulator.core.esnodes import (
    AllNode,
    BoolNode,
    ExistsNode,
    MatchNode,
    Node,
    NoneNode,
    PhraseNode,
    PrefixNode,
    RangeNode,
    TermsNode,
)
from simulator.core.jsonlimits import excerpt

__all__ = ["Analyzed", "Node", "QueryError", "min_should_match", "parse_filter", "parse_query"]

QUERY_TYPES = ("bool", "term", "terms", "match", "match_phrase", "range", "prefix", "exists", "match_all",
               "match_none")
BOOL_KEYS = ("must", "filter", "should", "must_not", "minimum_should_match", "boost")
_INTEGER = re.compile(r"^[+-]?\d+$")
_MSM_PART = re.compile(r"^-?\d+%?$")
_MSM_BOUND = re.compile(r"^\d+$")
MAX_BOOL_DEPTH = 20  # Elasticsearch's indices.query.bool.max_nested_depth
MAX_MSM_CHARS = 200  # "2<-25% 9<-3" is eleven
_FLOAT32_HUNDREDTH = struct.unpack("f", struct.pack("f", 1 / 100))[0]


class QueryError(ValueError):
    """A query Elasticsearch would refuse, or one the simulator does not support; names the clause."""


@dataclass
class Findings:
    """What parsing a query learned besides the query: the fields it names (in order, repeats kept out)
    and why some of its clauses can match nothing although the query is valid."""

    fields: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    def saw(self, path: str) -> None:
        if path not in self.fields:
            self.fields.append(path)


@dataclass(frozen=True)
class Context:
    mapping: Mapping
    now_ms: int  # `now` in date math
    findings: Findings


def parse_filter(body: Any, mapping: Mapping, now_ms: int, where: str = "filter_by",
                 findings: Findings | None = None) -> Node:
    """A ``bool`` query body (``{"must": [...], "should": [...], ...}``) as a node."""
    return _bool(body, Context(mapping, now_ms, findings or Findings()), where, 1)


def parse_query(clause: Any, mapping: Mapping, now_ms: int, where: str = "query",
                findings: Findings | None = None) -> Node:
    """One query clause (``{"term": {...}}``) as a node."""
    return _clause(clause, Context(mapping, now_ms, findings or Findings()), where, 0)


def min_should_match(optional: int, spec: Any, where: str) -> int:
    """Elasticsearch's minimum_should_match: 3, -2, "75%", "-25%", "3<90%", "2<-25% 9<-3"."""
    if isinstance(spec, bool) or not isinstance(spec, int | str):
        raise QueryError(f"{where}: minimum_should_match must be an integer or a string like '75%'")
    text = str(spec).strip()
    try:
        if len(text) > MAX_MSM_CHARS:
            raise ValueError(text)
        if "<" in text:
            result = optional
            for bound, rule in _conditions(text):
                if optional <= bound:
                    return result
                result = _simple_should_match(optional, rule)
            return result
        return _simple_should_match(optional, text)
    except (ValueError, OverflowError):
        raise QueryError(f"{where}: minimum_should_match {excerpt(str(spec))!r} is not a valid specification") from None


def _conditions(text: str) -> list[tuple[int, str]]:
    """``"2<-25% 9<-3"`` as ``[(2, "-25%"), (9, "-3")]``, spaces allowed around ``<``; split, never backtracked."""
    pieces = [piece.split() for piece in text.split("<")]
    # pieces: [bound], [rule, bound], ..., [rule]
    if len(pieces[0]) != 1 or len(pieces[-1]) != 1 or any(len(middle) != 2 for middle in pieces[1:-1]):
        raise ValueError(text)
    bounds = [pieces[0][0]] + [middle[1] for middle in pieces[1:-1]]
    rules = [middle[0] for middle in pieces[1:-1]] + [pieces[-1][0]]
    if not all(_MSM_BOUND.match(bound) for bound in bounds):
        raise ValueError(text)
    return [(int(bound), rule) for bound, rule in zip(bounds, rules, strict=True)]


def _simple_should_match(optional: int, text: str) -> int:
    if not _MSM_PART.match(text):
        raise ValueError(text)
    if text.endswith("%"):
        # Elasticsearch multiplies in single precision: 7 clauses at 70% need 4, not 5.
        computed = float(struct.unpack("f", struct.pack("f", optional * int(text[:-1])))[0] * _FLOAT32_HUNDREDTH)
        computed = struct.unpack("f", struct.pack("f", computed))[0]
        result = optional + int(computed) if computed < 0 else int(computed)
    else:
        value = int(text)
        result = optional + value if value < 0 else value
    return max(result, 0)


def _object(value: Any, where: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise QueryError(f"{where}: {what} must be a JSON object, got {type(value).__name__}")
    return value


def _bool(body: Any, ctx: Context, where: str, depth: int) -> Node:
    if depth > MAX_BOOL_DEPTH:
        # Checked before looking inside: however deep the input, parsing stops here, far from the stack's end.
        raise QueryError(f"{excerpt(where, 120)}: bool queries are nested more than {MAX_BOOL_DEPTH} levels deep "
                         f"(the limit is {MAX_BOOL_DEPTH}, as Elasticsearch's indices.query.bool.max_nested_depth)")
    body = _object(body, where, "a bool query")
    unknown = [key for key in body if key not in BOOL_KEYS]
    if unknown:
        raise QueryError(f"{where}: [bool] query does not support [{unknown[0]}]; use {', '.join(BOOL_KEYS[:4])}")
    _boost(body.get("boost", 1), f"{where}.boost")
    groups: dict[str, list[Node]] = {}
    for key in ("must", "filter", "should", "must_not"):
        raw = body.get(key, [])
        items = raw if isinstance(raw, list) else [raw]
        groups[key] = [_clause(item, ctx, f"{where}.{key}[{i}]", depth) for i, item in enumerate(items)]
    should = groups["should"]
    required = groups["must"] + groups["filter"]
    if "minimum_should_match" in body and body["minimum_should_match"] is not None:
        needed = min_should_match(len(should), body["minimum_should_match"], f"{where}.minimum_should_match")
    else:
        needed = 1 if should else 0  # filter context: should clauses are not optional
    if should and not required:
        needed = max(needed, 1)  # without required clauses a document must match some should clause
    return BoolNode(required, should, groups["must_not"], needed)


def _boost(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QueryError(f"{where}: boost must be a number")


def _clause(clause: Any, ctx: Context, where: str, depth: int) -> Node:
    clause = _object(clause, where, "a query clause")
    if len(clause) != 1:
        found = ", ".join(map(str, clause)) or "nothing"
        raise QueryError(f"{where}: a query clause holds exactly one query type, found {found}")
    [(kind, body)] = clause.items()
    where = f"{where}.{kind}"
    if kind == "bool":
        return _bool(body, ctx, where, depth + 1)
    if kind in ("match_all", "match_none"):
        params = _params(_object(body, where, kind), ("boost",), where)
        _boost(params.get("boost", 1), where)
        return AllNode() if kind == "match_all" else NoneNode()
    if kind == "exists":
        params = _params(_object(body, where, kind), ("field", "boost"), where)
        field = params.get("field")
        if not isinstance(field, str) or not field:
            raise QueryError(f"{where}.field: name the field whose presence is required")
        if "*" in field:
            raise QueryError(f"{where}.field: wildcard field names are not supported")
        ctx.findings.saw(field)
        spec = ctx.mapping.field(field)
        if spec is None and not ctx.mapping.is_object(field):
            return NoneNode()
        return ExistsNode(field, object_path=spec is None)
    builder = _LEAVES.get(kind)
    if builder is None:
        raise QueryError(f"{where}: unsupported query type [{kind}]; supported: {', '.join(QUERY_TYPES)}")
    body = _object(body, where, kind)
    fields = [key for key in body if not (kind == "terms" and key == "boost")]
    if len(fields) != 1:
        raise QueryError(f"{where}: [{kind}] takes exactly one field, found {len(fields)}")
    field = fields[0]
    if "*" in field or not field:
        raise QueryError(f"{where}: field names must be given in full, without wildcards")
    ctx.findings.saw(field)
    return builder(ctx, field, body[field], f"{where}.{field}", body)


def _params(body: dict[str, Any], allowed: tuple[str, ...], where: str) -> dict[str, Any]:
    for key in body:
        if key not in allowed:
            raise QueryError(f"{where}: parameter [{key}] is not supported (supported: {', '.join(allowed)})")
    return body


def _scalar(value: Any, where: str) -> Any:
    if value is None:
        raise QueryError(f"{where}: value cannot be null")
    if not isinstance(value, str | int | float | bool):
        raise QueryError(f"{where}: expected a string, number or boolean, got {type(value).__name__}")
    return value


def _typed(ctx: Context, field: str, value: Any, where: str, round_up: bool = False) -> Any:
    """A query value converted to the field's type (keyword and text values are not analysed here)."""
    spec = ctx.mapping.field(field)
    assert spec is not None
    try:
        if spec.type in (KEYWORD, TEXT):
            return keyword_value(value)
        if spec.type == BOOLEAN:
            return to_boolean(value)
        if spec.type == DATE:
            if isinstance(value, bool):
                raise ValueError(f"{value!r} is not a date")
            if isinstance(value, int | float):
                return int(value)
            return parse_date(str(value), round_up, ctx.now_ms)
        return _number(value)
    except (ValueError, DateError) as error:
        raise QueryError(f"{where}: field {field!r} is a {spec.type} field: {error}") from None


def _number(value: Any) -> int | float:
    """A query number: integers stay exact; a fraction on a long field then simply matches no value."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        return int(value)
    return to_number(value, DOUBLE)


def _equals(ctx: Context, field: str, value: Any, where: str, case_insensitive: bool = False) -> Node:
    """Documents holding exactly this value (a token, for text fields)."""
    spec = ctx.mapping.field(field)
    if spec is None:
        return NoneNode()
    if spec.type in NUMERIC:
        low, high = _typed(ctx, field, value, where), _typed(ctx, field, value, where, round_up=True)
        return RangeNode(field, low, True, high, True, numeric=True)
    typed = _typed(ctx, field, value, where)
    if case_insensitive and isinstance(typed, str):
        return TermsNode(field, frozenset({typed.lower()}), spec.type == TEXT, case_insensitive=True)
    return TermsNode(field, frozenset({typed}), spec.type == TEXT)


def _value_and_case(raw: Any, where: str, require: str | None = None) -> tuple[Any, bool]:
    """A term-level clause's value, given bare or as ``{"value", "boost", "case_insensitive"}``."""
    if not isinstance(raw, dict):
        return raw, False
    params = _params(raw, ("value", "boost", "case_insensitive"), where)
    _boost(params.get("boost", 1), f"{where}.boost")
    insensitive = params.get("case_insensitive", False)
    if not isinstance(insensitive, bool):
        raise QueryError(f"{where}.case_insensitive must be true or false")
    if require and "value" not in params:
        raise QueryError(f"{where}: [{require}] needs a value")
    return params.get("value"), insensitive


def _term(ctx: Context, field: str, raw: Any, where: str, _body: dict[str, Any]) -> Node:
    value, insensitive = _value_and_case(raw, where, require="term")
    return _equals(ctx, field, _scalar(value, f"{where}.value"), where, insensitive)


def _terms(ctx: Context, field: str, raw: Any, where: str, body: dict[str, Any]) -> Node:
    _boost(body.get("boost", 1), f"{where}.boost")
    if not isinstance(raw, list):
        raise QueryError(f"{where}: [terms] needs an array of values (terms lookup is not supported)")
    if len(raw) > 65_536:
        raise QueryError(f"{where}: at most 65536 terms")
    nodes = [_equals(ctx, field, _scalar(value, f"{where}[{i}]"), f"{where}[{i}]") for i, value in enumerate(raw)]
    if nodes and all(isinstance(node, TermsNode) for node in nodes):
        first = nodes[0]
        assert isinstance(first, TermsNode)
        values = frozenset().union(*(node.values for node in nodes if isinstance(node, TermsNode)))
        return TermsNode(field, values, first.text)
    return BoolNode([], nodes, [], 1) if nodes else NoneNode()


def _match_params(raw: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    params = _params(raw, allowed, where) if isinstance(raw, dict) else {"query": raw}
    _boost(params.get("boost", 1), f"{where}.boost")
    if "query" not in params:
        raise QueryError(f"{where}: [match] needs a query")
    params["query"] = _scalar(params["query"], f"{where}.query")
    zero = params.get("zero_terms_query", "none")
    if not isinstance(zero, str) or zero.lower() not in ("none", "all"):
        raise QueryError(f"{where}.zero_terms_query must be none or all")
    return params


def _match(ctx: Context, field: str, raw: Any, where: str, _body: dict[str, Any]) -> Node:
    params = _match_params(raw, where, ("query", "operator", "minimum_should_match", "zero_terms_query", "boost"))
    operator = params.get("operator", "or")
    if not isinstance(operator, str) or operator.lower() not in ("or", "and"):
        raise QueryError(f"{where}.operator must be or / and")
    spec = ctx.mapping.field(field)
    if spec is None:
        return NoneNode()
    if spec.term_only:
        return _term_only(ctx, field, "match")
    if spec.type != TEXT:  # keyword: the whole value; numbers, dates, booleans: the value
        if "minimum_should_match" in params:
            min_should_match(1, params["minimum_should_match"], f"{where}.minimum_should_match")
        return _equals(ctx, field, params["query"], where)
    tokens = analyze_text(keyword_value(params["query"]))
    if not tokens:
        return AllNode() if str(params.get("zero_terms_query", "none")).lower() == "all" else NoneNode()
    if operator.lower() == "and":
        needed = len(tokens)
    elif "minimum_should_match" in params:
        needed = min_should_match(len(tokens), params["minimum_should_match"], f"{where}.minimum_should_match")
        needed = max(needed, 1) if len(tokens) > 1 else 1  # a single term ignores it, as in Elasticsearch
    else:
        needed = 1
    return MatchNode(field, tuple(tokens), needed)


def _match_phrase(ctx: Context, field: str, raw: Any, where: str, _body: dict[str, Any]) -> Node:
    params = _match_params(raw, where, ("query", "slop", "zero_terms_query", "boost"))
    if params.get("slop", 0) != 0:
        raise QueryError(f"{where}.slop: only exact phrases (slop 0) are supported")
    spec = ctx.mapping.field(field)
    if spec is None:
        return NoneNode()
    if spec.term_only:
        return _term_only(ctx, field, "match_phrase")
    if spec.type != TEXT:
        return _equals(ctx, field, params["query"], where)
    tokens = analyze_text(keyword_value(params["query"]))
    if not tokens:
        return AllNode() if str(params.get("zero_terms_query", "none")).lower() == "all" else NoneNode()
    return PhraseNode(field, tuple(tokens)) if len(tokens) > 1 else MatchNode(field, tuple(tokens), 1)


def _term_only(ctx: Context, field: str, kind: str) -> Node:
    """A field the mapping declares term-only (a vendor's ID fields): full-text queries find nothing on it."""
    ctx.findings.notes.append(f"[{kind}] on {field!r} finds nothing: it is an ID field, searched only with term "
                              f"(or terms, range, prefix); use {{\"term\": {{\"{field}\": ...}}}}")
    return NoneNode()


def _range(ctx: Context, field: str, raw: Any, where: str, _body: dict[str, Any]) -> Node:
    params = _params(_object(raw, where, "a range"), ("gt", "gte", "lt", "lte", "boost"), where)
    _boost(params.get("boost", 1), f"{where}.boost")
    spec = ctx.mapping.field(field)
    if spec is None:
        return NoneNode()
    low: Any = None
    high: Any = None
    low_inclusive = high_inclusive = True
    for key, value in params.items():  # a later bound replaces an earlier one, as in Elasticsearch
        if key == "boost" or value is None:
            continue
        value = _scalar(value, f"{where}.{key}")
        if key in ("gt", "gte"):
            low, low_inclusive = _typed(ctx, field, value, f"{where}.{key}", round_up=key == "gt"), key == "gte"
        else:
            high, high_inclusive = _typed(ctx, field, value, f"{where}.{key}", round_up=key == "lte"), key == "lte"
    if spec.type == TEXT:
        # A range on a text field compares its tokens with the bounds as given (not analysed).
        return RangeNode(field, low, low_inclusive, high, high_inclusive, numeric=False, text=True)
    return RangeNode(field, low, low_inclusive, high, high_inclusive, numeric=spec.type in NUMERIC)


def _prefix(ctx: Context, field: str, raw: Any, where: str, _body: dict[str, Any]) -> Node:
    raw, insensitive = _value_and_case(raw, where)
    value = _scalar(raw, f"{where}.value")
    spec = ctx.mapping.field(field)
    if spec is None:
        return NoneNode()
    if spec.type not in (KEYWORD, TEXT):
        raise QueryError(f"{where}: field {field!r} is a {spec.type} field; prefix works on keyword and text fields")
    text = keyword_value(value)
    return PrefixNode(field, text.lower() if insensitive else text, spec.type == TEXT, insensitive)


_LEAVES = {"term": _term, "terms": _terms, "match": _match, "match_phrase": _match_phrase, "range": _range,
           "prefix": _prefix}
