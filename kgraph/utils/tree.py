"""Nested structures of tensors (call arguments, outputs, batches) with ``keras.tree``'s rules.

Keras walks structures with optree; kgraph does it in plain Python with the same rules, so a
structure flattens, maps and repacks identically in both:

* the nodes are exactly ``list``, ``tuple``, ``dict``, ``collections.OrderedDict``,
  ``collections.defaultdict``, ``collections.deque``, namedtuples, struct sequences
  (``time.struct_time``) and classes given to :func:`register_tree_node_class`; anything else,
  subclasses of ``list`` or ``dict`` included, is a leaf, and so is ``None`` (unless a caller
  asks for ``none_is_leaf=False``);
* a ``dict`` or ``defaultdict`` gives its values in sorted-key order and an ``OrderedDict`` in
  its own order, while a rebuilt dict keeps the key order of the structure it mirrors;
* structures walked together must match node for node, else ``ValueError``.

``kgraph.tree`` exports the public names; the rest of kgraph imports this module.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

_REGISTERED: dict[type, None] = {}
_DICTS = (dict, collections.OrderedDict, collections.defaultdict)
_DICT_NAMES = "dict, collections.OrderedDict, or collections.defaultdict"


def register_tree_node_class(cls):
    """Makes instances of ``cls`` nodes: ``obj.tree_flatten()`` returns ``(children, aux)``
    and ``cls.tree_unflatten(aux, children)`` rebuilds one. Returns ``cls`` (a decorator)."""
    _REGISTERED[cls] = None
    return cls


def _kind(node: Any, none_is_leaf: bool = True) -> str | None:
    """The node kind of ``node`` (``None`` for a leaf)."""
    cls = type(node)
    if cls is list or cls is tuple or cls is collections.deque:
        return cls.__name__
    if cls in _DICTS:
        return "dict"
    if node is None:
        return None if none_is_leaf else "none"
    if isinstance(node, tuple):
        if hasattr(cls, "_fields"):
            return "namedtuple"
        if hasattr(cls, "n_sequence_fields"):
            return "structseq"
    if cls in _REGISTERED:
        return "registered"
    return None


def _sorted_keys(mapping) -> list:
    if type(mapping) is collections.OrderedDict:
        return list(mapping)
    try:
        return sorted(mapping)
    except TypeError:  # mixed key types: by type name, then value
        try:
            return sorted(mapping, key=lambda k: (type(k).__qualname__, k))
        except TypeError:
            return list(mapping)


def _children(node: Any, kind: str) -> tuple[list, list]:
    """``(keys, children)`` of a node, in flattening order."""
    if kind == "dict":
        keys = _sorted_keys(node)
        return keys, [node[key] for key in keys]
    if kind == "registered":
        children = list(node.tree_flatten()[0])
    elif kind == "none":
        children = []
    else:
        children = list(node)
    return list(range(len(children))), children


def _rebuild(node: Any, kind: str, keys: list, children: list) -> Any:
    """A node of ``node``'s type holding ``children`` (given in flattening order)."""
    cls = type(node)
    if kind in ("list", "tuple"):
        return cls(children)
    if kind == "dict":
        by_key = dict(zip(keys, children))
        ordered = [(key, by_key[key]) for key in node]
        if cls is collections.defaultdict:
            return collections.defaultdict(node.default_factory, ordered)
        return cls(ordered)
    if kind == "namedtuple":
        return cls(*children)
    if kind == "structseq":
        return cls(children)
    if kind == "deque":
        return collections.deque(children, maxlen=node.maxlen)
    if kind == "registered":
        return cls.tree_unflatten(node.tree_flatten()[1], children)
    return None  # kind "none"


def _mismatch(expected: str, other: Any) -> ValueError:
    return ValueError(f"Expected an instance of {expected}, got {other!r}.")


def _matching_children(node: Any, kind: str, keys: list, other: Any) -> list:
    """The children of ``other`` that line up with ``node``'s, or Keras' ``ValueError``."""
    if kind == "dict":
        if type(other) not in _DICTS:
            raise _mismatch(_DICT_NAMES, other)
        if set(other) != set(node):
            missing = [key for key in keys if key not in other]
            extra = [key for key in _sorted_keys(other) if key not in node]
            raise ValueError(
                f"dictionary key mismatch; expected key(s): {keys}, got key(s): "
                f"{_sorted_keys(other)}, missing key(s): {missing}, extra key(s): {extra}; "
                f"{type(node).__name__}: {dict(other)!r}."
            )
        return [other[key] for key in keys]
    if kind == "none":
        if other is not None:
            raise ValueError(f"Expected None, got {other!r}.")
        return []
    if type(other) is not type(node):
        if kind == "namedtuple" and _kind(other) == "namedtuple":
            raise ValueError(
                f"namedtuple type mismatch; expected type: {type(node)}, got type: "
                f"{type(other)}; tuple: {other!r}."
            )
        name = {"namedtuple": "collections.namedtuple", "deque": "collections.deque"}
        raise _mismatch(name.get(kind, type(node).__qualname__), other)
    children = _children(other, kind)[1]
    if len(children) != len(keys):
        raise ValueError(
            f"{kind} arity mismatch; expected: {len(keys)}, got: {len(children)}; "
            f"{kind}: {other!r}."
        )
    return children


