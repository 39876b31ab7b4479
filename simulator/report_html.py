"""`simulator report --format html`: one self-contained page for CI artifacts.

Inline CSS, no script, no external resource, so the file opens anywhere, offline, and a browser's
strictest settings show it the same. Everything that came from a client (paths, field names,
messages quoting its values) is escaped. Row counts are capped so a noisy run still gives a page a
browser opens quickly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

# The matrix is bounded by the specs (operations x statuses); violations are not: the tally keeps up to
# 1000 groups and the journal sends what it holds. A page listing more than this helps nobody.
MAX_VIOLATION_ROWS = 200
# How many of the journal's newest violating requests the page is given to name the request behind a group.
JOURNAL_LIMIT = 500

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1b1b}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}
td.reached{background:#d9f2d9;text-align:right}
td.never{background:#fde2e1;color:#8a1c14}
td.na{background:#fafafa;color:#aaa}
td.other.undocumented{background:#fff3cd}
tr.never-called td.op{color:#8a1c14}
.summary td{font-weight:600}
.violation td.rule{font-family:monospace}
code{font-family:monospace}
.more{color:#555;font-style:italic}
"""


def as_html(coverage: dict[str, Any], requests: Sequence[dict[str, Any]] = ()) -> str:
    """The page. `requests` are journal entries with violations (newest last), to name the request
    behind each violation group; a group whose requests the journal no longer holds shows the operation."""
    vendors = coverage["vendors"]
    namespace = str(coverage["namespace"])
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Contract report: {escape(namespace)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Contract report of namespace <code>{escape(namespace)}</code></h1>",
        _summary(vendors),
        '<h2 id="violations">Spec violations</h2>',
        _violations(vendors, requests),
        '<h2 id="coverage">Coverage</h2>',
        "<p>Operations &times; documented statuses: a green cell counts the answers with that status, "
        "a red one was never provoked, a grey one is not documented for that operation.</p>",
    ]
    parts += [_matrix(vendor) for vendor in vendors]
    parts.append("</body></html>")
    return "\n".join(parts)


def _summary(vendors: list[dict[str, Any]]) -> str:
    def total(key: str) -> int:
        return sum(int(v["summary"][key]) for v in vendors)

    rows = [
        ("Operations reached", f"{total('exercised')} / {total('operations')}"),
        ("Documented statuses reached", f"{total('exercised_statuses')} / {total('documented_statuses')}"),
        ("Request violations", str(total("violations"))),
        ("Response violations", str(total("response_violations"))),
    ]
    body = "".join(f'<tr><th scope="row">{label}</th><td id="{_slug(label)}">{value}</td></tr>'
                   for label, value in rows)
    return f'<table class="summary">{body}</table>'


def _slug(label: str) -> str:
    return label.lower().replace(" ", "-")


def _violations(vendors: list[dict[str, Any]], requests: Sequence[dict[str, Any]]) -> str:
    groups = [(vendor["vendor"], op, kind, group)
              for vendor in vendors for op in vendor["operations"]
              for kind in ("violations", "response_violations") for group in op[kind]]
    if not groups:
        return '<p id="no-violations">None: the traffic broke no rule of the specs.</p>'
    last = _last_requests(requests)
    rows = []
    for vendor, op, kind, group in groups[:MAX_VIOLATION_ROWS]:
        entry = last.get((op["operation_id"], kind, group["field"], group["rule"]))
        rows.append(
            '<tr class="violation">'
            f"<td>{escape(str(vendor))}</td>"
            f"<td>{escape(str(op['operation_id']))}</td>"
            f"<td>{'response' if kind == 'response_violations' else 'request'}</td>"
            f'<td class="rule">{escape(str(group["rule"]))}</td>'
            f'<td class="field"><code>{escape(str(group["field"]))}</code></td>'
            f'<td class="message">{escape(str(group["message"]))}</td>'
            f'<td class="count">{int(group["count"])}</td>'
            f'<td class="request">{_request(op, entry)}</td>'
            "</tr>")
    head = ("<tr><th>Vendor</th><th>Operation</th><th>In</th><th>Rule</th><th>Field</th><th>Message</th>"
            "<th>Count</th><th>Request (latest)</th></tr>")
    more = ""
    if len(groups) > MAX_VIOLATION_ROWS:
        more = f'<p class="more">{len(groups) - MAX_VIOLATION_ROWS} more violation groups not shown.</p>'
    return f'<table id="violation-table">{head}{"".join(rows)}</table>{more}'


def _last_requests(requests: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """(operation, kind, field, rule) -> the newest journal entry with that violation."""
    found: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for entry in requests:
        for kind in ("violations", "response_violations"):
            for violation in entry.get(kind) or ():
                found[(str(entry.get("operation_id")), kind, violation["field"], violation["rule"])] = entry
    return found


def _request(op: dict[str, Any], entry: dict[str, Any] | None) -> str:
    if entry is None:  # the journal is a ring; the tally outlives it
        return (f"<code>{escape(str(op['method']))} {escape(str(op['path']))}</code> "
                '<span class="more">(no longer in the journal)</span>')
    target = str(entry["path"]) + (f"?{entry['query']}" if entry.get("query") else "")
    return (f"<code>{escape(str(entry['method']))} {escape(target)}</code> "
            f'&rarr; <span class="status">{int(entry["status"])}</span>')


def _matrix(vendor: dict[str, Any]) -> str:
    name = str(vendor["vendor"])
    summary = vendor["summary"]
    operations = vendor["operations"]
    columns = sorted({status for op in operations for status in op["documented_statuses"]}, key=int)
    head = ("<tr><th>Operation</th><th>Calls</th>"
            + "".join(f"<th>{escape(status)}</th>" for status in columns)
            + "<th>Other statuses seen</th></tr>")
    rows = [_row(op, columns) for op in operations]
    opened = " open" if summary["exercised"] else ""
    return (f'<details class="vendor" id="vendor-{escape(name)}"{opened}>'
            f"<summary><strong>{escape(name)}</strong>: {int(summary['exercised'])} / "
            f"{int(summary['operations'])} operations reached, {int(summary['exercised_statuses'])} / "
            f"{int(summary['documented_statuses'])} documented statuses</summary>"
            f'<table class="matrix">{head}{"".join(rows)}</table></details>')


def _row(op: dict[str, Any], columns: list[str]) -> str:
    statuses: dict[str, int] = op["statuses"]
    documented = set(op["documented_statuses"])
    called = bool(op["calls"])
    cells = []
    for status in columns:
        if status not in documented:
            cells.append('<td class="na">&ndash;</td>')
        elif status in statuses:
            cells.append(f'<td class="reached" title="{escape(status)}">{int(statuses[status])}</td>')
        else:
            cells.append(f'<td class="never" title="{escape(status)}">never</td>')
    # Seen but not a column of this operation: undocumented ones, and the server's own limits (405, 413...).
    undocumented = set(op["undocumented_statuses"])
    extra = ", ".join(f"{escape(s)}&times;{int(n)}{' (undocumented)' if s in undocumented else ''}"
                      for s, n in statuses.items() if s not in documented)
    cells.append(f'<td class="other{" undocumented" if undocumented else ""}">{extra}</td>')
    label = (f"<code>{escape(str(op['method']))} {escape(str(op['path']))}</code> "
             f"({escape(str(op['operation_id']))})")
    calls = str(int(op["calls"])) if called else "never called"
    row_class = "called" if called else "never-called"
    return (f'<tr class="{row_class}" data-operation="{escape(str(op["operation_id"]))}">'
            f'<td class="op">{label}</td><td class="calls">{calls}</td>{"".join(cells)}</tr>')
