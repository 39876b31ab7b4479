"""Parsed specs are kept between runs, keyed by the spec's bytes; any trouble falls back to parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.core import cachedir
from simulator.core import spec as spec_module
from simulator.core.spec import Spec, specs_dir

SPEC = """openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /things:
    get:
      operationId: listThings
      responses:
        200: {description: ok}
"""


def _counting_parser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    real = spec_module._parse_yaml

    def parse(text: str) -> object:
        parsed.append(text)
        return real(text)

    monkeypatch.setattr(spec_module, "_parse_yaml", parse)
    return parsed


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cachedir.CACHE_ENV, str(folder))
    return folder


def test_a_spec_is_parsed_once_and_read_back_identical(cache: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _counting_parser(monkeypatch)
    path = tmp_path / "things.yaml"
    path.write_text(SPEC)
    first, second = Spec.load(path), Spec.load(path)
    assert len(parsed) == 1
    assert second.document == first.document
    assert 200 in second.document["paths"]["/things"]["get"]["responses"]  # YAML's int keys survive
    assert [op.operation_id for op in second.operations] == ["listThings"]


def test_the_shipped_specs_read_back_as_parsed(cache: Path) -> None:
    for path in sorted(specs_dir().glob("*.yaml")):
        assert Spec.load(path).document == spec_module._parse_yaml(path.read_text(encoding="utf-8"))
        assert Spec.load(path).document == spec_module._parse_yaml(path.read_text(encoding="utf-8"))  # cached


def test_an_edited_spec_is_parsed_again(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _counting_parser(monkeypatch)
    path = tmp_path / "things.yaml"
    path.write_text(SPEC)
    Spec.load(path)
    path.write_text(SPEC.replace("listThings", "listStuff"))
    assert list(Spec.load(path).by_id) == ["listStuff"]
    assert len(parsed) == 2


def test_a_damaged_entry_is_parsed_again(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "things.yaml"
    path.write_text(SPEC)
    Spec.load(path)
    for entry in (cache / "specs").iterdir():
        entry.write_bytes(b"\x00garbage")
    parsed = _counting_parser(monkeypatch)
    assert list(Spec.load(path).by_id) == ["listThings"]
    assert len(parsed) == 1


def test_an_unwritable_cache_or_off_still_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "things.yaml"
    path.write_text(SPEC)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for setting in (str(blocker / "cache"), "off"):
        monkeypatch.setenv(cachedir.CACHE_ENV, setting)
        assert list(Spec.load(path).by_id) == ["listThings"]
    assert not (blocker.parent / "cache").exists()
