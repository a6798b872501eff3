"""Closure: every ONNX op the front end emits has a gradient rule or is non-differentiable.

Each public ``kgraph.ops`` op (and ``kgraph.random.dropout``) is traced in a tiny model, and so
is each layer class ``kgraph.layers`` exports (where it can be built from a small table of
constructor arguments): the op types of the traced graphs must all be handled. The traced
graphs are then differentiated (sum of float outputs w.r.t. the float inputs and the trainable
weights) and the result must pass the ONNX checker and run in onnxruntime.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from harness_vjp import session

import kgraph
import kgraph.layers as layers
import kgraph.ops as ops
from kgraph.compiler import serde
from kgraph.compiler.autodiff import ensure_shapes, gradients, handled_op_types
from kgraph.models.export import trace_model

SHAPE = (None, 4, 4, 3)
KERNEL = np.ones((2, 2, 3, 2), np.float32) * 0.1

OP_CALLS = {  # op name -> calls on a (batch, 4, 4, 3) float32 tensor; default: f(x), f(x, x)
    "argmax": lambda x: ops.argmax(x, axis=-1),
    "average_pool": lambda x: [ops.average_pool(x, 2), ops.average_pool(x, 3, 1, "same")],
    "max_pool": lambda x: [ops.max_pool(x, 2), ops.max_pool(x, 3, 1, "same")],
    "cast": lambda x: [ops.cast(x, "int32"), ops.cast(x, "float64")],
    "clip": lambda x: ops.clip(x, -1.0, 1.0),
    "concatenate": lambda x: ops.concatenate([x, x], axis=-1),
    "conv": lambda x: [ops.conv(x, KERNEL), ops.conv(x, KERNEL, 2, "same", None, 1)],
    "expand_dims": lambda x: ops.expand_dims(x, 1),
    "gelu": lambda x: [ops.gelu(x), ops.gelu(x, approximate=False)],
    "get_item": lambda x: [x[:, 1:3], x[..., 0], x[:, ::-2, None, -1], x[...]],
    "matmul": lambda x: ops.matmul(x, np.ones((3, 5), np.float32)),
    "one_hot": lambda x: ops.one_hot(ops.argmax(x, axis=-1), 3),
    "power": lambda x: ops.power(x, 2.0),
    "reshape": lambda x: ops.reshape(x, (-1, 48)),
    "shape": lambda x: x,
    "slice": lambda x: [
        ops.slice(x, [0, 1, 0, 0], [-1, 2, 3, 3]),
        ops.slice(x, [0, ops.argmax(x[0, 0, 0]), 1, 0], [-1, 2, 2, 3]),
    ],
    "squeeze": lambda x: ops.squeeze(ops.expand_dims(x, 1), 1),
    "stack": lambda x: ops.stack([x, x], axis=1),
    "transpose": lambda x: ops.transpose(x, (0, 2, 1, 3)),
    "where": lambda x: ops.where(ops.greater(x, 0.0), x, ops.negative(x)),
    "dropout": lambda x: kgraph.random.dropout(x, 0.5),
    "depthwise_conv": lambda x: ops.depthwise_conv(x, np.ones((2, 2, 3, 2), np.float32)),
    "separable_conv": lambda x: ops.separable_conv(
        x, np.ones((2, 2, 3, 1), np.float32), np.ones((1, 1, 3, 2), np.float32)
    ),
    "conv_transpose": lambda x: [
        ops.conv_transpose(x, np.ones((3, 3, 2, 3), np.float32), 2, "same"),
        ops.conv_transpose(x, np.ones((1, 2, 2, 3), np.float32), 1, "same", 1),
    ],
    "glu": lambda x: ops.glu(ops.concatenate([x, x], axis=-1)),
    "threshold": lambda x: ops.threshold(x, 0.5, 0.0),
    "pad": lambda x: ops.pad(x, [(0, 0), (1, 1), (0, 2), (0, 0)]),
    "take": lambda x: [ops.take(x, np.array([0, 2]), axis=2), ops.take(np.ones((5, 3)), x)],
    "broadcast_to": lambda x: ops.broadcast_to(ops.expand_dims(x, 1), (None, 2, 4, 4, 3)),
    "repeat": lambda x: ops.repeat(x, 2, axis=2),
    "einsum": lambda x: [ops.einsum("abcd,de->abce", x, np.ones((3, 2), np.float32))],
    # creation ops: constants combined with x, so the graph differentiates through them
    "zeros": lambda x: x + ops.zeros((4, 4, 3)),
    "ones": lambda x: x * ops.ones((4, 3)),
    "full": lambda x: x * ops.full((3,), 2.0),
    "full_like": lambda x: [x * ops.full_like(x, 2.0), x + ops.zeros_like(x)],
    "arange": lambda x: [x * ops.arange(3.0), x + ops.arange(0, 3, 1, "float32")],
    "linspace": lambda x: [x * ops.linspace(0.0, 1.0, 3), x + ops.linspace(0, 2, 3, False)],
    "eye": lambda x: ops.matmul(x, ops.eye(3)),
    "identity": lambda x: ops.matmul(x, ops.identity(3)),
    "tri": lambda x: ops.matmul(x, ops.tri(3)),
    # numpy-style ops that need arguments besides x (or static lengths the batch axis lacks)
    "arccosh": lambda x: ops.arccosh(x + 1.0),
    "argpartition": lambda x: ops.argpartition(x, 1),
    "array_split": lambda x: ops.array_split(x, 3, axis=1),
    "bincount": lambda x: ops.bincount(_ints(x[:, 0, 0]), x[:, 0, 0], minlength=4),
    **{
        name: (lambda f: lambda x: f(_ints(x), 3))(getattr(ops, name))
        for name in ("bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift")
        + ("bitwise_left_shift", "bitwise_right_shift")
    },
    "bitwise_not": lambda x: ops.bitwise_not(_ints(x)),
    "bitwise_invert": lambda x: ops.bitwise_invert(_ints(x)),
    "cumprod": lambda x: ops.cumprod(x, axis=-1),
    "nancumprod": lambda x: ops.nancumprod(x, axis=2),
    "diag": lambda x: [ops.diag(x[0, 0]), ops.diag(x[0, 0, 0], 1)],
    "diagflat": lambda x: ops.diagflat(x[0, 0]),
    "diagonal": lambda x: ops.diagonal(x, 0, 1, 2),
    "trace": lambda x: ops.trace(x, 1, 1, 2),
    "digitize": lambda x: ops.digitize(x, np.array([0.3, 0.6], np.float32)),
    "dot": lambda x: ops.dot(x, np.ones((3, 2), np.float32)),
    "tensordot": lambda x: ops.tensordot(x, np.ones((4, 3, 2), np.float32), 2),
    "kron": lambda x: ops.kron(x[0, 0], np.ones((2, 2), np.float32)),
    "dsplit": lambda x: ops.dsplit(x, 2),
    "hsplit": lambda x: ops.hsplit(x, [1]),
    "vsplit": lambda x: ops.vsplit(x[0], 2),
    "split": lambda x: [*ops.split(x, 2, axis=1), *ops.split(x, [1], axis=-1)],
    "unstack": lambda x: ops.unstack(x, axis=1),
    "dstack": lambda x: ops.dstack([x, x]),
    "hstack": lambda x: ops.hstack([x, x]),
    "vstack": lambda x: ops.vstack([x, x]),
    "extract_sequences": lambda x: ops.extract_sequences(x, 2, 1),
    "histogram": lambda x: ops.histogram(x[0, 0, 0], 3),
    "in_top_k": lambda x: ops.in_top_k(ops.argmax(x[:, 0, 0], axis=-1), x[:, 0, 0], 2),
    "ldexp": lambda x: ops.ldexp(x, np.array([1, 2, 3], np.int32)),
    "nextafter": lambda x: ops.nextafter(x, 2.0),
    "view": lambda x: [ops.view(x, "int32"), ops.view(ops.view(x, "uint32"), "float32")],
    "vectorize": lambda x: ops.vectorize(lambda a, b: a * b + 1.0)(x[0, 0], x[1, 0, 0]),
    "median": lambda x: ops.median(x, axis=-1),
    "quantile": lambda x: ops.quantile(x, [0.3, 0.6], axis=(1, 2), method="linear"),
    "percentile": lambda x: ops.percentile(x, 40, axis=-1, keepdims=True),
    "meshgrid": lambda x: ops.meshgrid(x[0, 0, 0], x[0, 0, 1]),
    "moveaxis": lambda x: ops.moveaxis(x, 1, -1),
    "swapaxes": lambda x: ops.swapaxes(x, 1, 3),
    "nonzero": lambda x: x,  # eager only: its length depends on the values
    "roll": lambda x: ops.roll(x, 1, axis=1),
    "tile": lambda x: ops.tile(x, (1, 2, 1, 1)),
    "scatter": lambda x: ops.scatter(np.array([[0], [2]], np.int32), x[0, :2], (3, 4, 3)),
    "scatter_update": lambda x: ops.scatter_update(x[0], np.array([[1, 2]]), x[1, 0, :1]),
    "slice_update": lambda x: ops.slice_update(x, (0, 1, 1, 0), ops.ones((1, 2, 2, 3))),
    **{
        name: (lambda f: lambda x: f(x[0], np.array([0, 0, 1, 2]), 3))(getattr(ops, name))
        for name in ("segment_sum", "segment_max", "segment_min", "segment_prod")
    },
    "searchsorted": lambda x: ops.searchsorted(np.array([0.2, 0.5], np.float32), x),
    "select": lambda x: ops.select([x > 0.5, x < 0.2], [x, -x], 0.0),
    "take_along_axis": lambda x: ops.take_along_axis(x, ops.argsort(x, axis=-1), axis=-1),
    "top_k": lambda x: ops.top_k(x, 2),
    "unique": lambda x: ops.unique(x[0, 0, 0], size=4, fill_value=0.0),
    "unravel_index": lambda x: ops.unravel_index(_ints(x), (4, 4)),
    "vander": lambda x: ops.vander(x[0, 0, 0]),
    **{
        name: (lambda f: lambda x: x * f(3))(getattr(ops, name))
        for name in ("bartlett", "blackman", "hamming", "hanning")
    },
    "kaiser": lambda x: x * ops.kaiser(3, 2.0),
    "fft": lambda x: ops.fft((x, x * 2.0)),
    "fft2": lambda x: ops.fft2((x, x * 2.0)),
    "ifft2": lambda x: ops.ifft2((x, x * 2.0)),
    "rfft": lambda x: ops.rfft(x, 4),
    "irfft": lambda x: ops.irfft((x, x * 2.0)),
    "stft": lambda x: ops.stft(ops.reshape(x, (-1, 48)), 8, 4, 8),
    "istft": lambda x: ops.istft((x, x * 2.0), 4, 2, 4),
    "empty": lambda x: x + ops.empty((3,)),
    "logspace": lambda x: x * ops.logspace(0.0, 1.0, 3),
    "geomspace": lambda x: x * ops.geomspace(1.0, 4.0, 3),
    "corrcoef": lambda x: ops.corrcoef(x[0, 0]),
    "cdist": lambda x: ops.cdist(x, x + 1.0),  # no zero distance (sqrt's kink)
    "correlate": lambda x: ops.correlate(x[0, 0, 0], x[1, 1, 1], "full"),
    "gcd": lambda x: ops.gcd(_ints(x), 4),
    "lcm": lambda x: ops.lcm(_ints(x), 4),
    "nanquantile": lambda x: ops.nanquantile(x, [0.3, 0.6], axis=-1),
    "nanpercentile": lambda x: ops.nanpercentile(x, 50, axis=(1, 2)),
    "ctc_loss": lambda x: ops.ctc_loss(
        np.array([[1, 2]] * 4, np.int32), x[0], np.array([2, 1, 2, 0]), np.array([4, 4, 3, 2])
    ),
    "ctc_decode": lambda x: list(ops.ctc_decode(x[0], np.array([4, 3, 2, 4]))),
    "rearrange": lambda x: ops.rearrange(x, "b h w c -> b (w c) h"),
    # control flow: traced predicates select, static trip counts unroll
    "cond": lambda x: ops.cond(ops.sum(x) > 0, lambda: x * 2.0, lambda: -x),
    "switch": lambda x: ops.switch(
        ops.cast(ops.sum(x) > 0, "int32"), [lambda a: a, lambda a: -a], x
    ),
    "while_loop": lambda x: ops.while_loop(lambda v: ops.max(v) > 0.5, lambda v: v * 0.5, x, 3),
    "fori_loop": lambda x: ops.fori_loop(0, 2, lambda i, v: v * x, x),
    "scan": lambda x: list(ops.scan(lambda c, r: (c + r, c * r), x[0, 0], x[0])),
    "map": lambda x: ops.map(lambda r: r * 2.0, x[0]),
    "vectorized_map": lambda x: ops.vectorized_map(lambda r: ops.sum(r), x[0]),
    "associative_scan": lambda x: ops.associative_scan(ops.add, x, axis=1),
    "saturate_cast": lambda x: ops.saturate_cast(x * 300.0, "uint8"),
    "custom_gradient": lambda x: ops.custom_gradient(lambda a: (ops.round(a), lambda g: g))(x),
    # eager-only utilities
    **{
        name: lambda x: x
        for name in ("is_tensor", "dtype", "convert_to_numpy", "jvp")
        + ("polar", "view_as_complex", "view_as_real")
    },
    # kgraph.ops.linalg: square (batch, 4, 3, 3) slices; the decompositions are eager-only
    **{
        name: (lambda f: lambda x: f(x[:, :, :3, :] + ops.eye(3) * 3.0))(getattr(ops, name))
        for name in ("det", "inv", "logdet", "cholesky", "cholesky_inverse")
    },
    "slogdet": lambda x: ops.slogdet(x[:, :, :3, :]),
    "solve": lambda x: ops.solve(x[:, :, :3, :] + ops.eye(3) * 3.0, x[:, :, :3, :2]),
    "solve_triangular": lambda x: ops.solve_triangular(x[:, :, :3, :] + 3.0, x[:, :, 0], True),
    "norm": lambda x: [ops.norm(x), ops.norm(x, 1, axis=(1, 2)), ops.norm(x, 3, axis=-1)],
    **{
        name: lambda x: x
        for name in ("eig", "eigh", "lstsq", "lu_factor", "matrix_rank", "pinv", "qr", "svd")
    },
    # keras.ops.nn compositions (kgraph/ops/nn_norms.py, nn_spatial.py)
    "moments": lambda x: list(ops.moments(x, [1, 2])),
    "batch_normalization": lambda x: ops.batch_normalization(
        x, np.zeros(3, np.float32), np.ones(3, np.float32), -1
    ),
    "psnr": lambda x: ops.psnr(x, x * 0.5, 1.0),
    "multi_hot": lambda x: ops.multi_hot(_ints(x[:, 0, 0]), 3),
    "sparse_categorical_crossentropy": lambda x: ops.sparse_categorical_crossentropy(
        np.zeros((4, 4), np.int32), x[0]
    ),
    "adaptive_average_pool": lambda x: ops.adaptive_average_pool(x, (3, 2)),
    "adaptive_max_pool": lambda x: ops.adaptive_max_pool(x, (3, 2)),
    "depth_to_space": lambda x: ops.depth_to_space(ops.concatenate([x, x, x, x], -1), 2),
    "space_to_depth": lambda x: ops.space_to_depth(x, 2),
    "dot_product_attention": lambda x: ops.dot_product_attention(x, x, x, is_causal=True),
    "unfold": lambda x: ops.unfold(x, 2, padding=1),
    "fold": lambda x: ops.fold(ops.reshape(x, (-1, 4, 12)), (4, 5), 2),
    **{
        name: (lambda f: lambda x: [f(x), f(x, axis=1), f(x, axis=(1, 2), keepdims=True)])(
            getattr(ops, name)
        )
        for name in ("max", "min", "mean", "sum", "prod")
    },
}


def _ints(x):
    """Small non-negative int32 values from x (in (0.1, 1) at run time)."""
    return ops.cast(ops.multiply(x, 10.0), "int32")


class _OpModel(kgraph.Model):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def call(self, inputs):
        found = self.fn(inputs)
        found = [
            t
            for t in (found if isinstance(found, (list, tuple)) else [found])
            if isinstance(t, kgraph.KerasTensor)
        ]
        return found or inputs


def _op_model(name):
    fn = getattr(ops, name, None) or getattr(kgraph.random, name)
    calls = [OP_CALLS[name]] if name in OP_CALLS else [lambda x: fn(x), lambda x: fn(x, x)]
    for call in calls:
        model = _OpModel(call)
        try:
            model.build(SHAPE)
        except (TypeError, ValueError):
            continue
        return model
    raise AssertionError(f"Cannot call kgraph.ops.{name} on a {SHAPE} tensor: add it to OP_CALLS.")


def _check_traced(model, training):
    builder = trace_model(model, training=training)[0]
    types = {node.op_type for node in builder.graph}
    missing = types - handled_op_types()
    assert not missing, f"op types without a gradient rule or NON_DIFFERENTIABLE entry: {missing}"
    if training:
        _differentiate(builder)
    return types


def _differentiate(b):
    """Gradient of the sum of the float outputs w.r.t. float inputs and trainable weights."""
    graph = b.graph
    outputs = [v for v in graph.outputs if v.dtype is not None and v.dtype.is_floating_point()]
    if not outputs:
        return
    ensure_shapes(graph)
    terms = [b.op("ReduceSum", [b.op("Cast", [v], {"to": 11})], {"keepdims": 0}) for v in outputs]
    loss = terms[0] if len(terms) == 1 else b.op("Sum", terms)
    b.output(loss, "closure_loss")
    ensure_shapes(graph)
    wrt = [v for v in graph.inputs if v.dtype.is_floating_point()]
    wrt += [v for path, v in b.parameters.items() if b.trainable.get(path)]
    for i, grad in enumerate(gradients(b, loss, wrt)):
        if grad is not None:
            b.output(grad, f"closure_grad_{i}")
    run = session(serde.to_bytes(serde.to_model(graph)))
    feeds = {}
    for value in graph.inputs:
        shape = [2 if not isinstance(d, int) else d for d in value.shape]
        feeds[value.name] = (
            np.random.default_rng(0).uniform(0.1, 1.0, shape).astype(value.dtype.numpy())
        )
    for result in run.run(None, feeds):
        if np.issubdtype(result.dtype, np.floating):
            assert np.isfinite(result).all()


@pytest.mark.parametrize("name", [*ops.__all__, "dropout"])
def test_op_closure(name):
    _check_traced(_op_model(name), training=True)


# -- layers ---------------------------------------------------------------------------------

LAYER_ARGS = {  # class name -> constructor kwargs (default: none)
    "Dense": {"units": 3},
    "Dropout": {"rate": 0.5},
    "Reshape": {"target_shape": (-1,)},
    "Permute": {"dims": (2, 1, 3)},
    "Activation": {"activation": "tanh"},
    "Conv1D": {"filters": 2, "kernel_size": 2},
    "Conv2D": {"filters": 2, "kernel_size": 2},
    "Conv3D": {"filters": 2, "kernel_size": 2},
    "BaseConv": {"rank": 2, "filters": 2, "kernel_size": 2},
    # preprocessing (the augmentation layers run in the training graph)
    "CategoryEncoding": {"num_tokens": 5, "output_mode": "count"},
    "CenterCrop": {"height": 2, "width": 3},
    "Discretization": {"bin_boundaries": [0.2, 0.5]},
    "IntegerLookup": {"vocabulary": [0, 1, 2]},
    "StringLookup": {"vocabulary": ["a", "b"]},  # float inputs: built only to be refused
    "Normalization": {"mean": 0.5, "variance": 2.0},
    "RandomBrightness": {"factor": 0.2, "value_range": (0, 1)},
    "RandomContrast": {"factor": 0.3, "value_range": (0, 1)},
    "RandomCrop": {"height": 3, "width": 2},
    "RandomRotation": {"factor": 0.2, "fill_mode": "wrap"},
    "RandomShear": {"x_factor": 0.3, "y_factor": 0.2},
    "RandomColorDegeneration": {"factor": 0.3},
    "RandomHue": {"factor": 0.2, "value_range": (0, 1)},
    "RandomPosterization": {"factor": 4},
    "RandomSaturation": {"factor": 0.6, "value_range": (0, 1)},
    "RandomSharpness": {"factor": 0.3},
    "RandomTranslation": {"height_factor": 0.2, "width_factor": 0.3},
    "RandomZoom": {"height_factor": 0.2, "fill_mode": "reflect"},
    "Rescaling": {"scale": 0.5, "offset": 1.0},
    "Pipeline": {"layers": [layers.Rescaling(0.5), layers.RandomFlip()]},
    "Resizing": {"height": 3, "width": 5},
    "DepthwiseConv1D": {"kernel_size": 2, "depth_multiplier": 2},
    "DepthwiseConv2D": {"kernel_size": 2, "depth_multiplier": 2},
    "BaseDepthwiseConv": {"rank": 2, "depth_multiplier": 1, "kernel_size": 2},
    "BaseSeparableConv": {"rank": 2, "depth_multiplier": 1, "filters": 2, "kernel_size": 2},
    "BaseConvTranspose": {"rank": 2, "filters": 2, "kernel_size": 3, "strides": 2},
    "Conv2DTranspose": {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
    **{
        f"Adaptive{kind}Pooling{r}D": {"output_size": 2}
        for kind in ("Average", "Max")
        for r in (1, 2, 3)
    },
    "Dot": {"axes": -1},
    "EinsumDense": {"equation": "...c,cd->...d", "output_shape": 2, "bias_axes": "d"},
    "Embedding": {"input_dim": 5, "output_dim": 2},
    "GaussianNoise": {"stddev": 0.1},
    "GroupNormalization": {"groups": 3},
    "Lambda": {"function": lambda x: ops.tanh(x)},
    "RepeatVector": {"n": 2},
    "TimeDistributed": {"layer": layers.Dense(2)},
    "SpectralNormalization": {"layer": layers.Dense(2)},
    "Bidirectional": {"layer": layers.LSTM(2)},
    "RNN": {"cell": [layers.LSTMCell(2), layers.GRUCell(2, reset_after=False)]},
    **{f"ConvLSTM{r}D": {"filters": 2, "kernel_size": 2} for r in (1, 2, 3)},
    "ReversibleEmbedding": {"input_dim": 5, "output_dim": 3},
    "STFTSpectrogram": {"frame_length": 4},
    "MaxNumBoundingBoxes": {"max_number": 3, "bounding_box_format": "xyxy"},
}
INPUT_SHAPES = {  # class name -> input shape without the batch
    "RepeatVector": (3,),
    "ConvLSTM1D": (3, 6, 2),  # (time, ...spatial, channels)
    "ConvLSTM2D": (3, 4, 4, 2),
    "ConvLSTM3D": (3, 4, 4, 4, 2),
    "STFTSpectrogram": (16, 2),
    "MaxNumBoundingBoxes": (5, 4),  # (boxes, 4)
}
RNN_LAYERS = ("SimpleRNN", "LSTM", "GRU", "Bidirectional", "RNN")
INPUT_SHAPES.update({name: (4, 3) for name in RNN_LAYERS})  # (time, features)
GENERIC_ARGS = [{}, {"filters": 2, "kernel_size": 2}, {"units": 3}, {"rate": 0.5}]


def _layer_classes():
    found = {}
    for name in layers.__all__:
        cls = getattr(layers, name)
        if (
            inspect.isclass(cls)
            and issubclass(cls, layers.Layer)
            and cls is not layers.Layer
            and not issubclass(cls, layers.InputLayer)
            and cls.__name__ not in found
        ):
            found[cls.__name__] = cls
    return sorted(found)


def _input_shape(name):
    if name in INPUT_SHAPES:
        return INPUT_SHAPES[name]
    for suffix, shape in (("1D", (6, 3)), ("2D", (4, 4, 3)), ("3D", (4, 4, 4, 2))):
        if suffix in name:  # Conv2DTranspose too
            return shape
    return (4, 4, 3)


def _layer_model(name):
    cls = getattr(layers, name)
    errors = []
    for kwargs in [LAYER_ARGS[name]] if name in LAYER_ARGS else GENERIC_ARGS:
        try:
            layer = cls(**kwargs)
        except (TypeError, ValueError, NotImplementedError) as error:
            errors.append(error)
            continue
        inputs = [kgraph.Input(_input_shape(name)) for _ in range(2)]
        for args in (inputs[0], inputs):  # one input, or a list (merging layers)
            try:
                return kgraph.Model(args, layer(args))
            except (TypeError, ValueError, NotImplementedError, AttributeError) as error:
                errors.append(error)
    pytest.skip(f"{name} cannot be built from the closure test's argument table: {errors[-1:]}")


@pytest.mark.parametrize("name", _layer_classes())
def test_layer_closure(name):
    model = _layer_model(name)
    _check_traced(model, training=False)
    _check_traced(model, training=True)
