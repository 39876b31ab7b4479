"""The dashboard: one self-contained page (no CDN, no build step) that reads the admin API."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from simulator.core.dispatch import Call, Reply

HTML = "text/html; charset=utf-8"


@cache
def _page() -> bytes:
    return files("simulator.admin").joinpath("ui.html").read_bytes()


def get_ui(call: Call[Any]) -> Reply:
    return Reply(_page(), media_type=HTML)


HANDLERS = {"getDashboard": get_ui}
