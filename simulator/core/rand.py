"""Seeded randomness. The only module that creates random generators.

A :class:`SeededSource` is derived from the server seed and a scope name (for example
``"prevail"`` or ``"prevail:transcript:abc"``), never from the namespace, so every namespace starts
from the same data and two runs with the same seed produce the same bytes. Child sources let a
generator draw per-entity values in any order without disturbing the others.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import threading
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Faker costs ~150 ms to import; it is loaded only when data is first generated.
    from faker import Faker

_fakers = threading.local()


def _shared_faker() -> Faker:
    """One Faker instance per thread, reseeded before each use: building one costs ~25 ms.

    Per thread because namespaces seed on a worker thread while requests are served on the event
    loop's: two streams sharing one instance would interleave and lose determinism.
    """
    faker: Faker | None = getattr(_fakers, "instance", None)
    if faker is None:
        from faker import Faker

        faker = _fakers.instance = Faker("en_US")
    return faker


def secret_token() -> str:
    """An unguessable token (the admin token). Deliberately not seeded: a secret must not be reproducible."""
    return secrets.token_urlsafe(24)


def derive_seed(*parts: object) -> int:
    digest = hashlib.sha256(":".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


class SeededSource:
    """A deterministic random stream with Faker attached."""

    def __init__(self, seed: int, scope: str):
        self.seed = seed
        self.scope = scope
        self.random = random.Random(derive_seed(seed, scope))

    def child(self, name: str) -> SeededSource:
        return SeededSource(self.seed, f"{self.scope}:{name}")

    @property
    def fake(self) -> Faker:
        """Faker bound to this stream: it is reseeded from the stream on every access."""
        faker = _shared_faker()
        faker.seed_instance(self.random.getrandbits(64))
        return faker

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def hex(self, length: int) -> str:
        return f"{self.random.getrandbits(length * 4):0{length}x}"

    def digits(self, length: int) -> str:
        return "".join(str(self.random.randrange(10)) for _ in range(length))

    def integer(self, low: int, high: int) -> int:
        return self.random.randint(low, high)

    def uniform(self, low: float, high: float) -> float:
        return self.random.uniform(low, high)

    def chance(self, probability: float) -> bool:
        return self.random.random() < probability

    def choice(self, options: list[Any] | tuple[Any, ...]) -> Any:
        return self.random.choice(options)

    def sample(self, options: list[Any] | tuple[Any, ...], count: int) -> list[Any]:
        return self.random.sample(list(options), count)

    def bytes(self, length: int) -> bytes:
        return self.random.randbytes(length)
