"""Where bundled data lives: beside the package in a checkout or editable install, under the
install's data directory (``<data>/share/vendor-api-simulator``) otherwise.

The data directory differs between installs: ``sys.prefix`` in a virtualenv or the official Python
image, ``/usr/local`` for Debian's system Python, ``~/.local`` for a user install.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

PACKAGE_DATA = "vendor-api-simulator"


def candidates(folder: str) -> list[Path]:
    roots = [Path(__file__).resolve().parents[2]]
    for scheme in sysconfig.get_scheme_names():
        try:
            roots.append(Path(sysconfig.get_path("data", scheme)) / "share" / PACKAGE_DATA)
        except KeyError:
            continue
    roots += [Path(sys.prefix) / "share" / PACKAGE_DATA, Path(sys.base_prefix) / "share" / PACKAGE_DATA]
    seen: list[Path] = []
    for root in roots:
        if root / folder not in seen:
            seen.append(root / folder)
    return seen


def find(folder: str) -> Path | None:
    return next((path for path in candidates(folder) if path.is_dir()), None)
