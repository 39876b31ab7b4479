"""Fixtures are checked when they load: one line naming the file, where and what; hostile YAML is refused."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from simulator.app import VENDORS, create_app
from simulator.cli import main
from simulator.core.jsonlimits import MAX_DEPTH
from simulator.fixtures import MAX_FILE_BYTES, MAX_NODES, FixturesError, load
from simulator.settings import Settings
from simulator.testing.server import ThreadedServer, free_port
from tests.support import ROOT, make_settings, prevail_token

DEFAULT = (ROOT / "fixtures" / "default.yaml").read_text(encoding="utf-8")


def _file(tmp_path: Path, text: str, name: str = "fixtures.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _changed(old: str, new: str) -> str:
    assert DEFAULT.count(old) >= 1, old
    return DEFAULT.replace(old, new, 1)


def _problem(path: Path) -> str:
    with pytest.raises(FixturesError) as caught:
        load(path, VENDORS)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}:")
    return message


def test_the_default_fixtures_pass_their_checks() -> None:
    loaded = load(ROOT / "fixtures" / "default.yaml", VENDORS)
    assert set(loaded) == {plugin.name for plugin in VENDORS}


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("seed_requests: 72", "seed_requests: seventy-two",
     "prevail.organisations[0].seed_requests: must be an integer from 0 to 10000, not 'seventy-two'"),
    ("seed_requests: 72", "seed_request: 72",
     "prevail.organisations[0].seed_request: unknown key (did you mean 'seed_requests'?)"),
    ("vonage:", "vonnage:", "vonnage: unknown vendor (did you mean 'vonage'?); known vendors: koreai, prevail"),
    ("      region: eu", "      region: mars", "vonage.accounts[1].region: must be one of us, eu, not 'mars'"),
    ("      api_key: prevail-dev-key-acme-legal-4f9c2a7e1b\n", "",
     "prevail.organisations[0]: missing 'api_key', which is required"),
    ("slug: brightline-reporting", "slug: acme-legal",
     "prevail.organisations[1].slug: 'acme-legal' is already used by prevail.organisations[0]"),
    ('user_id: "+14155550123"', "user_id: +14155550123",
     "koreai.apps[0].calls[0].user_id: must be a string, not 14155550123 (put it in quotes)"),
    ("          bot_id: st-9c3e7a1d-2f4b-5d86-a0e1-7b9c2d4f6a81", "          bot_id: st-unknown",
     "koreai.apps[0].calls[0].bot_id: 'st-unknown' is not one of this app's bot_ids"),
    ("media_environment: PROD", "media_environment: PROD/../x",
     "koreai.media_environment: must be letters, digits, '_' or '-' (a URL path segment), not 'PROD/../x'"),
    ("      account_ids: [2a4c6e8f0b1d3f5a7c9e1b3d5f7a9c1e]", "      account_ids: [2a4c6e8f-typo]",
     "realtimekit.api_tokens[1].account_ids[0]: '2a4c6e8f-typo' is in no entry of realtimekit.accounts"),
    ("          seed_meetings: 10", "          seed_meetings: 1.5",
     "realtimekit.accounts[0].apps[0].seed_meetings: must be an integer from 0 to 1000, not 1.5"),
    ("  history_days: 90", "  history_days: true", "vonage.history_days: must be an integer from 1 to 3650, not true"),
    ("  schedule_delay_seconds: 3600", "  schedule_delay_seconds: .nan",
     "prevail.schedule_delay_seconds: must be a number from 0 to 3.1536e+08, not nan"),
], ids=["wrong-type", "misspelt-key", "unknown-vendor", "enum", "required", "duplicate", "unquoted", "reference",
        "pattern", "cross-reference", "float", "bool", "nan"])
def test_a_broken_value_is_named_by_its_path(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert expected in _problem(_file(tmp_path, _changed(old, new)))


@pytest.mark.parametrize(("text", "expected"), [
    ("prevail:\n", "prevail: must be a mapping, not null"),
    ("koreai:\n  apps: {}\n", "koreai.apps: must be a list, not a mapping"),
    ("- prevail\n", "must be a mapping of vendor sections (prevail, koreai, realtimekit, vonage), not a list"),
    ("prevail: {}\nprevail: {}\n", ":2:1: duplicate key 'prevail' in a mapping"),
    ("prevail:\n  organisations: [\n  - slug: x\n", ":3:3: while parsing a flow "),
    ("prevail: {organisations: [{slug: a, api_key: b}]\n", ":2:1: while parsing a flow mapping:"),
])
def test_structure_and_yaml_errors_are_one_line(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in _problem(_file(tmp_path, text))


def test_an_empty_file_is_no_tenants(tmp_path: Path) -> None:
    assert load(_file(tmp_path, ""), VENDORS) == {}


def test_every_key_the_vendors_read_is_accepted_and_served(tmp_path: Path) -> None:
    """Optional keys beyond the default file: each one the seed code reads loads, and the server uses it."""
    text = _changed("  history_days: 90", "  history_days: 30\n  sessions_per_account: 20")
    text = text.replace("      seed_sessions: 500\n", "")
    text = text.replace("          recordings: 1", "          recordings: 2\n          has_media: true\n"
                        "        - session_id: still-talking\n"
                        "          bot_id: st-9c3e7a1d-2f4b-5d86-a0e1-7b9c2d4f6a81\n"
                        "          duration_seconds: null")
    text = text.replace("seed_requests: 72", "seed_requests: 3")
    text = text.replace("seed_calls_per_bot: 10", "seed_calls_per_bot: 2")
    path = _file(tmp_path, text)
    load(path, VENDORS)
    with ThreadedServer(create_app(make_settings(fixtures=path))) as server:
        prevail = httpx.get(f"{server.url}/api/v1/session_requests", timeout=30,
                            headers={"Authorization": f"Bearer {prevail_token()}"})
        assert prevail.status_code == 200, prevail.text
        calls = httpx.get(f"{server.url}/_sim/koreai/calls", timeout=30).json()
        assert "still-talking" in str(calls)


def test_the_server_refuses_to_start_on_a_broken_file(tmp_path: Path) -> None:
    """A broken value used to surface as a 500 "Simulator bug" on the first request; now nothing starts."""
    path = _file(tmp_path, _changed("seed_requests: 72", "seed_requests: seventy-two"))
    with pytest.raises(FixturesError, match="seed_requests"):
        create_app(Settings(fixtures=path))


def _bomb(levels: int = 10) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("text", "expected"), [
    (_bomb(), f"more than {MAX_NODES} values once aliases are expanded"),
    ("prevail: " + "[" * 100_000 + "]" * 100_000 + "\n", f"nested more than {MAX_DEPTH} levels deep"),
    ("a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 40 + "*a" + "]" * 40 + "\n",
     f"nested more than {MAX_DEPTH} levels deep once aliases are expanded"),
    ("prevail: &a {organisations: *a}\n", "alias *a refers to no finished anchor"),
    ("a: &x 1\nb: &x 2\n", "anchor &x is defined twice"),
], ids=["billion-laughs", "deep", "deep-through-an-alias", "recursive", "anchor-twice"])
def test_hostile_yaml_is_refused_quickly(tmp_path: Path, text: str, expected: str) -> None:
    path = _file(tmp_path, text)
    started = time.perf_counter()
    assert expected in _problem(path)
    assert time.perf_counter() - started < 2


def test_anchors_and_merge_keys_still_work(tmp_path: Path) -> None:
    text = ("prevail:\n  organisations:\n    - &org {slug: a, api_key: k1, seed_requests: 1}\n"
            "    - <<: *org\n      slug: b\n      api_key: k2\n")
    loaded = load(_file(tmp_path, text), VENDORS)
    assert [org["slug"] for org in loaded["prevail"]["organisations"]] == ["a", "b"]
    assert loaded["prevail"]["organisations"][1]["seed_requests"] == 1


def test_a_huge_or_unreadable_file_is_one_line(tmp_path: Path) -> None:
    assert "larger than 4 MiB" in _problem(_file(tmp_path, "#" * (MAX_FILE_BYTES + 1)))
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"prevail: \xff\n")
    assert "not UTF-8" in _problem(binary)
    assert "No such file" in _problem(tmp_path / "missing.yaml")


def _serve(fixtures: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
    return subprocess.run([sys.executable, "-m", "simulator", "serve", "--port", str(free_port()),
                           "--fixtures", str(fixtures)], capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("seed_requests: 72", "seed_requests: seventy-two", "prevail.organisations[0].seed_requests: must be an integer"),
    ("  history_days: 90", "  history_days: [90", ":100:3: while parsing a flow sequence"),
], ids=["schema", "yaml"])
def test_serve_with_broken_fixtures_exits_2_with_one_line(tmp_path: Path, old: str, new: str, expected: str) -> None:
    path = _file(tmp_path, _changed(old, new))
    result = _serve(path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"simulator: {path}")
    assert expected in result.stderr


def test_the_readme_shows_what_the_loader_says(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Fixtures\n", 1)[1].split("\n## ", 1)[0]
    shown = re.findall(r"```text\n(.*?)```", section, re.S)[0].splitlines()
    changes = [("seed_requests: 72", "seed_requests: seventy-two"), ("seed_requests: 72", "seed_request: 72"),
               ("vonage:", "vonnage:"), ("  history_days: 90", "  history_days: [90")]
    said = []
    for old, new in changes:
        path = _file(tmp_path, _changed(old, new), "my.yaml")
        assert main(["credentials", "--fixtures", str(path)]) == 2
        said.append(capsys.readouterr().err.strip().replace(str(path), "my.yaml"))
    assert said == shown


# --- hand-made records (records: in a vendor's section, as a state document's tables) ---------------

NOTES_RECORDS = """
notes:
  records:
    notes:
      seeded-0: replaced by hand
      hand-made: hello
