"""`simulator report --format html`: one self-contained page, read back with the stdlib HTML parser."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.app import create_app
from simulator.cli import main
from simulator.report_html import MAX_VIOLATION_ROWS, as_html
from simulator.testing.server import ThreadedServer
from tests.support import make_settings, prevail_token
from tests.vendors.prevail.helpers import new_request

HEADERS = {"Authorization": f"Bearer {prevail_token()}"}
SCRIPT = "<script>alert('report')</script>"
VOID = {"meta", "br", "hr", "img", "link", "input"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    text: str = ""  # all text inside, children included

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        found = []
        for child in self.children:
            if ((tag is None or child.tag == tag) and (cls is None or cls in child.classes())
                    and all(child.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())):
                found.append(child)
            found += child.find_all(tag, cls, **attrs)
        return found

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        [node] = self.find_all(tag, cls, **attrs)
        return node


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.open = [self.root]
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.tags.add(tag)
        self.open[-1].children.append(node)
        if tag not in VOID:
            self.open.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.open[-1].tag == tag, f"</{tag}> closes <{self.open[-1].tag}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        for node in self.open:
            node.text += data


def parse(page: str) -> _Tree:
    tree = _Tree()
    tree.feed(page)
    tree.close()
    assert tree.open == [tree.root], "unclosed elements"
    return tree


@pytest.fixture
def lenient() -> Any:
    with ThreadedServer(create_app(make_settings(lenient=True))) as server:
        yield server


def _traffic(url: str) -> None:
    """One clean listing, and one creation whose unknown role (a script tag) the lenient server records."""
    body = new_request()
    body["session_request"]["deponent"]["role"] = SCRIPT
    with httpx.Client(base_url=url, headers=HEADERS) as client:
        assert client.get("/api/v1/session_requests").status_code == 200
        assert client.post("/api/v1/session_requests", json=body).status_code == 201


def test_html_report_shows_the_matrix_and_the_violation_a_test_made(lenient: ThreadedServer,
                                                                      tmp_path: Path) -> None:
    _traffic(lenient.url)
    out = tmp_path / "report.html"
    assert main(["report", "--url", lenient.url, "--format", "html", "--output", str(out)]) == 1
    page = out.read_text(encoding="utf-8")
    tree = parse(page)
    doc = tree.root

    # self-contained and inert: no script, nothing fetched from elsewhere
    assert "script" not in tree.tags and not {"link", "img", "iframe"} & tree.tags
    assert not [n for n in doc.find_all() if "src" in n.attrs or "href" in n.attrs]
    assert doc.one("style").text.strip()

    assert doc.one(id="request-violations").text == "1"
    reached, total = (int(n) for n in doc.one(id="operations-reached").text.split(" / "))
    assert reached == 2 and total > 5  # every vendor's operations count, not only prevail's

    prevail = doc.one("details", id="vendor-prevail")
    assert "open" in prevail.attrs
    listing = prevail.one("tr", data_operation="listSessionRequests")
    assert listing.classes() == {"called"}
    assert listing.one("td", cls="reached", title="200").text == "1"
    assert listing.one("td", cls="never", title="422").text == "never"
    never = prevail.one("tr", data_operation="listSessions")
    assert never.classes() == {"never-called"}
    assert never.one("td", cls="calls").text == "never called"
    assert {cell.text for cell in never.find_all("td", cls="never")} == {"never"}
    untouched = doc.one("details", id="vendor-koreai")
    assert "open" not in untouched.attrs and not untouched.find_all("td", cls="reached")

    [row] = doc.one("table", id="violation-table").find_all("tr", cls="violation")
    assert row.one("td", cls="field").text == "body.session_request.deponent.role"
    assert row.one("td", cls="rule").text.endswith("/role/enum")
    assert SCRIPT in row.one("td", cls="message").text  # shown as text, escaped in the file
    assert SCRIPT not in page and "&lt;script&gt;" in page
    request = row.one("td", cls="request")
    assert request.one("code").text == "POST /api/v1/session_requests"
    assert request.one("span", cls="status").text == "201"


def test_html_report_goes_to_standard_output_without_output(lenient: ThreadedServer,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    with httpx.Client(base_url=lenient.url, headers=HEADERS) as client:
        client.get("/api/v1/sessions")
    assert main(["report", "--url", lenient.url, "--format", "html"]) == 0
    doc = parse(capsys.readouterr().out).root
    assert doc.one(id="no-violations") and doc.one(id="operations-reached").text.startswith("1 / ")


def _coverage(groups: int) -> dict[str, Any]:
    op = {"operation_id": "op<1>", "method": "GET", "path": "/a/<b>", "calls": groups, "statuses": {"200": groups},
          "documented_statuses": ["200"], "untested_statuses": [], "undocumented_statuses": [],
          "violations": [{"field": f"query.f{i}", "rule": "type", "message": "m", "count": 1} for i in range(groups)],
          "response_violations": []}
    summary = {"operations": 1, "exercised": 1, "documented_statuses": 1, "exercised_statuses": 1,
               "violations": groups, "response_violations": 0}
    return {"namespace": "ns\"<x>", "vendors": [{"vendor": "v", "operations": [op], "summary": summary}]}


def test_violation_rows_are_capped_and_forgotten_requests_show_the_operation() -> None:
    doc = parse(as_html(_coverage(MAX_VIOLATION_ROWS + 50))).root
    rows = doc.one("table", id="violation-table").find_all("tr", cls="violation")
    assert len(rows) == MAX_VIOLATION_ROWS
    assert doc.one("p", cls="more").text == "50 more violation groups not shown."
    assert rows[0].one("td", cls="request").text == "GET /a/<b> (no longer in the journal)"
    assert doc.one("title").text == 'Contract report: ns"<x>'


def test_the_newest_journaled_request_names_a_violation() -> None:
    entry = {"kind": "request", "operation_id": "op<1>", "method": "GET", "query": "f0=<i>", "status": 200,
             "violations": [{"field": "query.f0", "rule": "type", "message": "m"}], "response_violations": []}
    older, newer = dict(entry, path="/a/1"), dict(entry, path="/a/2")
    doc = parse(as_html(_coverage(1), [older, newer])).root
    request = doc.one("td", cls="request")
    assert request.one("code").text == "GET /a/2?f0=<i>" and request.one("span", cls="status").text == "200"
