"""Oracle: ``kgraph.tree`` against ``keras.tree`` (results and error types on the same cases),
``kgraph.preprocessing`` against ``keras.preprocessing`` (the same names, ``smart_resize``'s
values and errors, ``pad_sequences`` through both import forms)."""

from __future__ import annotations

import collections
import time

import numpy as np
import pytest

import kgraph
import kgraph.tree as ktree
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS

Point = collections.namedtuple("Point", "y x")
OD = collections.OrderedDict
DD = collections.defaultdict


class _DictSub(dict):
    pass


# (name, function of a tree module) -- each is run on keras.tree and kgraph.tree.
CASES = [
    ("flatten dict", lambda t: t.flatten({"b": 1, "a": [2, (3, None)], "c": {}})),
    ("flatten ordered", lambda t: t.flatten(OD([("b", 1), ("a", 2)]))),
    ("flatten defaultdict", lambda t: t.flatten(DD(int, {"b": 1, "a": 2}))),
    ("flatten namedtuple", lambda t: t.flatten(Point(1, [2, 3]))),
    ("flatten deque", lambda t: t.flatten(collections.deque([1, [2, 3]]))),
    ("flatten subclass leaf", lambda t: t.flatten([_DictSub(a=1)])),
    ("flatten mixed keys", lambda t: t.flatten({(1,): 1, "b": 2, 3: 3, 2.5: 4})),
    ("flatten struct_time", lambda t: t.flatten(time.gmtime(0))),
    ("flatten leaf", lambda t: t.flatten(None)),
    ("map keeps order", lambda t: t.map_structure(lambda v: v * 2, {"b": 1, "a": 2})),
    ("map namedtuple", lambda t: t.map_structure(lambda v: v + 1, Point(1, {"k": 2}))),
    ("map deque maxlen", lambda t: t.map_structure(str, collections.deque([1, 2], maxlen=4))),
    ("map defaultdict", lambda t: t.map_structure(str, DD(list, {"b": 1, "a": 2}))),
    ("map two", lambda t: t.map_structure(lambda a, b: a - b, [1, {"z": 5}], [3, {"z": 1}])),
    (
        "map dict kinds",
        lambda t: t.map_structure(lambda a, b: a + b, OD(b=1, a=2), dict(a=3, b=4)),
    ),
    ("map list vs tuple", lambda t: t.map_structure(lambda a, b: a, [1, 2], (1, 2))),
    ("map arity", lambda t: t.map_structure(lambda a, b: a, [1, 2], [1, 2, 3])),
    ("map deeper", lambda t: t.map_structure(lambda a, b: a, [1, 2], [1, [2]])),
    ("map shallower", lambda t: t.map_structure(lambda a, b: a, [1, [2]], [1, 2])),
    ("map keys", lambda t: t.map_structure(lambda a, b: a, {"a": 1}, {"b": 1})),
    ("map nt vs tuple", lambda t: t.map_structure(lambda a, b: a, Point(1, 2), (1, 2))),
    ("map none kept", lambda t: t.map_structure(lambda v: 7, [1, None], none_is_leaf=False)),
    ("map none leaf", lambda t: t.map_structure(lambda v: 7, [1, None])),
    (
        "map none vs value",
        lambda t: t.map_structure(max, [None], [1], none_is_leaf=False),
    ),
    ("map nothing", lambda t: t.map_structure(len)),
    ("up to", lambda t: t.map_structure_up_to([0, [0, 0]], str, [[1, 1], [2, 2]])),
    ("up to dict", lambda t: t.map_structure_up_to({"a": 0, "b": 0}, str, {"b": [1], "a": 2})),
    ("up to two", lambda t: t.map_structure_up_to([0, 0], lambda a, b: (a, b), [[1], 2], [3, 4])),
    ("up to too shallow", lambda t: t.map_structure_up_to([0, [0, 0]], str, [[1, 1], 2])),
    ("pack dict", lambda t: t.pack_sequence_as({"k3": 0, "k1": 0, "k2": 0}, ["v1", "v2", "v3"])),
    ("pack nested", lambda t: t.pack_sequence_as([{"b": (0, 0), "a": 0}, None], range(4))),
    ("pack ordered", lambda t: t.pack_sequence_as(OD([("b", 1), ("a", 2)]), [5, 6])),
    ("pack namedtuple", lambda t: t.pack_sequence_as(Point(0, [0]), [5, 6])),
    ("pack leaf", lambda t: t.pack_sequence_as(0, [7])),
    ("pack too few", lambda t: t.pack_sequence_as([0, 0], [1])),
    ("pack too many", lambda t: t.pack_sequence_as([0, 0], [1, 2, 3])),
    ("pack array", lambda t: t.pack_sequence_as([0, 0], np.array([5, 6])).__len__()),
    ("same ok", lambda t: t.assert_same_structure([(0, 1), {"a": None}], [(2, 3), {"a": 4}])),
    ("same list tuple", lambda t: t.assert_same_structure([0, 1], (2, 3))),
    ("same deeper", lambda t: t.assert_same_structure([0, 1], [2, [3]])),
    ("same namedtuples", lambda t: t.assert_same_structure(Point(0, 1), Point(2, 3))),
    ("same dict kinds", lambda t: t.assert_same_structure({"a": 1}, DD(int, a=2))),
    ("paths ok", lambda t: t.assert_same_paths([0, 1], Point(2, 3))),
    ("paths differ", lambda t: t.assert_same_paths([0], {"a": 1})),
    ("with path", lambda t: t.flatten_with_path([{"foo": 1, "bar": (2, Point(3, 4))}, None])),
    ("with path leaf", lambda t: t.flatten_with_path(5)),
    ("is nested", lambda t: [t.is_nested(v) for v in (1, None, [], {}, "ab", Point(1, 2))]),
    ("lists to tuples", lambda t: t.lists_to_tuples([1, [2, {"a": [3]}], Point([4], 5)])),
    ("shapes", lambda t: t.map_shape_structure(len, [(1, None), {"a": [2, 3], "b": ()}])),
    ("shapes leaf", lambda t: t.map_shape_structure(str, [(1, "a"), 4])),
]


