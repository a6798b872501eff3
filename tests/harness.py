"""Table-driven layer tests, in the spirit of Keras' ``test_case.run_layer_test``.

``run_layer_test`` drives one layer configuration through every path a user takes: the symbolic
call and ``compute_output_shape``, the ``get_config``/``from_config`` round trip (with weights
copied through ``get_weights``/``set_weights``), a Functional model around the layer, its ONNX
export (checked with ``onnx.checker`` in full mode), a plain ``onnxruntime.InferenceSession``,
``model.predict`` and an eager call, all compared with a numpy reference written in the test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import onnx
import onnxruntime as ort

import kgraph


@dataclasses.dataclass
class LayerTestResult:
    """What ``run_layer_test`` built, for extra checks in the test."""

    layer: kgraph.Layer
    model: kgraph.Model
    inputs: list[np.ndarray]
    weights: list[np.ndarray]
    output: np.ndarray
    onnx_bytes: bytes


def _is_multi(input_shape) -> bool:
    return isinstance(input_shape, list) and all(isinstance(s, (tuple, list)) for s in input_shape)


def random_inputs(shapes: Sequence[tuple], dtype: str, rng: np.random.Generator) -> list:
    """Random arrays of ``shapes`` (standard normal floats, small non-negative ints)."""
    if np.issubdtype(np.dtype(dtype), np.integer):
        return [rng.integers(0, 5, size=s).astype(dtype) for s in shapes]
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def random_weights(layer: kgraph.Layer, rng: np.random.Generator) -> list[np.ndarray]:
    """Values in [-1, 1] for every weight; [0.5, 1.5] for variances (they must be positive)."""
    values = []
    for w in layer.weights:
        low, high = (0.5, 1.5) if "variance" in w.name else (-1.0, 1.0)
        values.append(rng.uniform(low, high, w.shape).astype(w.dtype))
    return values


def run_onnx(data: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Runs serialized ONNX ``data`` in a plain CPU ``InferenceSession``."""
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    feeds = {i.name: x for i, x in zip(session.get_inputs(), inputs)}
    return session.run(None, feeds)


def training_graph_outputs(model: kgraph.Model, inputs: Sequence[np.ndarray]) -> list:
    """Runs ``model``'s forward pass traced with ``training=True`` (no loss, no gradients)."""
    from kgraph.compiler import compile_inference, serde
    from kgraph.models import export

    builder = export.trace_model(model, training=True)[0]
    data = serde.to_bytes(compile_inference(builder.graph))
    return run_onnx(data, inputs)


