"""Errors as values: each carries an HTTP status, a stable code and a message naming the problem.

Core and vendor code raise these; the vendor's ``errors.py`` turns one into the vendor's body shape
(and may map the status, as Vonage answers invalid parameters with 401).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.core.jsonlimits import excerpt

MESSAGE_CHARS = 500


@dataclass(frozen=True)
class Violation:
    """One broken rule of the spec: where in the request, which rule (JSON pointer), what is wrong."""

    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


@dataclass
class SimulatorError(Exception):
    message: str
    status: int = 500
    code: str = "internal_error"
    violations: list[Violation] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Messages quote what the client sent; a 64 KB value is quoted as an excerpt, never echoed whole.
        self.message = excerpt(self.message, MESSAGE_CHARS)
        super().__init__(self.message)


class BadRequest(SimulatorError):
    def __init__(self, message: str, code: str = "bad_request", violations: list[Violation] | None = None):
        super().__init__(message, 400, code, violations or [])


class InvalidRequest(SimulatorError):
    """The request breaks the spec (type, required field, enum, format...)."""

    def __init__(self, violations: list[Violation]):
        summary = "; ".join(f"{v.field}: {v.message}" for v in violations[:5])
        super().__init__(f"Invalid request: {summary}", 422, "invalid_request", violations)


class Unauthorized(SimulatorError):
    def __init__(self, message: str, code: str = "unauthorized"):
        super().__init__(message, 401, code)


class Forbidden(SimulatorError):
    def __init__(self, message: str, code: str = "forbidden"):
        super().__init__(message, 403, code)


class NotFound(SimulatorError):
    def __init__(self, message: str, code: str = "not_found"):
        super().__init__(message, 404, code)


class MethodNotAllowed(SimulatorError):
    def __init__(self, message: str, allowed: list[str]):
        super().__init__(message, 405, "method_not_allowed", headers={"Allow": ", ".join(allowed)})


class Conflict(SimulatorError):
    def __init__(self, message: str, code: str = "conflict"):
        super().__init__(message, 409, code)


class Unsupported(SimulatorError):
    def __init__(self, message: str, code: str = "unsupported_media_type"):
        super().__init__(message, 415, code)


class TooManyRequests(SimulatorError):
    def __init__(self, message: str, retry_after: int = 1, headers: dict[str, str] | None = None):
        super().__init__(message, 429, "rate_limited", headers={"Retry-After": str(retry_after), **(headers or {})})


class RequestTimeout(SimulatorError):
    """The request's body did not arrive in time; the connection is closed after the answer."""

    def __init__(self, message: str):
        super().__init__(message, 408, "request_timeout", headers={"Connection": "close"})


class PayloadTooLarge(SimulatorError):
    """The body is larger than the server accepts; it is not read, and the connection is closed."""

    def __init__(self, message: str):
        super().__init__(message, 413, "payload_too_large", headers={"Connection": "close"})


class UriTooLong(SimulatorError):
    def __init__(self, message: str):
        super().__init__(message, 414, "uri_too_long", headers={"Connection": "close"})


class HeadersTooLarge(SimulatorError):
    def __init__(self, message: str):
        super().__init__(message, 431, "request_header_fields_too_large", headers={"Connection": "close"})
