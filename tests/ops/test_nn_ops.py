"""``kgraph.ops`` neural-network ops (activations, conv, pooling) against numpy references."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops
from tests.ops import opcheck as ref
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, i32, params

# -- activations ----------------------------------------------------------------------------

# op name, kgraph call, numpy reference (Keras' definitions and defaults)
ACTIVATIONS = [
    ("relu", ops.relu, lambda x: np.maximum(x, 0)),
    ("relu6", ops.relu6, lambda x: np.clip(x, 0, 6)),
    ("sigmoid", ops.sigmoid, ref.sigmoid),
    ("softplus", ops.softplus, lambda x: np.logaddexp(0.0, x)),
    ("softsign", ops.softsign, lambda x: x / (1 + np.abs(x))),
    ("silu", ops.silu, lambda x: x * ref.sigmoid(x)),
    ("swish", ops.swish, lambda x: x * ref.sigmoid(x)),
    ("leaky_relu", ops.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x)),
    ("elu", ops.elu, ref.elu),
    ("selu", ops.selu, lambda x: ref.SELU_SCALE * ref.elu(x, ref.SELU_ALPHA)),
    ("gelu", ops.gelu, ref.gelu),
    ("softmax", ops.softmax, ref.softmax),
    ("log_softmax", ops.log_softmax, ref.log_softmax),
]


def _activation_cases():
    cases = []
    for name, fn, numpy_ref in ACTIVATIONS:
        cases += [
            case(name, fn, numpy_ref, f32(7) * 4, label="1d"),
            case(name, fn, numpy_ref, f32(2, 3, 4) * 4, label="3d"),
            case(name, fn, numpy_ref, f32(5, 6) * 4, label="dyn", dynamic=True),
        ]
        # Int inputs: relu keeps int32; the others compute in float32, like Keras.
        cases.append(
            case(
                name,
                fn,
                numpy_ref,
                i32(3, 4, low=-8, high=9),
                dtype="int32" if name == "relu" else "float32",
                label="int32",
            )
        )
    cases += [
        case(
            "softplus",
            ops.softplus,
            lambda x: np.logaddexp(0.0, x),
            np.array([[-30.0, -5.0, 0.0, 5.0, 30.0]], np.float32),
            label="tails",
        ),
        case(
            "leaky_relu",
            lambda x: ops.leaky_relu(x, negative_slope=0.05),
            lambda x: np.where(x > 0, x, 0.05 * x),
            f32(3, 4),
            label="slope",
        ),
        case(
            "elu",
            lambda x: ops.elu(x, alpha=0.5),
            lambda x: ref.elu(x, 0.5),
            f32(3, 4),
            label="alpha",
        ),
        case(
            "gelu",
            lambda x: ops.gelu(x, approximate=False),
            lambda x: ref.gelu(x, approximate=False),
            f32(3, 4) * 3,
            label="erf",
        ),
        case(
            "gelu",
            lambda x: ops.gelu(x, approximate=False),
            lambda x: ref.gelu(x, approximate=False),
            f32(5, 4) * 3,
            label="erf_dyn",
            dynamic=True,
        ),
    ]
    for axis in (0, 1, -2):
        cases += [
            case(
                "softmax",
                lambda x, a=axis: ops.softmax(x, axis=a),
                lambda x, a=axis: ref.softmax(x, a),
                f32(2, 3, 4) * 3,
                label=f"axis={axis}",
            ),
            case(
                "log_softmax",
                lambda x, a=axis: ops.log_softmax(x, axis=a),
                lambda x, a=axis: ref.log_softmax(x, a),
                f32(2, 3, 4) * 3,
                label=f"axis={axis}",
            ),
        ]
    cases.append(
        case(
            "softmax",
            ops.softmax,
            ref.softmax,
            np.array([[1000.0, 1001.0, 999.0]], np.float32),
            label="large",
        )
    )
    return cases


# -- convolution ------------------------------------------------------------------------------

# label, input shape, kernel shape, strides, padding, dilation
CONVS = [
    ("1d_valid", (2, 9, 3), (3, 3, 4), 1, "valid", 1),
    ("1d_same_stride2", (2, 9, 3), (4, 3, 2), 2, "same", 1),
    ("2d_valid", (2, 6, 5, 3), (3, 3, 3, 4), 1, "valid", 1),
    ("2d_same", (2, 6, 5, 3), (3, 3, 3, 4), 1, "same", 1),
    ("2d_same_stride2", (2, 7, 6, 3), (3, 3, 3, 2), 2, "same", 1),
    ("2d_same_even_kernel", (2, 6, 6, 2), (2, 2, 2, 3), 1, "same", 1),
    ("2d_same_dilation2", (1, 7, 7, 2), (3, 3, 2, 3), 1, "same", 2),
    ("2d_valid_strides12", (2, 6, 7, 2), (3, 2, 2, 3), (1, 2), "valid", 1),
    ("2d_grouped", (2, 5, 5, 4), (3, 3, 2, 6), 1, "same", 1),
    ("2d_depthwise", (2, 5, 5, 3), (3, 3, 1, 3), 1, "valid", 1),
    ("3d_same", (1, 4, 5, 4, 2), (2, 2, 2, 2, 3), 1, "same", 1),
    ("3d_valid_stride2", (1, 5, 5, 5, 2), (3, 3, 3, 2, 2), 2, "valid", 1),
]


def _conv_cases():
    cases = []
    for label, xs, ks, strides, padding, dilation in CONVS:

        def fn(x, k, s=strides, p=padding, d=dilation):
            return ops.conv(x, k, strides=s, padding=p, dilation_rate=d)

        def numpy_ref(x, k, s=strides, p=padding, d=dilation):
            return ref.conv(x, k, strides=s, padding=p, dilation_rate=d)

        # The kernel is a constant, like a layer's weights (a model input's first axis is the
        # batch axis, which the exported graph leaves dynamic).
        cases.append(
            case(
                "conv", fn, numpy_ref, f32(*xs), f32(*ks), label=label, atol=1e-4, fed=(True, False)
            )
        )
    cases.append(
        case(
            "conv",
            lambda x, k: ops.conv(x, k, padding="same"),
            lambda x, k: ref.conv(x, k, padding="same"),
            f32(3, 6, 5, 2),
            f32(3, 3, 2, 4),
            label="2d_dyn",
            atol=1e-4,
            dynamic=True,
        )
    )
    return cases


# -- pooling ------------------------------------------------------------------------------------

# label, input shape, pool_size, strides, padding
POOLS = [
    ("1d_valid", (2, 9, 3), 2, None, "valid"),
    ("1d_same", (2, 9, 3), 3, 2, "same"),
    ("2d_valid", (2, 6, 6, 3), 2, None, "valid"),
    ("2d_same", (2, 5, 5, 2), 2, None, "same"),
    ("2d_same_3x3_stride2", (2, 7, 6, 2), 3, 2, "same"),
    ("2d_valid_23_stride12", (2, 6, 7, 2), (2, 3), (1, 2), "valid"),
    ("2d_same_overlap", (1, 5, 4, 2), 3, 1, "same"),
    ("3d_valid", (1, 4, 4, 4, 2), 2, None, "valid"),
    ("3d_same", (1, 3, 5, 4, 2), 2, None, "same"),
]


def _pool_cases():
    cases = []
    for kind, op in (("max", "max_pool"), ("avg", "average_pool")):
        fn_op = getattr(ops, op)
        for label, xs, size, strides, padding in POOLS:

            def fn(x, f=fn_op, z=size, s=strides, p=padding):
                return f(x, z, strides=s, padding=p)

            def numpy_ref(x, kind=kind, z=size, s=strides, p=padding):
                return ref.pool(x, z, strides=s, padding=p, kind=kind)

            # Negative inputs show whether 'same' max pooling pads with -inf (it must).
            x = f32(*xs) - (2.0 if kind == "max" else 0.0)
            cases.append(case(op, fn, numpy_ref, x, label=label))
        cases.append(
            case(
                op,
                lambda x, f=fn_op: f(x, 2, padding="same"),
                lambda x, kind=kind: ref.pool(x, 2, padding="same", kind=kind),
                f32(3, 5, 5, 2),
                label="2d_same_dyn",
                dynamic=True,
            )
        )
    return cases


CASES = _activation_cases() + _conv_cases() + _pool_cases()


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(CASES))
def test_in_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(CASES))
def test_exported_onnx(c):
    check_onnx(c)


# -- specifics ----------------------------------------------------------------------------------


def test_average_pool_same_excludes_padding():
    x = np.ones((1, 3, 3, 1), np.float32)
    out = ops.average_pool(x, 2, strides=2, padding="same")
    np.testing.assert_array_equal(out, np.ones((1, 2, 2, 1), np.float32))


def test_activation_defaults_match_keras():
    x = np.array([-1.0, 1.0], np.float32)
    np.testing.assert_allclose(ops.leaky_relu(x), [-0.2, 1.0], rtol=1e-6)
    np.testing.assert_allclose(ops.gelu(x), ref.gelu(x.astype(np.float64)), rtol=1e-6)
    assert not np.allclose(
        ops.gelu(x), ref.gelu(x.astype(np.float64), approximate=False), rtol=1e-6, atol=0
    )


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ops.conv(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 2, 4))), "channels"),
        (lambda: ops.conv(np.zeros((1, 5, 3)), np.zeros((3, 3, 3, 4))), "rank"),
        (lambda: ops.conv(np.zeros((1, 2, 2, 3)), np.zeros((3, 3, 3, 4))), "does not fit"),
        (
            lambda: ops.conv(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 3, 4)), padding="full"),
            "padding",
        ),
        (lambda: ops.max_pool(np.zeros((1, 5, 5, 3)), (2, 2, 2)), "pool_size"),
        (
            lambda: ops.average_pool(np.zeros((1, 5, 5, 3)), 2, data_format="channels_first"),
            "channels_last",
        ),
    ],
    ids=["channels", "rank", "window", "padding", "pool_size", "data_format"],
)
def test_conv_and_pool_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
