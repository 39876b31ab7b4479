"""The floor: a bare Starlette app on uvicorn answering every request with one fixed JSON body."""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def main() -> None:
    body = Path(sys.argv[1]).read_bytes()
    port = int(sys.argv[2])

    async def page(_request: Request) -> Response:
        return Response(body, media_type="application/json")

    app = Starlette(routes=[Route("/api/v1/session_requests", page)])
    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
