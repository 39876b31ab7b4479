"""`simulator verify`: run schemathesis with our spec against any server and say which operations drifted.

Pointed at the real vendor (with real credentials) it tells whether the vendor still behaves as the
spec - and so the simulator - says; pointed at the simulator it checks the simulator. Only read-only
operations (GET) are exercised unless writes are explicitly allowed.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree


@dataclass
class Drift:
    operation: str
    problems: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    checked: list[str]
    drifted: list[Drift]
    exit_code: int  # schemathesis's own: 0 clean, 1 failures, 2 usage or tool error
    output: str


def _problems(text: str) -> list[str]:
    """'ST108 Response violates schema: 20 is greater than the maximum of 5' from a failure report."""
    lines = [line.strip() for line in text.splitlines()]
    found: list[str] = []
    for index, line in enumerate(lines):
        if line.startswith("- ST") or line.startswith("- "):
            detail = next((following for following in lines[index + 1:] if following), "")
            entry = f"{line[2:]}: {detail}" if detail and not detail.startswith("-") else line[2:]
            if entry not in found:
                found.append(entry)
    return found or [text.strip().splitlines()[0] if text.strip() else "failed"]


def parse_junit(path: Path) -> tuple[list[str], list[Drift]]:
    root = ElementTree.parse(path).getroot()
    checked: list[str] = []
    drifted: list[Drift] = []
    for case in root.iter("testcase"):
        name = case.get("name", "?")
        checked.append(name)
        failures = case.findall("failure") + case.findall("error")
        if failures:
            drift = Drift(name)
            for failure in failures:
                for problem in _problems(failure.text or failure.get("message") or ""):
                    if problem not in drift.problems:
                        drift.problems.append(problem)
            drifted.append(drift)
    return checked, drifted


def schemathesis_missing() -> str | None:
    """Why schemathesis (a test extra, not a server dependency) cannot run here, or None when it can."""
    try:
        importlib.import_module("schemathesis")
    except Exception as error:  # a broken install fails in many ways; each one means "install again"
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        return (f"simulator verify needs the test extras, and schemathesis cannot be imported ({reason}): "
                "install them with python3 -m pip install -e '.[test]'")
    return None


def run(spec: Path, base_url: str, headers: list[str], max_examples: int, allow_writes: bool,
        seed: int | None = None) -> Outcome:
    missing = schemathesis_missing()
    if missing:
        raise RuntimeError(missing)
    with tempfile.TemporaryDirectory(prefix="simulator-verify-") as work:
        junit = Path(work) / "junit.xml"
        command = [sys.executable, "-m", "schemathesis.cli", "run", str(spec), "--url", base_url,
                   "--max-examples", str(max_examples), "--report", "junit", "--report-junit-path", str(junit),
                   "--no-color"]
        for header in headers:
            command += ["-H", header]
        if not allow_writes:
            command += ["--include-method", "GET"]
        if seed is not None:
            command += ["--seed", str(seed)]
        result = subprocess.run(command, capture_output=True, text=True, cwd=work)
        output = result.stdout + result.stderr
        if not junit.exists():
            return Outcome([], [], result.returncode or 2, output)
        checked, drifted = parse_junit(junit)
    return Outcome(checked, drifted, result.returncode, output)


def render(outcome: Outcome, spec: Path, base_url: str) -> str:
    lines = [f"Checked {base_url} against {spec.name}: {len(outcome.checked)} test group(s)"]
    for name in outcome.checked:
        drift = next((d for d in outcome.drifted if d.operation == name), None)
        lines.append(f"  {'DRIFT' if drift else 'ok   '}  {name}")
        for problem in drift.problems if drift else []:
            lines.append(f"           {problem}")
    lines.append(f"{len(outcome.drifted)} drifted" if outcome.drifted else "No drift found")
    return "\n".join(lines)
