"""Field semantics: the standard analyzer, flattening, dynamic mapping, _source includes and dates."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.core.esdates import DateError, from_millis, parse_date
from simulator.core.esfields import (
    DATE,
    DOUBLE,
    KEYWORD,
    LONG,
    TEXT,
    Field,
    Mapping,
    MappingConflict,
    _unicode_tokens,
    analyze_text,
    project,
)

NOW_MS = 1_737_385_200_000  # 2025-01-20T15:00:00Z


@pytest.mark.parametrize(("text", "tokens"), [
    ("The 2 QUICK Brown-Foxes jumped over the lazy dog's bone.",
     ["the", "2", "quick", "brown", "foxes", "jumped", "over", "the", "lazy", "dog's", "bone"]),
    ("shut up Benjamin!", ["shut", "up", "benjamin"]),
    ("I love this agent!", ["i", "love", "this", "agent"]),
    ("U.S.A. costs 3.14 or 1,000.50; e.g. foo_bar", ["u.s.a", "costs", "3.14", "or", "1,000.50", "e.g", "foo_bar"]),
    ("john@example.com http://telephony-connector.ai.vonage.com/api",
     ["john", "example.com", "http", "telephony", "connector.ai.vonage.com", "api"]),
    ("a.1 1.a ___ _x", ["a", "1", "1", "a", "_x"]),
    ("", []),
    ("!!! ... ---", []),
])
def test_standard_analyzer(text: str, tokens: list[str]) -> None:
    assert list(analyze_text(text)) == tokens


def test_standard_analyzer_outside_ascii() -> None:
    assert list(analyze_text("l'été à Zürich")) == ["l'été", "à", "zürich"]
    assert list(analyze_text("我爱北京")) == ["我", "爱", "北", "京"]  # one token per ideograph
    assert list(analyze_text("カタカナ ひらがな")) == ["カタカナ", "ひ", "ら", "が", "な"]
    assert list(analyze_text("ΣΟΦΙΑΣ")) == ["σοφιασ"]  # per code point: no final sigma, as Lucene lowercases
    assert list(analyze_text("great 😀 call")) == ["great", "😀", "call"]


def test_tokens_longer_than_255_are_split() -> None:
    assert [len(t) for t in analyze_text("x" * 600)] == [255, 255, 90]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abZ09_.,;:'- !?@/\n")), max_size=40))
def test_ascii_fast_path_segments_like_unicode_rules(text: str) -> None:
    assert list(analyze_text(text)) == _unicode_tokens(text)


def test_documents_flatten_arrays_and_objects() -> None:
    mapping = Mapping({"flow_path.type": "keyword", "flow_path.tags.tag": "keyword", "n": "long"})
    analyzed = mapping.analyze({"flow_path": [{"type": "start", "tags": []}, {"type": "speak", "tags": [
        {"tag": "two"}, {"tag": "three"}]}], "n": [1, [2, None]], "empty": None})
    assert analyzed["flow_path.type"] == (KEYWORD, ["start", "speak"])
    assert analyzed["flow_path.tags.tag"] == (KEYWORD, ["two", "three"])
    assert analyzed["n"] == (LONG, [1, 2])
    assert "empty" not in analyzed


def test_dynamic_mapping_learns_like_elasticsearch() -> None:
    mapping = Mapping({})
    learned: dict[str, Field | None] = {}
    analyzed = mapping.analyze({"flag": True, "count": 3, "ratio": 0.5, "when": "2025-01-20T10:00:00Z",
                                "note": "Hello World", "deep": {"er": "x"}, "dotted.key": 1}, learned)
    mapping.learn(learned)
    assert {path: mapping.field(path) for path in ("flag", "count", "ratio", "when", "note")} == {
        "flag": Field("boolean"), "count": Field(LONG), "ratio": Field(DOUBLE), "when": Field(DATE),
        "note": Field(TEXT, keyword_subfield=True)}
    assert mapping.field("note.keyword") == Field(KEYWORD)
    assert analyzed["note.keyword"] == (KEYWORD, ["Hello World"])
    assert mapping.is_object("deep") and mapping.field("dotted.key") == Field(LONG)
    long_text = mapping.analyze({"note": "y" * 300})
    assert "note.keyword" not in long_text  # ignore_above 256


@pytest.mark.parametrize("document", [
    {"count": "many"}, {"count": True}, {"count": {"nested": 1}}, {"deep": 5}, {"when": "soon"}, {"flag": "yes"},
    {"count": 2**70},
])
def test_values_that_do_not_fit_the_mapping_conflict(document: dict[str, Any]) -> None:
    mapping = Mapping({})
    learned: dict[str, Field | None] = {}
    mapping.analyze({"flag": True, "count": 3, "when": "2025-01-20", "deep": {"er": "x"}}, learned)
    mapping.learn(learned)
    with pytest.raises(MappingConflict):
        mapping.analyze(document, {})


def test_numbers_coerce_like_elasticsearch() -> None:
    mapping = Mapping({"n": "long", "d": "double", "k": "keyword", "b": "boolean"})
    analyzed = mapping.analyze({"n": ["7", 7.9], "d": "1.5", "k": [5, True, 1.5], "b": ["true", False, ""]})
    assert analyzed["n"] == (LONG, [7, 7])
    assert analyzed["d"] == (DOUBLE, [1.5])
    assert analyzed["k"] == (KEYWORD, ["5", "true", "1.5"])
    assert analyzed["b"] == ("boolean", [True, False, False])


def test_project_keeps_subtrees_and_drops_what_is_emptied() -> None:
    document = {"agent_information": {"name": "oriprod2", "id": "5f"}, "status": "ended", "empty": {},
                "flow_data": {"collected_tags": [{"tag": "two", "category": "c"}], "other": 1},
                "flow_path": [{"type": "start", "tags": []}, {"tags": [{"tag": "x"}]}]}
    assert project(document, ["agent_information.name", "flow_data.collected_tags", "status"]) == {
        "agent_information": {"name": "oriprod2"}, "status": "ended",
        "flow_data": {"collected_tags": [{"tag": "two", "category": "c"}]}}
    assert project(document, ["agent_information", "flow_data"]) == {
        "agent_information": document["agent_information"], "flow_data": document["flow_data"]}
    assert project(document, ["flow_path.type"]) == {"flow_path": [{"type": "start"}]}
    assert project(document, ["empty", "missing.path"]) == {"empty": {}}


@pytest.mark.parametrize(("text", "round_up", "expected"), [
    ("2020-10-08", False, "2020-10-08 00:00:00"),
    ("2020-10-08", True, "2020-10-08 23:59:59.999000"),
    ("2020-10", True, "2020-10-01 23:59:59.999000"),  # Elasticsearch fills month and day with 01
    ("2020-10-08T17:09:27.758983", False, "2020-10-08 17:09:27.758000"),
    ("2020-10-08T17:09:27+02:00", False, "2020-10-08 15:09:27"),
    ("2020-10-08T17", True, "2020-10-08 17:59:59.999000"),
    ("1602176967758", False, "2020-10-08 17:09:27.758000"),
    ("now", False, "2025-01-20 15:00:00"),
    ("now-1d/d", False, "2025-01-19 00:00:00"),
    ("now-1d/d", True, "2025-01-19 23:59:59.999000"),
    ("now/w", False, "2025-01-20 00:00:00"),
    ("2020-01-31||+1M", False, "2020-02-29 00:00:00"),
    ("2020-01-31||+1M/M", True, "2020-02-29 23:59:59.999000"),
    ("2014-11-18||/M", True, "2014-11-30 23:59:59.999000"),
])
def test_dates_and_date_math(text: str, round_up: bool, expected: str) -> None:
    assert str(from_millis(parse_date(text, round_up, NOW_MS))).removesuffix("+00:00") == expected


@pytest.mark.parametrize("text", ["yesterday", "2020-13-01", "2020-02-30", "now+1x", "2020-01-01||+", "9999||+1y"])
def test_bad_dates(text: str) -> None:
    with pytest.raises(DateError):
        parse_date(text, False, NOW_MS)