def run_layer_test(
    layer_cls: type,
    init_kwargs: dict,
    input_shape,
    expected_output_shape: tuple,
    reference: Callable | None = None,
    input_dtype: str = "float32",
    input_data: Sequence[np.ndarray] | np.ndarray | None = None,
    expected_output_dtype: str | None = None,
    expected_num_trainable_weights: int | None = None,
    expected_num_non_trainable_weights: int | None = None,
    randomize_weights: bool = True,
    check_eager: bool = True,
    rtol: float = 1e-5,
    atol: float = 1e-5,
    seed: int = 0,
) -> LayerTestResult:
    """Checks one layer configuration end to end.

    Args:
        layer_cls: The layer class.
        init_kwargs: Constructor arguments.
        input_shape: Full input shape with the batch axis (a list of shapes for layers that
            take a list of inputs). Every dim must be known unless ``input_data`` is given.
        expected_output_shape: Full output shape for ``input_shape``.
        reference: ``reference(x, weights)`` → expected output as a numpy array, where ``x``
            is the input array (a list of arrays for list inputs) and ``weights`` is
            ``layer.get_weights()``. Written in numpy (float64 is fine).
        input_dtype: Dtype of the inputs.
        input_data: Inputs to use instead of random ones.
        expected_output_dtype: Defaults to ``input_dtype``.
        expected_num_trainable_weights: Checked when given.
        expected_num_non_trainable_weights: Checked when given.
        randomize_weights: Replace initial weights by random values (so zero biases and unit
            scales do not hide mistakes).
        check_eager: Also call the layer eagerly on numpy inputs.
        rtol: Relative tolerance of the comparisons with ``reference``.
        atol: Absolute tolerance of the comparisons with ``reference``.
        seed: Seed of the random inputs and weights.

    Returns:
        A ``LayerTestResult`` with the layer, model, inputs, weights, output and ONNX bytes.
    """
    rng = np.random.default_rng(seed)
    multi = _is_multi(input_shape)
    shapes = [tuple(s) for s in input_shape] if multi else [tuple(input_shape)]
    expected_output_shape = tuple(expected_output_shape)
    out_dtype = expected_output_dtype or input_dtype

    # Config round trip before building.
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    assert layer_cls.from_config(config).get_config() == config, "get_config/from_config differ"

    # Symbolic call with the full shape, and compute_output_shape.
    symbolic = [kgraph.Input(batch_shape=s, dtype=input_dtype) for s in shapes]
    out = layer(symbolic if multi else symbolic[0])
    assert isinstance(out, kgraph.KerasTensor), f"expected one output tensor, got {out!r}"
    assert out.shape == expected_output_shape, (
        f"symbolic output shape {out.shape} != expected {expected_output_shape}"
    )
    assert out.dtype == out_dtype, f"symbolic output dtype {out.dtype} != {out_dtype}"
    computed = layer.compute_output_shape(list(shapes) if multi else shapes[0])
    assert tuple(computed) == expected_output_shape, (
        f"compute_output_shape {tuple(computed)} != expected {expected_output_shape}"
    )
    assert layer.get_config() == config, "get_config changed after building"

    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    if expected_num_non_trainable_weights is not None:
        assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights
    if randomize_weights and layer.weights:
        layer.set_weights(random_weights(layer, rng))
    weights = layer.get_weights()

    # A Functional model with a dynamic batch axis around the (now built) layer.
    model, out_shape = _model_around(layer, shapes, input_dtype, multi)
    assert out_shape == (None, *expected_output_shape[1:]), (
        f"dynamic-batch output shape {out_shape} != {(None, *expected_output_shape[1:])}"
    )

    if input_data is None:
        assert all(d is not None for s in shapes for d in s), "give input_data for None dims"
        data = random_inputs(shapes, input_dtype, rng)
    else:
        data = list(input_data) if multi else [np.asarray(input_data)]
    x = data if multi else data[0]

    onnx_bytes = model.to_onnx_bytes()
    onnx.checker.check_model(onnx.load_from_string(onnx_bytes), full_check=True)
    (ort_out,) = run_onnx(onnx_bytes, data)
    predicted = model.predict(x, verbose=0)
    want = (len(data[0]), *expected_output_shape[1:])
    for name, value in (("onnxruntime", ort_out), ("predict", predicted)):
        assert value.dtype == np.dtype(out_dtype), f"{name} dtype {value.dtype} != {out_dtype}"
        assert len(value.shape) == len(want) and all(
            w is None or w == v for w, v in zip(want, value.shape)
        ), f"{name} output shape {value.shape} != {want}"
    np.testing.assert_array_equal(predicted, ort_out)
    if reference is not None:
        expected = np.asarray(reference(x, weights))
        np.testing.assert_allclose(
            ort_out, expected, rtol=rtol, atol=atol, err_msg="exported graph != numpy reference"
        )
    if check_eager:
        eager = np.asarray(layer(x))
        np.testing.assert_allclose(
            eager, ort_out, rtol=rtol, atol=atol, err_msg="eager call != exported graph"
        )

    # A layer rebuilt from its config, with the weights copied, computes the same function.
    clone = layer_cls.from_config(config)
    clone_model, _ = _model_around(clone, shapes, input_dtype, multi)
    if weights:
        clone.set_weights(weights)
    np.testing.assert_allclose(
        clone_model.predict(x, verbose=0),
        ort_out,
        rtol=1e-6,
        atol=1e-6,
        err_msg="from_config clone with copied weights differs",
    )
    return LayerTestResult(layer, model, data, weights, ort_out, onnx_bytes)


def _model_around(layer, shapes, dtype, multi):
    inputs = [kgraph.Input(shape=s[1:], dtype=dtype) for s in shapes]
    out = layer(inputs if multi else inputs[0])
    return kgraph.Model(inputs if multi else inputs[0], out), out.shape


def tf_pad(x: np.ndarray, window, strides, dilation, padding: str, value=0.0) -> np.ndarray:
    """Pads the spatial axes of channels_last ``x`` the way TensorFlow/Keras do.

    'same': ``pad_total = max((ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)`` per axis, with
    ``pad_total // 2`` at the start and the extra cell at the end. 'valid': no padding.
    """
    if padding == "valid":
        return x
    pads = [(0, 0)]
    for n, k, s, d in zip(x.shape[1:-1], window, strides, dilation):
        total = max((-(-n // s) - 1) * s + (k - 1) * d + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    pads.append((0, 0))
    return np.pad(x, pads, constant_values=value)


def windows(x: np.ndarray, window, strides, dilation):
    """Yields ``(offset, view)``: for each kernel offset, the strided spatial slice of the
    (already padded) channels_last ``x`` that the offset touches, over all output positions."""
    out = [
        (n - (k - 1) * d - 1) // s + 1
        for n, k, s, d in zip(x.shape[1:-1], window, strides, dilation)
    ]
    for offset in np.ndindex(*window):
        index = tuple(
            slice(o * d, o * d + (m - 1) * s + 1, s)
            for o, d, s, m in zip(offset, dilation, strides, out)
        )
        yield offset, x[(slice(None), *index, slice(None))]
