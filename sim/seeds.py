"""One seed drives everything; each component gets its own stream derived by name.

Deriving by name (not by drawing from a parent stream) means adding a component never shifts
another component's numbers.
"""

from __future__ import annotations

import hashlib
import random

__all__ = ["derive_seed", "stream"]


def derive_seed(seed: int, *names: str) -> int:
    digest = hashlib.sha256(":".join([str(seed), *names]).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def stream(seed: int, *names: str) -> random.Random:
    """A private ``random.Random`` for one component (never the global one)."""
    return random.Random(derive_seed(seed, *names))
