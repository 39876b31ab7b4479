"""The README's Kore.ai example is real: the token command and the curl call fetch a recording whose
fileUrl serves the promised WAV."""

from __future__ import annotations

import io
import re
import wave
from pathlib import Path

import httpx
import orjson
import pytest

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.support import make_settings, run_readme_block

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Kore.ai SmartAssist"):README.index("## Namespaces, clock and the admin API")]
EXAMPLE = re.findall(r"```bash\n(.*?)```", SECTION, re.S)[0]


def test_the_koreai_section_comes_before_the_admin_api() -> None:
    assert "python3 -m simulator token koreai" in EXAMPLE and "-H \"auth: $TOKEN\"" in EXAMPLE


def test_the_koreai_example_fetches_a_recording_that_serves_a_wav() -> None:
    with ThreadedServer(create_app(make_settings())) as server:
        result = run_readme_block(EXAMPLE, server.url, timeout=60)
        assert result.returncode == 0, result.stderr
        body = orjson.loads(result.stdout)
        assert body["status"] == "success"
        [recording] = body["recording"]
        assert recording["fileName"].endswith("-merged.wav")
        download = httpx.get(recording["fileUrl"])
    assert download.status_code == 200 and download.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(download.content)) as audio:
        seconds = audio.getnframes() / audio.getframerate()
    promised = re.search(r"downloads a (\d+)-second WAV", SECTION)
    assert promised is not None and seconds == pytest.approx(float(promised.group(1)))
