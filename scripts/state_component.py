"""Rewrite the ``StateDocument`` component of specs/admin.yaml from the shipped vendors' record codecs.

The server builds the component from its vendors' codecs when it starts; the file holds the same
schema so that clients and schemathesis see the whole contract. Run after changing a vendor's tables:

    python3 scripts/state_component.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.app import VENDORS  # noqa: E402 (after the path)
from simulator.core.stateschema import spec_component  # noqa: E402


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


def main() -> None:
    component = json.loads(json.dumps(spec_component({p.name: p.records for p in VENDORS if p.records})))
    text = yaml.dump(component, Dumper=_NoAliases, default_flow_style=None, sort_keys=False, width=110)
    block = "".join(f"      {line}\n" for line in text.splitlines())
    path = ROOT / "specs" / "admin.yaml"
    spec = path.read_text(encoding="utf-8")
    start = spec.index("    StateDocument:\n")
    end = spec.index("\n    Error:\n", start) + 1
    path.write_text(spec[:start] + "    StateDocument:\n" + block + spec[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
