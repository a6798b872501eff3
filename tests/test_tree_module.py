"""``kgraph.tree``: Keras' structure rules with expected values written out here (the Keras
comparison is in ``tests/oracle/test_tree_preprocessing_keras.py``)."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest

import kgraph
from kgraph import tree
from kgraph.utils import tree as internal_tree

Point = collections.namedtuple("Point", "y x")


def test_flatten_orders_dicts_by_key_and_ordered_dicts_by_insertion() -> None:
    assert tree.flatten({100: "world!", 6: "Hello"}) == ["Hello", "world!"]
    assert tree.flatten([[1, 2, 3], [4, [5], [[6]]]]) == [1, 2, 3, 4, 5, 6]
    ordered = collections.OrderedDict([("b", 1), ("a", 2)])
    assert tree.flatten(ordered) == [1, 2]
    assert tree.flatten(collections.defaultdict(int, {"b": 1, "a": 2})) == [2, 1]
    assert tree.flatten(None) == [None] and tree.flatten([None, []]) == [None]


def test_only_the_standard_containers_are_nodes() -> None:
    class MyList(list):
        pass

    assert tree.flatten([MyList([1, 2])]) == [MyList([1, 2])]
    assert tree.flatten(Point(1, collections.deque([2, 3]))) == [1, 2, 3]
    array = np.arange(3)
    assert tree.flatten([array])[0] is array
    assert [tree.is_nested(v) for v in (1, None, "ab", (), {}, Point(1, 2))] == [
        False,
        False,
        False,
        True,
        True,
        True,
    ]


def test_map_structure_keeps_types_and_key_order() -> None:
    out = tree.map_structure(lambda v: v * 2, {"b": 1, "a": Point(2, [3])})
    assert list(out) == ["b", "a"] and out["a"] == Point(4, [6])
    assert type(out["a"]) is Point
    limited = tree.map_structure(str, collections.deque([1, 2], maxlen=3))
    assert limited.maxlen == 3 and list(limited) == ["1", "2"]
    assert tree.map_structure(lambda a, b: a * b, [[1], [2]], [[3], [4]]) == [[3], [8]]
    assert tree.map_structure(lambda v: 0, [1, None], none_is_leaf=False) == [0, None]
    assert tree.map_structure(lambda v: 0, [1, None]) == [0, 0]


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ([1, 2], (1, 2), "Expected an instance of list, got (1, 2)."),
        ([1, 2], [1, 2, 3], "list arity mismatch; expected: 2, got: 3"),
        ([1, 2], [1, [2]], "Structures don't have the same nested structure."),
        ({"a": 1}, {"c": 1}, "dictionary key mismatch"),
        (Point(1, 2), (1, 2), "Expected an instance of collections.namedtuple"),
    ],
)
def test_mismatched_structures_raise_value_error(a, b, message) -> None:
    with pytest.raises(ValueError, match="^" + __import__("re").escape(message)):
        tree.map_structure(lambda x, y: x, a, b)
    with pytest.raises(ValueError):
        tree.assert_same_structure(a, b)


def test_dict_kinds_match_each_other() -> None:
    tree.assert_same_structure({"a": 1, "b": 2}, collections.OrderedDict(b=3, a=4))
    out = tree.map_structure(
        lambda a, b: a + b, {"a": 1, "b": 2}, collections.OrderedDict(b=3, a=4)
    )
    assert out == {"a": 5, "b": 5}


def test_pack_sequence_as_round_trips_and_counts_leaves() -> None:
    structure = {"key3": {"c": ("alpha", "beta"), "a": "gamma"}, "key1": {"e": 0, "d": 0}}
    packed = tree.pack_sequence_as(structure, ["val2", "val1", 3.0, 1.0, 2.0])
    assert packed == {"key3": {"c": (1.0, 2.0), "a": 3.0}, "key1": {"e": "val1", "d": "val2"}}
    assert list(packed) == ["key3", "key1"]
    nested = [Point(1, {"z": None, "y": 2}), collections.OrderedDict(q=3, p=4)]
    assert tree.pack_sequence_as(nested, tree.flatten(nested)) == nested
    assert tree.pack_sequence_as(0, [7]) == 7
    with pytest.raises(ValueError, match="Too few leaves"):
        tree.pack_sequence_as([0, 0], [1])
    with pytest.raises(ValueError, match="Too many leaves"):
        tree.pack_sequence_as([0, 0], [1, 2, 3])
    with pytest.raises(TypeError):
        tree.pack_sequence_as([0], 5)


def test_map_structure_up_to_stops_at_the_shallow_leaves() -> None:
    assert tree.map_structure_up_to([0, 0], len, [[1, 1], [2, 2, 2]]) == [2, 3]
    assert tree.map_structure_up_to([None, [None, None]], str, [[1, 1], [2, 2]]) == [
        "[1, 1]",
        ["2", "2"],
    ]
    with pytest.raises(ValueError):
        tree.map_structure_up_to([0, [0, 0]], str, [[1, 1], 2])
    with pytest.raises(ValueError, match="at least one structure"):
        tree.map_structure_up_to([0], str)


def test_paths_traverse_and_conversions() -> None:
    assert tree.flatten_with_path([{"foo": 42}]) == [((0, "foo"), 42)]
    assert tree.flatten_with_path(Point(1, {"z": 2})) == [((0,), 1), ((1, "z"), 2)]
    tree.assert_same_paths([0, 1], (2, 3))
    with pytest.raises(ValueError, match="don't have the same paths"):
        tree.assert_same_paths([0], {"a": 1})
    seen = []
    assert tree.traverse(seen.append, [(1, 2), [3]]) == [(1, 2), [3]]
    assert seen == [[(1, 2), [3]], (1, 2), 1, 2, [3], 3]
    bottom_up = []
    tree.traverse(bottom_up.append, [(1, 2), [3]], top_down=False)
    assert bottom_up == [1, 2, (1, 2), 3, [3], [(1, 2), [3]]]
    dropped = tree.traverse(lambda n: tree.MAP_TO_NONE if isinstance(n, tuple) else None, [(1,), 2])
    assert dropped == [None, 2]
    assert tree.lists_to_tuples([1, [2, {"a": [3]}]]) == (1, (2, {"a": (3,)}))
    shapes = tree.map_shape_structure(len, [(1, None), {"a": [2, 3, 4], "b": ()}])
    assert shapes == [2, {"a": 3, "b": 0}]


def test_check_types_is_deprecated() -> None:
    with pytest.warns(DeprecationWarning, match="check_types"):
        tree.assert_same_structure([1], [2], check_types=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tree.assert_same_structure([1], [2])


def test_registered_classes_are_nodes() -> None:
    @internal_tree.register_tree_node_class
    class Pair:
        def __init__(self, left, right):
            self.left, self.right = left, right

        def tree_flatten(self):
            return (self.left, self.right), "meta"

        @classmethod
        def tree_unflatten(cls, aux, children):
            assert aux == "meta"
            return cls(*children)

    doubled = internal_tree.map_structure(lambda v: v * 2, Pair(1, [2]))
    assert (doubled.left, doubled.right) == (2, [4])
    assert internal_tree.flatten([Pair(1, 2), 3]) == [1, 2, 3]


def test_reachable_as_keras_tree() -> None:
    assert kgraph.tree is tree
    assert tree.flatten is internal_tree.flatten
