"""The rest of ``keras.tree``: paths, ``traverse`` and the shape-aware map, on the node rules
of :mod:`kgraph.utils.tree` (split out to keep that module, which the whole package imports,
small)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kgraph.utils.tree import _children, _kind, _rebuild


class MAP_TO_NONE:  # noqa: N801  (Keras' name)
    """Returned by a :func:`traverse` function to put ``None`` in place of a sub-structure
    (returning ``None`` itself means "no replacement")."""


def flatten_with_path(structure: Any) -> list:
    """``(path, leaf)`` pairs in :func:`flatten`'s order; a path is the tuple of indices and
    dict keys leading to the leaf (namedtuples use indices)."""
    kind = _kind(structure)
    if kind is None:
        return [((), structure)]
    keys, children = _children(structure, kind)
    return [
        ((key, *path), leaf)
        for key, child in zip(keys, children)
        for path, leaf in flatten_with_path(child)
    ]


def assert_same_paths(a: Any, b: Any) -> None:
    """Raises ``ValueError`` unless ``a`` and ``b`` have the same leaf paths, whatever their
    container types."""
    a_paths = {path for path, _ in flatten_with_path(a)}
    b_paths = {path for path, _ in flatten_with_path(b)}
    if a_paths != b_paths:
        msg = "`a` and `b` don't have the same paths."
        if a_paths - b_paths:
            msg += f"\nPaths in `a` missing in `b`:\n{a_paths - b_paths}"
        if b_paths - a_paths:
            msg += f"\nPaths in `b` missing in `a`:\n{b_paths - a_paths}"
        raise ValueError(msg)


def traverse(func: Callable, structure: Any, top_down: bool = True) -> Any:
    """Calls ``func`` on every sub-structure, parents first (``top_down``) or last. A result
    other than ``None`` replaces that sub-structure (top-down, without visiting inside it);
    :class:`MAP_TO_NONE` replaces it with ``None``."""

    def children_traversed():
        kind = _kind(structure)
        if kind is None:
            return structure
        keys, children = _children(structure, kind)
        return _rebuild(
            structure, kind, keys, [traverse(func, c, top_down=top_down) for c in children]
        )

    if top_down:
        result = func(structure)
        if result is None:
            return children_traversed()
    else:
        structure = children_traversed()
        result = func(structure)
        if result is None:
            return structure
    return None if result is MAP_TO_NONE else result


def lists_to_tuples(structure: Any) -> Any:
    """``structure`` with every list turned into a tuple."""
    return traverse(
        lambda node: tuple(node) if isinstance(node, list) else None, structure, top_down=False
    )


def _is_shape(node: Any) -> bool:
    return isinstance(node, (list, tuple)) and all(
        isinstance(dim, (int, type(None))) for dim in node
    )


def map_shape_structure(func: Callable, structure: Any) -> Any:
    """:func:`map_structure` where lists and tuples of ints and ``None`` (shapes) are leaves."""
    if _is_shape(structure) or _kind(structure) is None:
        return func(structure)
    kind = _kind(structure)
    keys, children = _children(structure, kind)
    return _rebuild(structure, kind, keys, [map_shape_structure(func, c) for c in children])
