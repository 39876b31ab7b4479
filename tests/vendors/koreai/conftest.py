from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import Sim
from tests.vendors.koreai.helpers import Koreai


@pytest.fixture
def kore(sim: Sim) -> Iterator[Koreai]:
    client = Koreai(sim)
    yield client
    client.close()
