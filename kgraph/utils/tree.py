"""Flatten and rebuild nested lists, tuples and dicts of tensors (call arguments, outputs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def flatten(structure: Any) -> list:
    """Leaves of ``structure`` in a stable order (dicts by sorted key)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    return [structure]


def map_structure(fn: Callable[[Any], Any], structure: Any) -> Any:
    """Applies ``fn`` to every leaf, keeping the nesting."""
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    return fn(structure)


def pack_like(structure: Any, leaves: list) -> Any:
    """Puts ``leaves`` (as returned by ``flatten``) back into the nesting of ``structure``."""
    it = iter(leaves)

    def take(node):
        if isinstance(node, (list, tuple)):
            return type(node)(take(item) for item in node)
        if isinstance(node, dict):
            return {key: take(node[key]) for key in sorted(node)}
        return next(it)

    return take(structure)
