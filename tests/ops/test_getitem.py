"""Indexing (``x[...]``, ``ops.get_item``) and ``ops.slice`` against numpy references."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

import kgraph
from kgraph import ops
from kgraph.models.export import trace_model
from tests.ops.opcheck import (
    OpLayer,
    case,
    check_eager,
    check_model,
    check_onnx,
    f32,
    i32,
    params,
)

s_ = np.s_


def _slice_ref(x, starts, sizes):
    """``ops.slice`` as in Keras' JAX backend: a negative start counts from the end, then each
    start is clamped so that the block fits; size -1 runs to the end."""
    index = []
    for dim, start, size in zip(x.shape, starts, sizes):
        start = start + dim if start < 0 else start
        start = min(max(start, 0), dim - max(size, 0))
        index.append(slice(start, dim if size == -1 else start + size))
    return x[tuple(index)]


# key, label: the forms of basic indexing, on a (2, 3, 4) input
KEYS = [
    (s_[:, :1], "head"),
    (s_[..., 0], "ellipsis_int"),
    (s_[:, ::2], "step"),
    (s_[:, None], "newaxis"),
    (s_[:, -3:], "negative_start"),
    (1, "int"),
    (-1, "negative_int"),
    (s_[:, 1:3], "range"),
    (s_[:, ::-1], "reverse"),
    (s_[::-1, ::-2, -1], "negative_steps"),
    (s_[:, 2:0:-1, 1::2], "negative_step_bounds"),
    (s_[:, 1, None, ..., ::-2], "mixed"),
    (s_[None, ..., None], "newaxis_both_ends"),
    (s_[0, -1, 1:], "ints_then_slice"),
    (s_[:, 5:], "empty"),
    (s_[:, -10:10], "clamped"),
    (s_[...], "ellipsis"),
    ((), "empty_tuple"),
    (s_[:, :, :], "full"),
    (np.int64(1), "numpy_int"),
    (s_[:, np.int32(1) : np.int64(3)], "numpy_bounds"),
]


def _get_item_cases():
    cases = [
        case(
            "get_item",
            lambda x, k=key: ops.get_item(x, k),
            lambda x, k=key: x[k],
            f32(2, 3, 4),
            label=label,
        )
        for key, label in KEYS
    ]
    return cases + [
        case(
            "get_item",
            lambda x: ops.get_item(x, s_[:, 1, ::-1]),
            lambda x: x[:, 1, ::-1],
            i32(2, 3, 4),
            dtype="int32",
            label="int32",
        ),
        case(
            "get_item",
            lambda x: ops.get_item(ops.greater(x, 0.0), s_[:, None, 1:]),
            lambda x: (x > 0)[:, None, 1:],
            f32(2, 3),
            dtype="bool",
            label="bool",
        ),
        case(
            "get_item",
            lambda x: ops.get_item(x, s_[:, 1:3]),
            lambda x: x[:, 1:3],
            f32(5, 4, 2),
            label="dyn_range",
            dynamic=True,
        ),
        case(
            "get_item",
            lambda x: ops.get_item(x, s_[..., ::-2, None, -1]),
            lambda x: x[..., ::-2, None, -1],
            f32(5, 4, 3),
            label="dyn_mixed",
            dynamic=True,
        ),
        case(
            "get_item",
            lambda x: ops.get_item(x, s_[:, -1]),
            lambda x: x[:, -1],
            f32(5, 4),
            label="dyn_last",
            dynamic=True,
        ),
    ]


def _slice_cases():
    cases = []
    for starts, sizes, label in [
        ((1, 0, 2), (2, 3, 2), "block"),
        ((0, 1, 1), (-1, 2, -1), "to_end"),
        ((1, -2, 0), (1, 2, 4), "negative_start"),
        ((0, 2, 3), (2, 3, 4), "clamped"),
        ((0, 0, 0), (2, 0, 4), "empty"),
    ]:
        cases.append(
            case(
                "slice",
                lambda x, s=starts, z=sizes: ops.slice(x, s, z),
                lambda x, s=starts, z=sizes: _slice_ref(x, s, z),
                f32(2, 3, 4),
                label=label,
            )
        )
    return cases + [
        case(
            "slice",
            lambda x: ops.slice(x, np.array([1, 1]), [2, 2]),
            lambda x: _slice_ref(x, (1, 1), (2, 2)),
            i32(3, 4),
            dtype="int32",
            label="int32",
        ),
        case(
            "slice",
            lambda x: ops.slice(x, [0, 1, 0], [-1, 2, 3]),
            lambda x: x[:, 1:3],
            f32(5, 4, 3),
            label="dyn",
            dynamic=True,
        ),
        case(
            "slice",
            lambda x: ops.slice(x, [2, 1], [2, 2]),
            lambda x: _slice_ref(x, (2, 1), (2, 2)),
            f32(3, 4),
            label="batch_axis",
        ),
        case(  # in a model the start is a tensor computed by the graph
            "slice",
            lambda x: ops.slice(x, [0, ops.argmax(ops.get_item(x, s_[0, :, 0])), 1], [2, 2, 3]),
            lambda x: _slice_ref(x, (0, int(np.argmax(x[0, :, 0])), 1), (2, 2, 3)),
            f32(2, 5, 4),
            label="tensor_start",
        ),
    ]


CASES = _get_item_cases() + _slice_cases()


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(CASES))
def test_in_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(CASES))
def test_exported_onnx(c):
    check_onnx(c)


# -- subscripts on symbolic tensors ---------------------------------------------------------------


def _export_and_run(model, *feeds):
    session = ort.InferenceSession(model.to_onnx_bytes(), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, feeds)))[0]


@pytest.mark.parametrize("key, label", KEYS[:14], ids=[label for _, label in KEYS[:14]])
def test_subscript_in_a_custom_layer(key, label):
    x = f32(4, 3, 5)
    inp = kgraph.Input(batch_shape=x.shape)
    model = kgraph.Model(inp, OpLayer(lambda t: t[key], name="index")(inp))
    np.testing.assert_array_equal(model.predict(x, verbose=0), x[key])
    np.testing.assert_array_equal(_export_and_run(model, x), x[key])


def test_subscript_with_a_dynamic_batch():
    class Middle(kgraph.Layer):
        def call(self, x):
            return x[:, 1:3] + x[:, -1, None]

    inp = kgraph.Input((4, 2))
    out = Middle()(inp)
    assert out.shape == (None, 2, 2)
    model = kgraph.Model(inp, out)
    for batch in (1, 5):
        x = f32(batch, 4, 2)
        want = x[:, 1:3] + x[:, -1, None]
        np.testing.assert_allclose(model.predict(x, batch_size=2, verbose=0), want, rtol=1e-6)
        np.testing.assert_allclose(_export_and_run(model, x), want, rtol=1e-6)


def test_dynamic_axes_follow_numpy_clamping():
    keys = [s_[1:], s_[-2:], s_[::-1], s_[:-1:2], s_[5:1:-2], s_[-1], s_[1], s_[-3::-1]]
    inp = kgraph.Input(batch_shape=(None, 2))
    outs = [OpLayer(lambda t, k=k: t[k], name=f"k{i}")(inp) for i, k in enumerate(keys)]
    assert all(o.shape[0] is None for o in outs if o.ndim == 2)
    for key, out in zip(keys, outs):
        model = kgraph.Model(inp, out)
        for batch in (3, 4, 7):
            x = f32(batch, 2)
            np.testing.assert_array_equal(_export_and_run(model, x), x[key], err_msg=str(key))


def test_slice_with_tensor_starts_clamps_like_jax():
    class Window(kgraph.Layer):
        def call(self, x, start):
            return ops.slice(x, start, (-1, 2, 3))

    inp, start = kgraph.Input((6, 3)), kgraph.Input(batch_shape=(3,), dtype="int32")
    out = Window()(inp, start)
    assert out.shape == (None, 2, 3)
    model = kgraph.Model([inp, start], out)
    x = f32(2, 6, 3)
    for s in [(0, 1, 0), (0, 5, 0), (0, -2, 0), (1, -9, 2), (0, 9, 0)]:
        want = _slice_ref(x, s, (-1, 2, 3))
        got = _export_and_run(model, x, np.asarray(s, np.int32))
        np.testing.assert_array_equal(got, want, err_msg=str(s))


def test_symbolic_shapes_match_keras():
    x = kgraph.Input((5, 6))
    # Shapes that Keras 3 gives for the same subscripts of keras.Input((5, 6)).
    assert x[:, :1].shape == (None, 1, 6)
    assert x[..., 0].shape == (None, 5)
    assert x[:, ::2].shape == (None, 3, 6)
    assert x[:, None].shape == (None, 1, 5, 6)
    assert x[:, -3:].shape == (None, 3, 6)
    assert x[1].shape == (5, 6)
    assert x[:, 1, None, ..., ::-2].shape == (None, 1, 3)
    assert x[:2].shape == (None, 5, 6)
    assert x[:, 7:].shape == (None, 0, 6)
    assert x[0, 0].dtype == "float32"
    assert ops.get_item(kgraph.Input((3,), dtype="int32"), s_[:, 1]).dtype == "int32"
    assert ops.slice(x, [0, 1, 2], [-1, 2, -1]).shape == (None, 2, 4)
    assert ops.slice(x, kgraph.Input(batch_shape=(3,), dtype="int32"), [1, -1, 2]).shape == (
        1,
        None,
        2,
    )


def test_variable_subscript_is_traced_as_a_parameter():
    class Rows(kgraph.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(3, 4), initializer="ones", name="w")
            super().build(input_shape)

        def call(self, x):
            return x * self.w[::-2][1] + self.w[0, None]

    layer = Rows(name="rows")
    inp = kgraph.Input((4,))
    model = kgraph.Model(inp, layer(inp))
    w = np.arange(12, dtype=np.float32).reshape(3, 4)
    layer.w.assign(w)
    x = f32(2, 4)
    want = x * w[::-2][1] + w[0, None]
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-6)
    np.testing.assert_array_equal(ops.get_item(layer.w, s_[1:, ::-1]), w[1:, ::-1])
    np.testing.assert_array_equal(layer.w[2], w[2])
    builder = trace_model(model, training=True)[0]
    assert list(builder.parameters) == ["rows/w"]
    assert {"Slice", "Squeeze", "Unsqueeze"} <= {node.op_type for node in builder.graph}


def test_iterating_a_symbolic_tensor_is_an_error():
    with pytest.raises(TypeError, match="Iterating over a symbolic KerasTensor"):
        list(kgraph.Input((3,)))


@pytest.mark.parametrize(
    "key, message",
    [
        ([0, 1], r"Unsupported index \[0, 1\]"),
        (s_[:, [0, 1]], r"Unsupported index \[0, 1\]"),
        (np.array([0, 1]), "Unsupported index ndarray of shape \\(2,\\) and dtype int64"),
        (True, "Unsupported index True"),
        (s_[:, 1.5], "Unsupported index 1.5"),
        (s_[:, 0:2.0], r"Unsupported index slice\(0, 2.0, None\)"),
        (s_[:, ::0], "step cannot be zero"),
        (s_[..., 0, ...], "single ellipsis"),
        (s_[0, 0, 0, 0], r"Too many indices for a tensor of shape \(None, 3, 4\)"),
        (s_[:, 3], r"Index 3 is out of bounds for axis 1 of size 3"),
        (s_[:, :, -5], r"Index -5 is out of bounds for axis 2 of size 4"),
    ],
    ids=[
        "list",
        "list_in_tuple",
        "array",
        "bool",
        "float",
        "float_bound",
        "zero_step",
        "two_ellipses",
        "too_many",
        "out_of_bounds",
        "negative_out_of_bounds",
    ],
)
def test_unsupported_indexing_errors(key, message):
    with pytest.raises(ValueError, match=message) as info:
        kgraph.Input((3, 4))[key]
    assert "\n" not in str(info.value)


def test_tensor_index_error_names_the_tensor():
    x = kgraph.Input((3, 4))
    with pytest.raises(ValueError, match=r"Unsupported index KerasTensor of shape \(None,\)"):
        x[:, kgraph.Input((), dtype="int32")]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ops.slice(np.zeros((2, 3)), [0, 0], [2]), r"one size .* \(2, 3\)"),
        (lambda: ops.slice(np.zeros((2, 3)), [0], [1, 1]), "one index per axis"),
        (lambda: ops.slice(np.zeros((2, 3)), [0, 0], [1, 4]), "Cannot slice 4 elements"),
        (lambda: ops.slice(np.zeros((2, 3)), [0, 0], [1, -2]), "one size"),
        (
            lambda: ops.slice(kgraph.Input((3,)), kgraph.Input((2,), dtype="int32"), [1, 1]),
            r"start_indices must be integers of shape \(2,\)",
        ),
    ],
    ids=["rank", "starts", "too_big", "bad_size", "tensor_starts"],
)
def test_slice_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
