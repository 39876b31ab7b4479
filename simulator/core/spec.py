"""OpenAPI documents: load, index operations, bind operationIds to handlers.

The specs in ``specs/`` are the single source of truth for routes and validation. Paths in them are
absolute from the host root (``/client/v4/accounts/...``), so a route is exactly the spec's path.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from simulator.core import paths, speccache

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class SpecError(Exception):
    """The spec and the code disagree; raised at start-up, never while serving."""


def _parse_yaml(text: str) -> Any:
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def specs_dir() -> Path:
    """Where the YAML specs live (``SIMULATOR_SPECS_DIR`` overrides)."""
    override = os.environ.get("SIMULATOR_SPECS_DIR")
    if override:
        return Path(override)
    found = paths.find("specs")
    if found is None:
        raise SpecError(f"no specs directory found (looked in {', '.join(map(str, paths.candidates('specs')))})")
    return found


def escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path | query | header
    required: bool
    schema: Mapping[str, Any]
    pointer: str  # JSON pointer of the parameter's schema inside the document

    @property
    def is_array(self) -> bool:
        return self.schema.get("type") == "array"


@dataclass(frozen=True)
class RequestBody:
    required: bool
    media_types: dict[str, str | None]  # media type -> schema pointer


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str
    parameters: tuple[Parameter, ...]
    body: RequestBody | None
    responses: dict[str, dict[str, str | None]]  # status -> media type -> schema pointer
    security: tuple[tuple[str, ...], ...]  # alternatives, each a set of scheme names
    extensions: dict[str, Any] = field(default_factory=dict)

    def response_schema(self, status: int, media_type: str) -> tuple[bool, str | None]:
        """(documented?, schema pointer) for a status and media type; falls back to NXX and default."""
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in self.responses:
                media = self.responses[key]
                if not media:
                    return True, None
                if media_type in media:
                    return True, media[media_type]
                return False, None
        return False, None


class Spec:
    """One OpenAPI document with its operations indexed."""

    def __init__(self, name: str, document: dict[str, Any]):
        self.name = name
        self.document = document
        self.operations: list[Operation] = list(self._index())
        self.by_id = {op.operation_id: op for op in self.operations}
        self._validators: Any = None

    @classmethod
    def load(cls, path: Path) -> Spec:
        document = speccache.load_document(path, _parse_yaml)
        if not isinstance(document, dict) or "paths" not in document:
            raise SpecError(f"{path} is not an OpenAPI document")
        return cls(path.stem, document)

    @property
    def validators(self) -> Any:
        """jsonschema-rs validators for every subschema, looked up by JSON pointer (compiled once)."""
        if self._validators is None:
            import jsonschema_rs

            self._validators = jsonschema_rs.validator_map_for(self.document, validate_formats=True)
        return self._validators

    def resolve(self, node: Any) -> tuple[Any, str | None]:
        """Follow a local ``$ref``; returns the target and its pointer (None if not a reference)."""
        if isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise SpecError(f"{self.name}: only local references are supported, got {ref}")
            target: Any = self.document
            for token in ref[2:].split("/"):
                target = target[token.replace("~1", "/").replace("~0", "~")]
            return target, ref
        return node, None

    def _index(self) -> Iterator[Operation]:
        default_security = self.document.get("security", [])
        for path, item in self.document["paths"].items():
            base = f"#/paths/{escape_pointer(path)}"
            shared = item.get("parameters", [])
            for method in HTTP_METHODS:
                if method not in item:
                    continue
                op = item[method]
                op_pointer = f"{base}/{method}"
                if "operationId" not in op:
                    raise SpecError(f"{self.name}: {method.upper()} {path} has no operationId")
                params = self._parameters(shared, f"{base}/parameters")
                params.update(self._parameters(op.get("parameters", []), f"{op_pointer}/parameters"))
                security = op.get("security", default_security)
                yield Operation(
                    operation_id=op["operationId"],
                    method=method.upper(),
                    path=path,
                    parameters=tuple(params.values()),
                    body=self._body(op.get("requestBody"), f"{op_pointer}/requestBody"),
                    responses=self._responses(op.get("responses", {}), f"{op_pointer}/responses"),
                    security=tuple(tuple(req.keys()) for req in security),
                    extensions={k: v for k, v in op.items() if k.startswith("x-")},
                )

    def _parameters(self, raw: list[Any], pointer: str) -> dict[tuple[str, str], Parameter]:
        found: dict[tuple[str, str], Parameter] = {}
        for index, node in enumerate(raw):
            param, ref = self.resolve(node)
            where = ref or f"{pointer}/{index}"
            if param["in"] == "cookie":
                continue
            found[(param["in"], param["name"])] = Parameter(
                name=param["name"] if param["in"] != "header" else param["name"].lower(),
                location=param["in"],
                required=bool(param.get("required", param["in"] == "path")),
                schema=param.get("schema", {}),
                pointer=f"{where}/schema",
            )
        return found

    def _body(self, raw: Any, pointer: str) -> RequestBody | None:
        if raw is None:
            return None
        body, ref = self.resolve(raw)
        where = ref or pointer
        media = {
            media_type: (f"{where}/content/{escape_pointer(media_type)}/schema" if "schema" in spec else None)
            for media_type, spec in body.get("content", {}).items()
        }
        return RequestBody(required=bool(body.get("required", False)), media_types=media)

    def _responses(self, raw: dict[str, Any], pointer: str) -> dict[str, dict[str, str | None]]:
        result: dict[str, dict[str, str | None]] = {}
        for status, node in raw.items():
            response, ref = self.resolve(node)
            where = ref or f"{pointer}/{escape_pointer(str(status))}"
            result[str(status)] = {
                media_type: (f"{where}/content/{escape_pointer(media_type)}/schema" if "schema" in spec else None)
                for media_type, spec in response.get("content", {}).items()
            }
        return result


def bind(spec: Spec, handlers: Mapping[str, Any]) -> dict[str, Any]:
    """Pair every operation with its handler; a missing or stray handler stops start-up."""
    missing = sorted(set(spec.by_id) - set(handlers))
    stray = sorted(set(handlers) - set(spec.by_id))
    if missing:
        raise SpecError(f"{spec.name}: no handler for operation(s) {', '.join(missing)}")
    if stray:
        raise SpecError(f"{spec.name}: handler(s) for unknown operation(s) {', '.join(stray)}")
    return {op_id: handlers[op_id] for op_id in spec.by_id}
