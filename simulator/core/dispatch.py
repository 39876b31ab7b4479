"""Turning an HTTP request into one operation call: route, validate, authenticate, handle, render.

The dispatcher knows operations, not vendors: each bound operation brings its handler, its error
shape, its security verifiers and the name of the backend whose state it uses.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response

from simulator.core.blobs import Blob, byte_range
from simulator.core.errors import (
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    SimulatorError,
    Unauthorized,
    Violation,
)
from simulator.core.spec import Operation
from simulator.core.store import Namespace, Registry
from simulator.core.validation import Validator

logger = logging.getLogger("simulator")
_PARAM = re.compile(r"\{([^}/]+)\}")
JSON = "application/json"


@dataclass
class Reply:
    """What a handler returns: a JSON-able body (or a Blob / raw bytes) with status and headers."""

    body: Any = None
    status: int = 200
    media_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    operation: Operation
    namespace: Namespace
    registry: Registry
    backend: Any
    params: dict[str, Any]
    body: Any
    headers: Headers
    query: Mapping[str, str]
    path: str
    base_url: str  # scheme://host plus the namespace prefix, for links back to the simulator
    principal: Any = None

    def now(self) -> float:
        return self.namespace.clock.timestamp()


Handler = Callable[[Call], Reply]
Verifier = Callable[[Call], Any]


class ErrorShape(Protocol):
    def render(self, error: SimulatorError) -> Reply: ...


@dataclass(frozen=True)
class Binding:
    operation: Operation
    handler: Handler
    backend: str | None
    errors: ErrorShape
    verifiers: Mapping[str, Verifier]
    validator: Validator


@dataclass
class _Route:
    pattern: re.Pattern[str]
    by_method: dict[str, Binding]


@dataclass(frozen=True)
class Area:
    """A path prefix owned by one vendor (or the admin API), for shaping 404/405 answers."""

    prefix: str
    errors: ErrorShape


def compile_path(template: str) -> re.Pattern[str]:
    parts = _PARAM.split(template)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return re.compile(f"^{regex}\\Z")


class Dispatcher:
    def __init__(self, registry: Registry, areas: list[Area], fallback: ErrorShape, *, lenient: bool,
                 validate_responses: bool):
        self.registry = registry
        self.routes: list[_Route] = []
        self._areas = sorted(areas, key=lambda a: len(a.prefix), reverse=True)
        self._fallback = fallback
        self.lenient = lenient
        self.validate_responses = validate_responses

    def add(self, binding: Binding) -> None:
        op = binding.operation
        for route in self.routes:
            if route.pattern.pattern == compile_path(op.path).pattern:
                route.by_method[op.method] = binding
                return
        self.routes.append(_Route(compile_path(op.path), {op.method: binding}))
        # Literal segments win over parameters (/sessions/search/{id} before /sessions/{id}/x).
        self.routes.sort(key=lambda r: r.pattern.pattern.count("(?P<"))

    def _area(self, path: str) -> ErrorShape:
        for area in self._areas:
            if path.startswith(area.prefix):
                return area.errors
        return self._fallback

    def _match(self, method: str, path: str) -> tuple[Binding, dict[str, str]]:
        allowed: list[str] = []
        for route in self.routes:
            found = route.pattern.match(path)
            if not found:
                continue
            binding = route.by_method.get(method) or (route.by_method.get("GET") if method == "HEAD" else None)
            if binding is not None:
                return binding, found.groupdict()
            allowed.extend(route.by_method)
        if allowed:
            raise MethodNotAllowed(f"Method {method} is not allowed on {path}; use {', '.join(allowed)}", allowed)
        raise NotFound(f"No operation matches {method} {path}")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        response = await self.handle(request, scope)
        await response(scope, receive, send)

    async def handle(self, request: Request, scope: Any) -> Response:
        path = scope["path"]
        errors = self._area(path)
        try:
            namespace = self.registry.get(scope.get("sim.namespace", "default"))
            namespace.tick()
            binding, path_params = self._match(request.method, path)
            errors = binding.errors
            scope["sim.operation"] = binding
            raw_body = await request.body() if binding.operation.body is not None else b""
            checked = binding.validator.check_request(
                binding.operation, path_params, request.query_params.multi_items(), request.headers,
                raw_body, request.headers.get("content-type"),
            )
            scope["sim.violations"] = checked.violations
            call = Call(
                operation=binding.operation, namespace=namespace, registry=self.registry,
                backend=namespace.state(binding.backend) if binding.backend else None,
                params=checked.params, body=checked.body, headers=request.headers,
                query=request.query_params, path=path, base_url=_base_url(request, scope),
            )
            call.principal = _authenticate(binding, call)
            if checked.violations and not self.lenient:
                raise InvalidRequest(checked.violations)
            reply = binding.handler(call)
        except SimulatorError as error:
            reply = errors.render(error)
        except Exception as bug:  # a bug in the simulator: answer in the vendor's shape and say so
            logger.exception("unhandled error serving %s %s", request.method, path)
            reply = errors.render(SimulatorError(f"Simulator bug: {type(bug).__name__}: {bug}", 500))
        response = self._render(reply, request, scope)
        if request.method == "HEAD":
            response.body = b""
        return response

    def _render(self, reply: Reply, request: Request, scope: Any) -> Response:
        binding: Binding | None = scope.get("sim.operation")
        if isinstance(reply.body, Blob):
            return _blob_response(reply, request.headers.get("range"), binding)
        if reply.body is None:
            return Response(b"", status_code=reply.status, headers=reply.headers)
        if isinstance(reply.body, bytes):
            content = reply.body
        else:
            content = orjson.dumps(reply.body)
            if self.validate_responses and binding is not None:
                problems = binding.validator.check_response(binding.operation, reply.status, reply.media_type,
                                                            reply.body)
                if problems:
                    scope["sim.response_violations"] = problems
                    return _self_check_failure(problems)
        return Response(content, status_code=reply.status, media_type=reply.media_type, headers=reply.headers)


def _self_check_failure(problems: list[Violation]) -> Response:
    body = {
        "error": "The simulator produced a response that breaks its own spec",
        "violations": [p.as_dict() for p in problems],
    }
    return Response(orjson.dumps(body), status_code=500, media_type=JSON)


def _blob_response(reply: Reply, range_header: str | None, binding: Binding | None) -> Response:
    blob: Blob = reply.body
    headers = {"Accept-Ranges": "bytes", **reply.headers}
    if blob.filename:
        headers["Content-Disposition"] = f'attachment; filename="{blob.filename}"'
    try:
        window = byte_range(range_header, blob.size)
    except SimulatorError as error:
        if binding is None:
            raise
        failed = binding.errors.render(error)
        return Response(orjson.dumps(failed.body), status_code=failed.status, media_type=failed.media_type,
                        headers=failed.headers)
    if window is None:
        return Response(blob.read(0, blob.size), status_code=reply.status, media_type=blob.media_type,
                        headers=headers)
    start, end = window
    headers["Content-Range"] = f"bytes {start}-{end - 1}/{blob.size}"
    return Response(blob.read(start, end), status_code=206, media_type=blob.media_type, headers=headers)


def _authenticate(binding: Binding, call: Call) -> Any:
    alternatives = binding.operation.security
    if not alternatives or any(len(schemes) == 0 for schemes in alternatives):
        return None
    first_failure: SimulatorError | None = None
    for schemes in alternatives:
        try:
            principal = None
            for scheme in schemes:
                principal = binding.verifiers[scheme](call)
            return principal
        except Unauthorized as failure:
            first_failure = first_failure or failure
    assert first_failure is not None
    raise first_failure


def _base_url(request: Request, scope: Any) -> str:
    host = request.headers.get("host") or f"{scope['server'][0]}:{scope['server'][1]}"
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('sim.prefix', '')}"