def _outcome(fn, module):
    try:
        return "ok", fn(module)
    except (ValueError, TypeError) as error:
        return type(error).__name__, None


@pytest.mark.parametrize("case", CASES, ids=[name for name, _ in CASES])
def test_tree_matches_keras(case) -> None:
    _, fn = case
    expected, got = _outcome(fn, keras.tree), _outcome(fn, ktree)
    assert got[0] == expected[0]
    assert repr(got[1]) == repr(expected[1])  # types, values and dict key order


def test_traverse_matches_keras() -> None:
    structure = [(1, 2), [3], {"b": 4, "a": (5,)}, None]
    for top_down in (True, False):
        seen_keras, seen_kgraph = [], []
        out_keras = keras.tree.traverse(seen_keras.append, structure, top_down=top_down)
        out_kgraph = ktree.traverse(seen_kgraph.append, structure, top_down=top_down)
        assert out_kgraph == out_keras and seen_kgraph == seen_keras

    def replace_tuples(tree, node):
        return tree.MAP_TO_NONE if isinstance(node, tuple) else None

    expected = keras.tree.traverse(lambda n: replace_tuples(keras.tree, n), structure)
    assert ktree.traverse(lambda n: replace_tuples(ktree, n), structure) == expected

    def scale_ints(node):
        return node * 10 if isinstance(node, int) else None

    expected = keras.tree.traverse(scale_ints, structure, top_down=False)
    assert ktree.traverse(scale_ints, structure, top_down=False) == expected


def test_tree_exposes_keras_names() -> None:
    public = {name for name in dir(keras.tree) if not name.startswith("_")}
    assert public <= set(dir(ktree))


def test_preprocessing_exposes_keras_names() -> None:
    for keras_module, kgraph_module in [
        (keras.preprocessing, kgraph.preprocessing),
        (keras.preprocessing.image, kgraph.preprocessing.image),
        (keras.preprocessing.sequence, kgraph.preprocessing.sequence),
    ]:
        public = {name for name in dir(keras_module) if not name.startswith("_")}
        assert public <= set(dir(kgraph_module)), keras_module.__name__


def test_top_level_scope_names_exist() -> None:
    names = ("name_scope", "device", "StatelessScope", "SymbolicScope", "RematScope", "remat")
    for name in (*names, "Function", "Operation"):
        assert hasattr(keras, name) and hasattr(kgraph, name)


