"""Request and response checks against an operation of the spec, with jsonschema-rs.

Query, path and header values arrive as strings; they are coerced to the type the schema asks for
(``"2"`` and ``"2.0"`` to an integer, ``"true"`` to a boolean) before validation, and left as they
were when they do not convert, so the violation names the real problem. Each violation carries the
request location (``query.page``, ``body.session_request.remote_session.title``) and the rule as a
JSON pointer into the spec.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from simulator.core.errors import Violation
from simulator.core.jsonlimits import MAX_DEPTH, excerpt, nesting_exceeds
from simulator.core.spec import Operation, Parameter, Spec, escape_pointer

# Anchored with fullmatch and free of nested quantifiers over the same characters: linear in the input.
_INTEGER = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
MAX_NUMBER_CHARS = 40  # longer text is no number a vendor accepts (and int() refuses 4,300+ digits)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MESSAGE_CHARS = 240
MAX_VIOLATIONS = 50  # a body breaking a rule in each of 100k array items is told about the first 50
_ABSOLUTE_ROOTS = frozenset({"components", "paths", "$defs", "definitions", "webhooks"})


@dataclass
class CheckedRequest:
    params: dict[str, Any]  # by name, coerced; absent optional parameters are missing
    body: Any
    violations: list[Violation]
    invalid_optional: list[str] = field(default_factory=list)  # optional parameters whose value broke the spec
    unusable: bool = False  # even a lenient server cannot serve it (a body nested too deep, a huge required number)


def _schema_types(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return set(declared)
    return set()


class OutOfRange(ValueError):
    """A parameter that spells an integer outside what the schema (or a 64-bit integer) allows."""


def _integer_bounds(schema: Mapping[str, Any]) -> tuple[int | float, int | float]:
    low, high = schema.get("minimum", INT64_MIN), schema.get("maximum", INT64_MAX)
    return max(low, INT64_MIN), min(high, INT64_MAX)


def _out_of_range(schema: Mapping[str, Any]) -> OutOfRange:
    low, high = _integer_bounds(schema)
    return OutOfRange(f"must be an integer from {int(low)} to {int(high)}")


def _number(raw: str) -> int | float | None:
    """The number ``raw`` spells (finite), or None. At most :data:`MAX_NUMBER_CHARS` are looked at."""
    if len(raw) > MAX_NUMBER_CHARS:
        return None
    if _INTEGER.fullmatch(raw):
        return int(raw)
    if _FLOAT.fullmatch(raw):
        value = float(raw)
        return value if math.isfinite(value) else None
    return None


def coerce_scalar(raw: str, schema: Mapping[str, Any]) -> Any:
    """Turn a string into the schema's scalar type when it converts cleanly; else return it as is.

    Raises :class:`OutOfRange` for an integer beyond 64 bits (however many digits it has), so the
    answer names the limit instead of failing later.
    """
    types = _schema_types(schema)
    if "string" in types or not types:
        return raw
    if "integer" in types or "number" in types:
        number = _number(raw)
        if number is None and "integer" in types and len(raw) > MAX_NUMBER_CHARS and raw.lstrip("+-").isdigit():
            raise _out_of_range(schema)
        if number is not None:
            if "integer" in types and (isinstance(number, int) or number.is_integer()):  # clients send 2.0 for 2
                whole = int(number)
                if not INT64_MIN <= whole <= INT64_MAX:
                    raise _out_of_range(schema)
                return whole
            if "number" in types:
                return number
    if "boolean" in types and raw in ("true", "false"):
        return raw == "true"
    if "null" in types and raw in ("", "null"):
        return None
    return raw


def _coerce_parameter(param: Parameter, raw_values: list[str]) -> Any:
    if param.is_array:
        items = param.schema.get("items", {})
        values: list[str] = []
        for raw in raw_values:
            values.extend(raw.split(",") if len(raw_values) == 1 else [raw])
        return [coerce_scalar(value, items) for value in values]
    return coerce_scalar(raw_values[-1], param.schema)


def _location(prefix: str, instance_path: Iterable[Any]) -> str:
    parts = [str(part) for part in instance_path]
    return ".".join([prefix, *parts]) if parts else prefix


def _field(where: str, error: Any) -> str:
    """The request location of an error; a missing property is named itself, not its parent."""
    path = list(error.instance_path)
    if type(error.kind).__name__ == "Required":
        path.append(error.kind.property)
    return _location(where, path)


def _rule(base_pointer: str, schema_path: Iterable[Any]) -> str:
    parts = [escape_pointer(str(part)) for part in schema_path]
    if parts and parts[0] in _ABSOLUTE_ROOTS:  # jsonschema-rs reports paths through $ref from the root
        return "#/" + "/".join(parts)
    return "/".join([base_pointer, *parts])


class Validator:
    """Checks requests (and optionally responses) of one spec."""

    def __init__(self, spec: Spec):
        self.spec = spec

    def _errors(self, pointer: str, instance: Any, where: str) -> list[Violation]:
        validator = self.spec.validators.get(pointer)
        if validator is None or validator.is_valid(instance):
            return []
        # A message quotes the offending value: a 64 KB value is quoted as an excerpt, not echoed whole.
        return [
            Violation(_field(where, error), _rule(pointer, error.schema_path), excerpt(error.message, MESSAGE_CHARS))
            for _, error in zip(range(MAX_VIOLATIONS), validator.iter_errors(instance), strict=False)
        ]

    def check_request(
        self,
        op: Operation,
        path_params: Mapping[str, str],
        query: Iterable[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
        content_type: str | None,
    ) -> CheckedRequest:
        violations: list[Violation] = []
        invalid_optional: list[str] = []
        unusable = False
        params: dict[str, Any] = {}
        query_values: dict[str, list[str]] = {}
        for key, value in query:
            query_values.setdefault(key, []).append(value)
        for param in op.parameters:
            if param.location == "path":
                raw = [path_params[param.name]] if param.name in path_params else []
            elif param.location == "query":
                raw = query_values.get(param.name, [])
            else:
                raw = [headers[param.name]] if param.name in headers else []
            where = f"{param.location}.{param.name}"
            if not raw:
                if param.required:
                    violations.append(
                        Violation(where, param.pointer.rsplit("/", 1)[0] + "/required", "is required")
                    )
                continue
            try:
                value = _coerce_parameter(param, raw)
            except OutOfRange as error:
                limit = "maximum" if param.schema.get("maximum") is not None else "type"
                problems = [Violation(where, f"{param.pointer}/{limit}", str(error))]
                violations.extend(problems)
                if param.required:
                    unusable = True
                else:
                    invalid_optional.append(param.name)
                continue
            problems = self._errors(param.pointer, value, where)
            violations.extend(problems)
            params[param.name] = value
            if problems and not param.required:
                invalid_optional.append(param.name)
        parsed_body, body_violations, body_unusable = self._check_body(op, body, content_type)
        violations.extend(body_violations)
        return CheckedRequest(params, parsed_body, violations, invalid_optional, unusable or body_unusable)

    def _check_body(self, op: Operation, body: bytes,
                    content_type: str | None) -> tuple[Any, list[Violation], bool]:
        """(parsed body, violations, whether the body is unusable even for a lenient server)."""
        spec_body = op.body
        if spec_body is None:
            return None, [], False
        body_pointer = f"#/paths/{escape_pointer(op.path)}/{op.method.lower()}/requestBody"
        if not body:  # only a truly empty body is "no body"; whitespace is malformed JSON
            if spec_body.required:
                return None, [Violation("body", f"{body_pointer}/required", "a request body is required")], False
            return None, [], False
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        json_types = [m for m in spec_body.media_types if m == "application/json" or m.endswith("+json")]
        if media_type not in spec_body.media_types and not (json_types and media_type.endswith("json")):
            expected = ", ".join(spec_body.media_types) or "no body"
            return None, [
                Violation("header.content-type", f"{body_pointer}/content", f"must be one of: {expected}")
            ], False
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            return None, [Violation("body", f"{body_pointer}/content", f"is not valid JSON ({error})")], False
        if nesting_exceeds(parsed, MAX_DEPTH):  # nothing downstream (storage, rendering) could hold it
            return None, [Violation("body", f"{body_pointer}/content",
                                    f"is nested more than {MAX_DEPTH} levels deep (the limit is {MAX_DEPTH})")], True
        pointer = spec_body.media_types.get(media_type) or (
            spec_body.media_types[json_types[0]] if json_types else None
        )
        return parsed, self._errors(pointer, parsed, "body") if pointer else [], False

    def check_response(self, op: Operation, status: int, media_type: str, body: Any) -> list[Violation]:
        documented, pointer = op.response_schema(status, media_type)
        op_pointer = f"#/paths/{escape_pointer(op.path)}/{op.method.lower()}/responses"
        if not documented:
            return [
                Violation("response", op_pointer, f"status {status} with {media_type or 'no body'} is not documented")
            ]
        if pointer is None or body is None:
            return []
        return self._errors(pointer, body, "response")