"""


def _with_notes(tmp_path: Path, section: str) -> Path:
    path = tmp_path / "notes.yaml"
    path.write_text((ROOT / "fixtures" / "default.yaml").read_text(encoding="utf-8") + section, encoding="utf-8")
    return path


def test_records_are_checked_against_the_vendors_codec_schema(tmp_path: Path) -> None:
    from tests.admin.notes_vendor import WITH_NOTES

    path = _with_notes(tmp_path, NOTES_RECORDS.replace("hello", "[1, 2]"))
    with pytest.raises(FixturesError) as refused:
        load(path, WITH_NOTES)
    assert str(refused.value) == f'{path}: notes.records.notes.hand-made: [1,2] is not of type "string"'
    path = _with_notes(tmp_path, NOTES_RECORDS.replace("    notes:\n", "    notez:\n"))
    with pytest.raises(FixturesError, match=r"notes\.records: Additional properties are not allowed"):
        load(path, WITH_NOTES)


def test_a_vendor_without_a_codec_takes_no_records(tmp_path: Path) -> None:
    import dataclasses

    from tests.admin.notes_vendor import NOTES

    with pytest.raises(FixturesError, match=r"notes\.records: unknown key"):
        load(_with_notes(tmp_path, NOTES_RECORDS), (*VENDORS, dataclasses.replace(NOTES, records=None)))


def test_records_merge_over_the_seeded_ones_on_first_touch(tmp_path: Path) -> None:
    from tests.admin.notes_vendor import WITH_NOTES

    settings = make_settings(fixtures=_with_notes(tmp_path, NOTES_RECORDS))
    with ThreadedServer(create_app(settings, WITH_NOTES)) as server:
        notes = httpx.get(f"{server.url}/_ns/a/notes/v1/notes").json()
        assert notes["seeded-0"] == "replaced by hand" and notes["hand-made"] == "hello" and "seeded-1" in notes
        httpx.post(f"{server.url}/_ns/a/_sim/reset", json={"empty": True}).raise_for_status()
        assert httpx.get(f"{server.url}/_ns/a/notes/v1/notes").json() == {}
