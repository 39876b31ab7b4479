"""Request and response checks against an operation of the spec, with jsonschema-rs.

Query, path and header values arrive as strings; they are coerced to the type the schema asks for
(``"2"`` and ``"2.0"`` to an integer, ``"true"`` to a boolean) before validation, and left as they
were when they do not convert, so the violation names the real problem. Each violation carries the
request location (``query.page``, ``body.session_request.remote_session.title``) and the rule as a
JSON pointer into the spec.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from simulator.core.errors import Violation
from simulator.core.spec import Operation, Parameter, Spec, escape_pointer

_INTEGER = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_ABSOLUTE_ROOTS = frozenset({"components", "paths", "$defs", "definitions", "webhooks"})


@dataclass
class CheckedRequest:
    params: dict[str, Any]  # by name, coerced; absent optional parameters are missing
    body: Any
    violations: list[Violation]
    invalid_optional: list[str] = field(default_factory=list)  # optional parameters whose value broke the spec


def _schema_types(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return set(declared)
    return set()


def coerce_scalar(raw: str, schema: Mapping[str, Any]) -> Any:
    """Turn a string into the schema's scalar type when it converts cleanly; else return it as is."""
    types = _schema_types(schema)
    if "string" in types or not types:
        return raw
    if "integer" in types:
        if _INTEGER.match(raw):
            return int(raw)
        if _FLOAT.match(raw) and float(raw).is_integer():  # clients send 2.0 for 2
            return int(float(raw))
    if "number" in types and _FLOAT.match(raw):
        return float(raw)
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
        return [
            Violation(_field(where, error), _rule(pointer, error.schema_path), error.message)
            for error in validator.iter_errors(instance)
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
            value = _coerce_parameter(param, raw)
            problems = self._errors(param.pointer, value, where)
            violations.extend(problems)
            params[param.name] = value
            if problems and not param.required:
                invalid_optional.append(param.name)
        parsed_body, body_violations = self._check_body(op, body, content_type)
        violations.extend(body_violations)
        return CheckedRequest(params, parsed_body, violations, invalid_optional)

    def _check_body(self, op: Operation, body: bytes, content_type: str | None) -> tuple[Any, list[Violation]]:
        spec_body = op.body
        if spec_body is None:
            return None, []
        body_pointer = f"#/paths/{escape_pointer(op.path)}/{op.method.lower()}/requestBody"
        if not body:  # only a truly empty body is "no body"; whitespace is malformed JSON
            if spec_body.required:
                return None, [Violation("body", f"{body_pointer}/required", "a request body is required")]
            return None, []
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        json_types = [m for m in spec_body.media_types if m == "application/json" or m.endswith("+json")]
        if media_type not in spec_body.media_types and not (json_types and media_type.endswith("json")):
            expected = ", ".join(spec_body.media_types) or "no body"
            return None, [
                Violation("header.content-type", f"{body_pointer}/content", f"must be one of: {expected}")
            ]
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            return None, [Violation("body", f"{body_pointer}/content", f"is not valid JSON ({error})")]
        pointer = spec_body.media_types.get(media_type) or (
            spec_body.media_types[json_types[0]] if json_types else None
        )
        return parsed, self._errors(pointer, parsed, "body") if pointer else []

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