def is_nested(structure: Any) -> bool:
    """Whether ``structure`` is a node (a list, tuple, dict, namedtuple, ...), not a leaf."""
    return _kind(structure) is not None


def flatten(structure: Any) -> list:
    """The leaves of ``structure``, depth first (dicts by sorted key); a leaf gives ``[leaf]``."""
    kind = _kind(structure)
    if kind is None:
        return [structure]
    return [leaf for child in _children(structure, kind)[1] for leaf in flatten(child)]


def _leaves_up_to(shallow: Any, other: Any, none_is_leaf: bool, out: list) -> None:
    """Appends the sub-structures of ``other`` found at ``shallow``'s leaves to ``out``."""
    kind = _kind(shallow, none_is_leaf)
    if kind is None:
        out.append(other)
        return
    keys, children = _children(shallow, kind)
    for child, other_child in zip(children, _matching_children(shallow, kind, keys, other)):
        _leaves_up_to(child, other_child, none_is_leaf, out)


def _pack(structure: Any, leaves, none_is_leaf: bool = True) -> Any:
    kind = _kind(structure, none_is_leaf)
    if kind is None:
        return next(leaves)
    keys, children = _children(structure, kind)
    return _rebuild(
        structure, kind, keys, [_pack(child, leaves, none_is_leaf) for child in children]
    )


def _count(structure: Any, none_is_leaf: bool = True) -> int:
    kind = _kind(structure, none_is_leaf)
    if kind is None:
        return 1
    return sum(_count(child, none_is_leaf) for child in _children(structure, kind)[1])


def pack_sequence_as(structure: Any, flat_sequence) -> Any:
    """Puts the leaves ``flat_sequence`` (in :func:`flatten`'s order) back into the nesting of
    ``structure``. Raises ``ValueError`` when the number of leaves differs."""
    try:
        leaves = list(flat_sequence)
    except TypeError:
        raise TypeError(
            f"`flat_sequence` must be an iterable of leaves. Received: {flat_sequence!r}"
        ) from None
    expected = _count(structure)
    if len(leaves) < expected:
        raise ValueError(
            f"Too few leaves for the structure; expected: {expected}, got: {len(leaves)}."
        )
    if len(leaves) > expected:
        raise ValueError(f"Too many leaves for the structure; expected: {expected}.")
    return _pack(structure, iter(leaves))


pack_like = pack_sequence_as  # the older kgraph name, used across the package


def _map_one(func: Callable, structure: Any, none_is_leaf: bool) -> Any:
    kind = _kind(structure, none_is_leaf)
    if kind is None:
        return func(structure)
    keys, children = _children(structure, kind)
    mapped = [_map_one(func, child, none_is_leaf) for child in children]
    return _rebuild(structure, kind, keys, mapped)


def _map(func: Callable, structures: tuple, none_is_leaf: bool, check_leaves: bool) -> Any:
    first = structures[0]
    if len(structures) == 1:
        return _map_one(func, first, none_is_leaf)
    columns = [flatten_up_to(first, s, none_is_leaf) for s in structures]
    if check_leaves and len(structures) > 1:
        inner = func

        def func(*args):
            if any(_kind(arg, none_is_leaf) is not None for arg in args):
                raise ValueError("Structures don't have the same nested structure.")
            return inner(*args)

    return _pack(first, iter([func(*args) for args in zip(*columns)]), none_is_leaf)


def flatten_up_to(shallow: Any, structure: Any, none_is_leaf: bool = True) -> list:
    """The sub-structures of ``structure`` at the leaves of ``shallow`` (which must be a
    prefix of it, else ``ValueError``)."""
    out: list = []
    _leaves_up_to(shallow, structure, none_is_leaf, out)
    return out


def map_structure(func: Callable, *structures: Any, none_is_leaf: bool = True) -> Any:
    """``func`` applied leaf by leaf across ``structures`` (all nested alike), keeping the
    nesting of the first; with ``none_is_leaf=False`` a ``None`` stays ``None``."""
    if not structures:
        raise ValueError("Must provide at least one structure")
    return _map(func, structures, none_is_leaf, check_leaves=True)


def map_structure_up_to(shallow_structure: Any, func: Callable, *structures: Any) -> Any:
    """``func`` applied to the sub-structures of ``structures`` found at the leaves of
    ``shallow_structure``; deeper parts are passed whole.

    Keras documents ``None`` leaves in ``shallow_structure`` (``[None, None]``) but its optree
    implementation rejects them; kgraph accepts them as documented.
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    columns = [flatten_up_to(shallow_structure, s) for s in structures]
    return _pack(shallow_structure, iter([func(*args) for args in zip(*columns)]))


def assert_same_structure(a: Any, b: Any) -> None:
    """Raises ``ValueError`` unless ``a`` and ``b`` nest alike (dict kinds are interchangeable;
    list, tuple, namedtuple and deque are not)."""
    _map(lambda x, y: None, (a, b), none_is_leaf=True, check_leaves=True)
