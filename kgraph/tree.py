"""``keras.tree``: flatten, map and rebuild nested structures with Keras' rules.

The nodes are lists, tuples, dicts (``dict`` and ``defaultdict`` by sorted key,
``OrderedDict`` in its own order), namedtuples and deques; ``None`` and everything else are
leaves. Programs that build or unpack model inputs and outputs with ``keras.tree`` get the same
orders and the same ``ValueError``s here. The implementation lives in ``kgraph.utils.tree``,
which the rest of kgraph uses, so the public functions and kgraph's own plumbing agree.
"""

from __future__ import annotations

import warnings
from typing import Any

from kgraph.utils.tree import (
    assert_same_structure as _assert_same_structure,
)
from kgraph.utils.tree import (
    flatten,
    is_nested,
    map_structure,
    map_structure_up_to,
    pack_sequence_as,
)
from kgraph.utils.tree_walk import (
    MAP_TO_NONE,
    assert_same_paths,
    flatten_with_path,
    lists_to_tuples,
    map_shape_structure,
    traverse,
)


def assert_same_structure(a: Any, b: Any, check_types: bool | None = None) -> None:
    """Raises ``ValueError`` unless ``a`` and ``b`` nest alike. ``check_types`` is Keras'
    deprecated flag: it changes nothing and warns (use ``assert_same_paths`` for a check that
    ignores container types)."""
    if check_types is not None:
        if check_types:
            message = (
                "The `check_types` argument is deprecated and no longer has any effect, "
                "please remove."
            )
        else:
            message = (
                "The `check_types` argument is deprecated and no longer has any effect. "
                "For a looser check, use `keras.tree.assert_same_paths()`, which considers "
                "`list`, `tuple`, `namedtuple` and `deque` as matching"
            )
        warnings.warn(message, DeprecationWarning, stacklevel=2)
    _assert_same_structure(a, b)


__all__ = [
    "MAP_TO_NONE",
    "assert_same_paths",
    "assert_same_structure",
    "flatten",
    "flatten_with_path",
    "is_nested",
    "lists_to_tuples",
    "map_shape_structure",
    "map_structure",
    "map_structure_up_to",
    "pack_sequence_as",
    "traverse",
]
