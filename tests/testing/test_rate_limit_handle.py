"""``simulator.rate_limit(...)`` in the pytest plugin, and the README's rate-limit example, run as users run them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _subsection_python(title: str) -> list[str]:
    body = re.split(r"\n##+ ", README.split(f"\n### {title}\n", 1)[1], maxsplit=1)[0]
    return re.findall(r"```python\n(.*?)```", body, re.S)


def test_the_readme_rate_limit_example_passes_as_written(pytester: pytest.Pytester) -> None:
    (example,) = _subsection_python("Rate limits")
    pytester.makepyfile(test_backoff=example)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=1)


def test_rate_limit_set_preset_refusal_and_clear(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        def test_handle(simulator):
            limit = simulator.rate_limit("vonage", capacity=1, refill_per_second=2, per="namespace")
            assert limit == {"vendor": "vonage", "capacity": 1, "refill_per_second": 2, "per": "namespace",
                             "buckets": 0}
            assert simulator.rate_limit("realtimekit", preset="vendor")["capacity"] == 1200
            with pytest.raises(AssertionError, match="realtimekit"):
                simulator.rate_limit("koreai", preset="vendor")
            api = httpx.Client(base_url=simulator.base_url("vonage"))
            assert api.get("/insights/sessions/x").status_code == 401
            assert api.get("/insights/sessions/x").status_code == 429
            simulator.clear_rate_limits("vonage")
            assert api.get("/insights/sessions/x").status_code == 401
            simulator.clear_rate_limits()
            assert simulator.http.get("/_sim/rate-limits").json()["limits"] == []
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=1)
