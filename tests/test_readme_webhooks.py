"""The README's "Adversarial webhooks" example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SECTION = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8") \
    .split("### Adversarial webhooks\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]


def test_the_postback_receiver_example_passes_as_written(pytester: pytest.Pytester) -> None:
    [example] = re.findall(r"```python\n(.*?)```", SECTION, re.S)
    assert '"bad_signature"' in example and "jwt.decode(" in example
    pytester.makepyfile(test_postback_receiver=example)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=1)
