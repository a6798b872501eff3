"""``view`` (``kgraph/ops/bitcast.py``) against numpy's ``ndarray.view``: eagerly, in a model
and as ONNX, plus every float16 bit pattern and a float64 graph."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, i32, params

SPECIAL = np.array(
    [
        [1.0, -2.5, 0.0, -0.0, np.inf, -np.inf],
        [1e-45, 3.4028235e38, 1.17549435e-38, 0.1, -7e-39, 6e4],
    ],
    np.float32,
)
BITS = np.random.default_rng(4).integers(-(2**31), 2**31, (3, 5)).astype(np.int32)


def _as(dtype, source=np.float32):
    """``x.view(dtype)`` of the case's input (the table widens floats to float64 first)."""
    return lambda x: x.astype(source).view(dtype)


CASES = [
    case(
        "view",
        lambda x: ops.view(x, "int32"),
        _as(np.int32),
        SPECIAL,
        dtype="int32",
        label="float32_int32",
    ),
    case(
        "view",
        lambda x: ops.view(x, "uint32"),
        _as(np.uint32),
        SPECIAL,
        dtype="uint32",
        label="float32_uint32",
    ),
    case(
        "view",
        lambda x: ops.view(x, "float32"),
        lambda x: x.astype(np.int32).view(np.float32),
        BITS,
        label="int32_float32",
    ),
    case(
        "view",
        lambda x: ops.view(x, "int32"),
        _as(np.int32),
        f32(5, 3) * 1e30,
        dtype="int32",
        label="dyn",
        dynamic=True,
    ),
    case(
        "view",
        lambda x: ops.view(x, "float16"),
        lambda x: x.astype(np.int16).view(np.float16),
        np.arange(-30000, 30000, 4000, dtype=np.int16).reshape(3, 5),
        dtype="float16",
        label="int16_float16",
    ),
    case(
        "view",
        lambda x: ops.view(x, "int8"),
        _as(np.int8, np.uint8),
        np.arange(0, 256, 16, dtype=np.uint8).reshape(4, 4),
        dtype="int8",
        label="uint8_int8",
    ),
    case(
        "view",
        lambda x: ops.view(ops.view(x, "float32"), "int32"),
        lambda x: x,
        i32(3, 4, low=0, high=2**30),
        dtype="int32",
        label="roundtrip",
    ),
]


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(CASES))
def test_in_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(CASES))
def test_exported_onnx(c):
    check_onnx(c)


def test_every_float16_bit_pattern():
    bits = np.arange(-(2**15), 2**15, dtype=np.int16)
    want = bits.view(np.float16)
    got = ops.view(bits, "float16")
    finite = ~np.isnan(want)
    np.testing.assert_array_equal(np.asarray(got)[finite].view(np.int16), bits[finite])
    np.testing.assert_array_equal(np.isnan(got), ~finite)
    np.testing.assert_array_equal(np.asarray(ops.view(want, "int16"))[finite], bits[finite])


def test_float64_inside_a_graph():
    """Eager float64 arrays become float32 (as in Keras on JAX): trace a float64 graph."""
    from kgraph import trace
    from kgraph.compiler.builder import GraphBuilder
    from kgraph.ops.core import eager_session
    from kgraph.tensor import KerasTensor

    values = np.array([1.0, -2.5, 5e-324, 1.7976931348623157e308, 0.1, -0.0, np.inf, -np.inf])
    b = GraphBuilder()
    x = b.input("x", values.shape, "float64")
    with trace.tracing(trace.Trace(b)):
        bits = ops.view(KerasTensor(values.shape, "float64", value=x), "int64")
        back = ops.view(bits, "float64")
    b.output(bits._value, "bits")
    b.output(back._value, "back")
    got_bits, got_back = eager_session(b).run({"x": values})
    np.testing.assert_array_equal(got_bits, values.view(np.int64))
    np.testing.assert_array_equal(got_back.view(np.int64), values.view(np.int64))


def test_errors():
    with pytest.raises(ValueError, match="same item size"):
        ops.view(np.ones(4, np.float32), "uint8")