@pytest.mark.parametrize(
    ("shape", "size", "data_format"),
    [
        ((37, 53, 3), (20, 20), "channels_last"),
        ((2, 40, 30, 1), (64, 32), "channels_last"),
        ((3, 41, 29), (15, 25), "channels_first"),
        ((2, 3, 50, 50), (7, 70), "channels_first"),
    ],
)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic", "lanczos3"])
def test_smart_resize_matches_keras(shape, size, data_format, interpolation) -> None:
    x = np.random.default_rng(0).uniform(0, 255, shape).astype("float32")
    args = dict(size=size, interpolation=interpolation, data_format=data_format)
    expected = keras.preprocessing.image.smart_resize(x, **args)
    got = kgraph.preprocessing.image.smart_resize(x, **args)
    assert isinstance(got, np.ndarray) and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=0, atol=5e-3)


def test_smart_resize_uint8_gives_float32_as_keras() -> None:
    x = np.random.default_rng(1).integers(0, 256, (31, 17, 3)).astype("uint8")
    expected = keras.preprocessing.image.smart_resize(x, (8, 8))
    got = kgraph.preprocessing.image.smart_resize(x, (8, 8))
    assert got.dtype == expected.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=5e-3)


@pytest.mark.parametrize(
    ("shape", "size", "kwargs", "error"),
    [
        ((4, 4, 3), (2, 2, 2), {}, ValueError),
        ((4, 4), (2, 2), {}, ValueError),
        ((1, 4, 4, 3, 1), (2, 2), {}, ValueError),
        ((4, 4, 3), (2, 2), {"foo": 1}, TypeError),
    ],
)
def test_smart_resize_errors_as_keras(shape, size, kwargs, error) -> None:
    x = np.zeros(shape, "float32")
    with pytest.raises(error) as keras_error:
        keras.preprocessing.image.smart_resize(x, size, **kwargs)
    with pytest.raises(error) as kgraph_error:
        kgraph.preprocessing.image.smart_resize(x, size, **kwargs)
    assert str(kgraph_error.value) == str(keras_error.value)


def test_pad_sequences_import_forms_match_keras() -> None:
    from keras.preprocessing.sequence import pad_sequences as keras_pad

    from kgraph.preprocessing.sequence import pad_sequences

    sequences = [[1, 2, 3], [4], [5, 6, 7, 8, 9]]
    for kwargs in ({}, {"maxlen": 3, "padding": "post", "truncating": "post", "value": -1}):
        expected = keras_pad(sequences, **kwargs)
        np.testing.assert_array_equal(pad_sequences(sequences, **kwargs), expected)
        np.testing.assert_array_equal(
            kgraph.preprocessing.sequence.pad_sequences(sequences, **kwargs), expected
        )


def test_function_matches_keras_function() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")
    results = []
    for lib in (keras, kgraph):
        a, b = lib.Input((3,)), lib.Input((3,))
        outputs = {"s": lib.ops.tanh(a) * b, "m": lib.ops.max(a + b, axis=-1)}
        fn = lib.Function([a, b], outputs)
        results.append({key: np.asarray(value) for key, value in fn([x, y]).items()})
        spec = fn.compute_output_spec([lib.KerasTensor((7, 3)), lib.KerasTensor((7, 3))])
        results.append({key: (tuple(t.shape), t.dtype) for key, t in spec.items()})
    keras_values, keras_spec, kgraph_values, kgraph_spec = results
    assert kgraph_spec == keras_spec
    for key in keras_values:
        np.testing.assert_allclose(kgraph_values[key], keras_values[key], rtol=1e-5, atol=1e-6)


def _scale_class(lib):
    class Scale(lib.Operation):
        def __init__(self, factor=2.0, mode="a", name=None):
            super().__init__(name=name)
            self.factor, self.mode = factor, mode

        def call(self, x, bias=0.0):
            return lib.ops.tanh(x) * self.factor + bias

    return Scale


def test_operation_matches_keras_operation() -> None:
    x = np.linspace(-2, 2, 12, dtype="float32").reshape(4, 3)
    found = []
    for lib in (keras, kgraph):
        op = _scale_class(lib)(3.0, name="scale_op")
        inputs = lib.Input((3,))
        model = lib.Model(inputs, op(inputs, bias=0.5))
        spec = op.compute_output_spec(lib.KerasTensor((None, 3)))
        found.append(
            (
                np.asarray(op(x, bias=1.0)),
                np.asarray(model.predict(x, verbose=0)),
                (tuple(spec.shape), spec.dtype, op.get_config(), repr(op)),
            )
        )
    (k_eager, k_model, k_meta), (g_eager, g_model, g_meta) = found
    np.testing.assert_allclose(g_eager, k_eager, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g_model, k_model, rtol=1e-5, atol=1e-6)
    assert g_meta == k_meta
