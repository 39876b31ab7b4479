"""`simulator report`: what a client's traffic exercised of each vendor's contract, and what it broke.

Formats: ``text`` for people, ``json`` for tools, ``junit`` for CI (one test case per operation; an
operation whose requests broke the spec is a failure, one never called is skipped), ``html`` for a CI
artifact people open (see ``simulator.report_html``).
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import orjson

from simulator.report_html import as_html


def has_violations(coverage: dict[str, Any]) -> bool:
    return any(v["summary"]["violations"] or v["summary"]["response_violations"] for v in coverage["vendors"])


def _exercised(vendors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Vendors the traffic touched at all; a report about untouched vendors is noise."""
    return [v for v in vendors if v["summary"]["exercised"]] or vendors


def as_json(coverage: dict[str, Any]) -> str:
    return orjson.dumps(coverage, option=orjson.OPT_INDENT_2).decode()


def as_text(coverage: dict[str, Any]) -> str:
    lines = [f"Contract coverage of namespace {coverage['namespace']!r}"]
    for vendor in _exercised(coverage["vendors"]):
        summary = vendor["summary"]
        lines += ["", f"{vendor['vendor']}: {summary['exercised']}/{summary['operations']} operations, "
                      f"{summary['exercised_statuses']}/{summary['documented_statuses']} documented statuses, "
                      f"{summary['violations']} request violation(s)"]
        for op in vendor["operations"]:
            label = f"{op['method']} {op['path']} ({op['operation_id']})"
            if not op["calls"]:
                lines.append(f"  never called   {label}")
                continue
            seen = ", ".join(f"{status}x{count}" for status, count in op["statuses"].items())
            lines.append(f"  called {op['calls']:>6}  {label}: {seen}")
            if op["untested_statuses"]:
                lines.append(f"                 never provoked: {', '.join(op['untested_statuses'])}")
            if op["undocumented_statuses"]:
                lines.append(f"                 undocumented: {', '.join(op['undocumented_statuses'])}")
            for group in op["violations"]:
                lines.append(f"                 VIOLATION x{group['count']} {group['field']}: {group['message']} "
                             f"[{group['rule']}]")
            for group in op["response_violations"]:
                lines.append(f"                 RESPONSE VIOLATION x{group['count']} {group['field']}: "
                             f"{group['message']} [{group['rule']}]")
    return "\n".join(lines)


def as_junit(coverage: dict[str, Any]) -> str:
    suites = ElementTree.Element("testsuites", name=f"contract coverage of {coverage['namespace']}")
    for vendor in _exercised(coverage["vendors"]):
        operations = vendor["operations"]
        failures = sum(1 for op in operations if op["violations"] or op["response_violations"])
        skipped = sum(1 for op in operations if not op["calls"])
        suite = ElementTree.SubElement(suites, "testsuite", name=vendor["vendor"], tests=str(len(operations)),
                                       failures=str(failures), skipped=str(skipped), errors="0")
        for op in operations:
            case = ElementTree.SubElement(suite, "testcase", classname=vendor["vendor"],
                                          name=f"{op['operation_id']} {op['method']} {op['path']}")
            groups = op["violations"] + op["response_violations"]
            if groups:
                failure = ElementTree.SubElement(
                    case, "failure", message=f"{sum(g['count'] for g in groups)} spec violation(s)")
                failure.text = "\n".join(f"x{g['count']} {g['field']}: {g['message']} [{g['rule']}]" for g in groups)
            elif not op["calls"]:
                ElementTree.SubElement(case, "skipped", message="never called")
            else:
                untested = ", ".join(op["untested_statuses"]) or "none"
                ElementTree.SubElement(case, "system-out").text = (
                    f"statuses seen: {op['statuses']}; documented but never provoked: {untested}")
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True)


FORMATS = {"text": as_text, "json": as_json, "junit": as_junit, "html": as_html}
