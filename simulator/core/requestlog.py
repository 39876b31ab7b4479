"""One JSON line per request (``--log-format json``), for log collectors that read a container's output.

Written straight to a binary stream, not through :mod:`logging`: a line is built with orjson and
written whole, so lines from concurrent requests never interleave and the cost stays a few
microseconds when it is on (and nothing when it is off: the pipeline holds no log then).
"""

from __future__ import annotations

from typing import IO

import orjson

from simulator.core.clock import isoformat, to_datetime, wall_time
from simulator.core.metrics import ADMIN, NO_VENDOR
from simulator.core.pipeline.exchange import Exchange

PATH_CHARS = 2048  # of a path kept in a line: a 64 KB path is logged as its first 2 KB


class JsonLines:
    """Writes ``time, namespace, vendor, operation, method, path, status, duration_ms`` per request."""

    def __init__(self, stream: IO[bytes]):
        self._stream = stream

    def __call__(self, exchange: Exchange, elapsed_ms: float) -> None:
        binding = exchange.binding
        line = orjson.dumps({
            "time": isoformat(to_datetime(wall_time())),
            "namespace": exchange.namespace_name,
            "vendor": (binding.backend or ADMIN) if binding is not None else NO_VENDOR,
            "operation": binding.operation.operation_id if binding is not None else None,
            "method": exchange.method,
            "path": exchange.path[:PATH_CHARS],
            "status": exchange.status,
            "duration_ms": round(elapsed_ms, 3),
        }, option=orjson.OPT_APPEND_NEWLINE)
        self._stream.write(line)
        self._stream.flush()
