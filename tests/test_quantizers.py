"""kgraph.quantizers against numpy written here: abs-max int8 quantization, the float8 scale
helpers, quantize-and-dequantize, configs and (de)serialization."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from kgraph import quantizers


def _abs_max_reference(x, axis, top=127):
    scale = np.float32(top) / (np.max(np.abs(x), axis=axis, keepdims=True) + np.float32(1e-7))
    return np.clip(np.round(x * scale), -top, top).astype(np.int8), scale


@pytest.mark.parametrize("axis", [-1, 0, (0, 2)])
def test_abs_max_quantize_eager_and_numpy_paths_match_reference(axis):
    x = np.random.default_rng(0).normal(size=(3, 4, 5)).astype("float32")
    x[0, 0, 0] = 0.5 / 127 * 3  # lands near a .5 boundary after scaling
    want_q, want_s = _abs_max_reference(x, axis)
    for to_numpy in (False, True):
        q, s = quantizers.abs_max_quantize(x, axis, to_numpy=to_numpy)
        np.testing.assert_array_equal(np.asarray(q), want_q)
        assert np.asarray(q).dtype == np.int8
        np.testing.assert_allclose(np.asarray(s), want_s, rtol=1e-7)


def test_abs_max_quantizer_axis_value_range_and_config():
    x = np.linspace(-2, 3, 12, dtype="float32").reshape(3, 4)
    q, s = quantizers.AbsMaxQuantizer(axis=0, value_range=(-7, 7))(x)
    want_q, want_s = _abs_max_reference(x, 0, top=7)
    np.testing.assert_array_equal(np.asarray(q), want_q)
    np.testing.assert_allclose(np.asarray(s), want_s, rtol=1e-7)
    q, _ = quantizers.AbsMaxQuantizer()(x)  # default axis -1
    np.testing.assert_array_equal(np.asarray(q), _abs_max_reference(x, -1)[0])
    quantizer = quantizers.AbsMaxQuantizer(axis=1, value_range=(-100, 100))
    back = quantizers.deserialize(quantizers.serialize(quantizer))
    assert (
        back.get_config()
        == quantizer.get_config()
        == {
            "value_range": (-100, 100),
            "epsilon": 1e-7,
            "output_dtype": "int8",
            "axis": (1,),
        }
    )
    with pytest.raises(ValueError, match=r"within the interval \[-128, 127\]"):
        quantizers.AbsMaxQuantizer(value_range=(-200, 200))


def test_compute_float8_scale_and_amax_history():
    amax = np.array([2.0, 0.0, np.inf, 10.0], "float32")
    scale = np.array([0.5, 0.25, 4.0, 1.0], "float32")
    got = np.asarray(quantizers.compute_float8_scale(amax, scale, 448.0, margin=1))
    want = np.where(np.isfinite(amax) & (amax > 0), amax / (448.0 / 2), scale)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    history = np.array([1.0, 2.0, 3.0], "float32")
    x = np.array([[-5.0, 4.0]], "float32")
    got = np.asarray(quantizers.compute_float8_amax_history(x, history))
    np.testing.assert_array_equal(got, [5.0, 3.0, 1.0])


@pytest.mark.parametrize("dtype", ["float8_e4m3fn", "float8_e5m2"])
def test_quantize_and_dequantize_rounds_like_ml_dtypes(dtype):
    x = np.random.default_rng(1).normal(scale=300, size=(50,)).astype("float32")
    scale = np.float32(0.7)
    got = np.asarray(quantizers.quantize_and_dequantize(x, scale, dtype, "float32"))
    kind = getattr(ml_dtypes, dtype)
    top = float(ml_dtypes.finfo(kind).max)
    want = np.clip(x / scale, -top, top).astype(kind).astype("float32") * scale
    np.testing.assert_array_equal(got, want)


def test_get_configs_and_errors():
    assert quantizers.get(None) is None
    assert isinstance(quantizers.get("AbsMaxQuantizer"), quantizers.AbsMaxQuantizer)
    assert isinstance(quantizers.get("abs_max_quantizer"), quantizers.AbsMaxQuantizer)
    with pytest.raises(ValueError, match="Could not interpret quantizer identifier"):
        quantizers.get("nope")
    config = quantizers.Int8QuantizationConfig(activation_quantizer=None)
    assert config.mode == "int8"
    back = quantizers.deserialize(quantizers.serialize(config))
    assert back.activation_quantizer is None and back.weight_quantizer is None
    default = quantizers.deserialize(quantizers.serialize(quantizers.Int8QuantizationConfig()))
    assert isinstance(default.activation_quantizer, quantizers.AbsMaxQuantizer)
    with pytest.raises(ValueError, match="output_dtype='int8'"):
        quantizers.Int8QuantizationConfig(
            weight_quantizer=quantizers.AbsMaxQuantizer(output_dtype="int16")
        )
    with pytest.raises(NotImplementedError, match="Do not instantiate"):
        _ = quantizers.QuantizationConfig().mode


def test_quantized_dtype_policy_names_and_layers_built_with_it():
    from kgraph import dtype_policies, layers

    policy = dtype_policies.get("int8_from_mixed_bfloat16")
    assert isinstance(policy, dtype_policies.QuantizedDTypePolicy)
    assert (policy.quantization_mode, policy.compute_dtype, policy.variable_dtype) == (
        "int8",
        "bfloat16",
        "float32",
    )
    config = dtype_policies.serialize(policy)
    assert config["config"] == {"mode": "int8", "source_name": "mixed_bfloat16"}
    assert dtype_policies.deserialize(config) == policy != dtype_policies.get("float32")
    with pytest.raises(ValueError, match="compute_dtype='float16'"):
        dtype_policies.get("int8_from_float16")
    with pytest.raises(ValueError, match="valid pair"):
        dtype_policies.get("int8_float32")
    dense = layers.Dense(3, dtype="int8_from_float32")
    dense.build((None, 2))
    assert [(w.name, w.dtype, w.trainable) for w in dense.saved_own_variables()] == [
        ("kernel", "int8", False),
        ("bias", "float32", True),
        ("kernel_scale", "float32", False),
    ]
    kernel = np.array([[3, -127, 0], [127, 5, -2]], np.int8)
    dense.set_weights([dense.bias.numpy() + 1, kernel, np.array([2.0, 4.0, 8.0], "float32")])
    x = np.array([[0.5, -1.0]], "float32")
    q = np.round(x * (127 / (1.0 + 1e-7))).astype(np.int32)
    want = (q @ kernel.astype(np.int32)) / (np.array([2.0, 4.0, 8.0]) * (127 / (1.0 + 1e-7))) + 1
    np.testing.assert_allclose(dense(x), want, rtol=1e-6)
