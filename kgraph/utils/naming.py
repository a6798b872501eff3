"""Automatic, Keras-style object names: ``dense``, ``dense_1``, ``dense_2`` …"""

from __future__ import annotations

import re
from collections import Counter

_COUNTS: Counter[str] = Counter()


def to_snake_case(name: str) -> str:
    """``Conv2D`` → ``conv2d``, ``MaxPooling2D`` → ``max_pooling2d``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def auto_name(prefix: str) -> str:
    """A name unique in this process for objects called ``prefix``."""
    count = _COUNTS[prefix]
    _COUNTS[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def reset() -> None:
    """Forgets the names given so far (``kgraph.backend.clear_session``)."""
    _COUNTS.clear()
