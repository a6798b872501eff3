"""Neural-network ops: activations, convolution and pooling (channels_last, like Keras)."""

from __future__ import annotations

import math

from kgraph import dtypes
from kgraph.ops import shapes
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.lowering import to_channels_first, to_channels_last, transpose
from kgraph.ops.numpy import _unary, add, cast, divide, erf, multiply, tanh

_relu = _unary("relu", "Relu")


def relu(x):
    """``max(x, 0)``; ONNX ``Relu`` where ORT has a kernel for the dtype, ``Max`` elsewhere;
    bools give int32, as in Keras."""
    from kgraph.ops.numpy import convert_to_tensor, maximum

    dtype = _spec_of(x).dtype
    if dtype in ("float16", "float32", "float64", "int32"):
        return _relu(x)
    if dtype == "weak":
        return _relu(convert_to_tensor(x))
    if dtype == "bool":
        return cast(x, "int32")
    return x if dtype.startswith("uint") else maximum(x, 0)


sigmoid = _unary("sigmoid", "Sigmoid", True)
softplus = _unary("softplus", "Softplus", True)
softsign = _unary("softsign", "Softsign", True)


def _to_float(x):
    """Int inputs compute in floatx, as in Keras (ONNX's Elu/LeakyRelu/Selu are float-only)."""
    return x if _spec_of(x).dtype.startswith("float") else cast(x, dtypes.FLOATX)


def _attr_unary(name: str, onnx_op: str, attr: str):
    op = Op(name, lambda x, **_: x, lambda b, x, **kw: b.op(onnx_op, [x], {attr: kw[attr]}))

    def fn(x, value):
        return apply(op, [_to_float(x)], **{attr: float(value)})

    return fn


_leaky = _attr_unary("leaky_relu", "LeakyRelu", "alpha")
_elu = _attr_unary("elu", "Elu", "alpha")


def leaky_relu(x, negative_slope=0.2):
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    return _leaky(x, negative_slope)


def elu(x, alpha=1.0):
    """Exponential linear unit."""
    return _elu(x, alpha)


_selu = Op(
    "selu",
    lambda x: x,
    lambda b, x: b.op("Selu", [x], {"alpha": 1.6732632423543772, "gamma": 1.0507009873554805}),
)


def selu(x):
    """Scaled exponential linear unit (the self-normalising constants)."""
    return apply(_selu, [_to_float(x)])


def silu(x):
    """``x * sigmoid(x)`` (also called swish)."""
    return multiply(x, sigmoid(x))


swish = silu


def relu6(x):
    """``min(max(x, 0), 6)``."""
    from kgraph.ops.numpy import clip

    return clip(_to_float(x), 0.0, 6.0)


def gelu(x, approximate=True):
    """Gaussian error linear unit; the tanh approximation when ``approximate``."""
    if approximate:
        cube = multiply(multiply(x, x), x)
        t = tanh(multiply(add(x, multiply(cube, 0.044715)), math.sqrt(2.0 / math.pi)))
        return multiply(multiply(x, 0.5), add(t, 1.0))
    return multiply(multiply(x, 0.5), add(erf(divide(x, math.sqrt(2.0))), 1.0))


def _axis_op(name: str, onnx_op: str):
    op = Op(name, lambda x, *, axis: x, lambda b, x, *, axis: b.op(onnx_op, [x], {"axis": axis}))

    def fn(x, axis=-1):
        spec = _spec_of(x)
        if not spec.dtype.startswith("float"):
            x = cast(x, dtypes.FLOATX)
        if isinstance(axis, (tuple, list)) and len(axis) == 1:
            axis = axis[0]
        if isinstance(axis, (tuple, list)):  # over several axes: from their logsumexp
            from kgraph.ops.numpy import exp, subtract
            from kgraph.ops.reductions import logsumexp

            out = subtract(x, logsumexp(x, axis=tuple(axis), keepdims=True))
            return exp(out) if name == "softmax" else out
        return apply(op, [x], axis=shapes.normalize_axis(axis, spec.ndim))

    fn.__name__ = name
    fn.__doc__ = f"``{name}`` along ``axis`` (ONNX ``{onnx_op}``)."
    return fn


softmax = _axis_op("softmax", "Softmax")
log_softmax = _axis_op("log_softmax", "LogSoftmax")


# -- convolution and pooling ----------------------------------------------------------------


def _tuple(value, n: int, name: str) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ValueError(f"{name} must have {n} values. Received: {name}={value}")
    return value


def _window_shape(x: Spec, window, strides, padding, dilation, channels):
    spatial = tuple(
        shapes.conv_output_length(d, k, s, padding, r)
        for d, k, s, r in zip(x.shape[1:-1], window, strides, dilation)
    )
    for d in spatial:
        if d is not None and d <= 0:
            raise ValueError(
                f"The window {window} does not fit the input of shape {x.shape} "
                f"with padding='{padding}'."
            )
    return Spec((x.shape[0], *spatial, channels), x.dtype)


def _pads(x, window, strides, padding, dilation) -> dict:
    spatial = list(x.shape)[1:-1]
    if padding == "valid":
        return {"pads": [0] * (2 * len(window))}
    # At stride 1 'same' pads are (k - 1) * dilation whatever the length: explicit pads there
    # (onnxruntime refuses auto_pad with dilation); only a strided unknown length needs auto_pad.
    lengths = [d if isinstance(d, int) else 1 if s == 1 else None for d, s in zip(spatial, strides)]
    if None in lengths:
        return {"auto_pad": "SAME_UPPER"}
    pairs = [shapes.same_pads(d, k, s, r) for d, k, s, r in zip(lengths, window, strides, dilation)]
    return {"pads": [p[0] for p in pairs] + [p[1] for p in pairs]}


def _conv_infer(x, kernel, *, strides, padding, dilation, groups):
    window = kernel.shape[:-2]
    if x.shape[-1] is not None and x.shape[-1] != kernel.shape[-2] * groups:
        raise ValueError(
            f"conv input has {x.shape[-1]} channels but the kernel of shape "
            f"{kernel.shape} expects {kernel.shape[-2] * groups}."
        )
    return _window_shape(x, window, strides, padding, dilation, kernel.shape[-1])


def _conv_lower(b, x, kernel, *, strides, padding, dilation, groups):
    rank = len(x.shape)
    window = list(kernel.shape)[:-2]
    n = len(window)
    w = transpose(b, kernel, [n + 1, n, *range(n)])  # (k..., in, out) -> (out, in, k...)
    y = b.op(
        "Conv",
        [transpose(b, x, to_channels_first(rank)), w],
        {
            "kernel_shape": window,
            "strides": list(strides),
            "dilations": list(dilation),
            "group": groups,
            **_pads(x, window, strides, padding, dilation),
        },
    )
    return transpose(b, y, to_channels_last(rank))


_conv = Op("conv", _conv_infer, _conv_lower)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution of channels_last ``inputs`` with a Keras-layout kernel ``(k..., in, out)``.

    The number of groups is ``in_channels // kernel.shape[-2]``.
    """
    _check_format(data_format)
    x, k = _spec_of(inputs), _spec_of(kernel)
    n = k.ndim - 2
    if x.ndim != n + 2:
        raise ValueError(
            f"conv expects an input of rank {n + 2} for a kernel of shape "
            f"{k.shape}. Received input shape {x.shape}."
        )
    groups = 1 if x.shape[-1] is None else x.shape[-1] // k.shape[-2]
    return apply(
        _conv,
        [inputs, kernel],
        strides=_tuple(strides, n, "strides"),
        padding=_padding(padding),
        dilation=_tuple(dilation_rate, n, "dilation_rate"),
        groups=groups,
    )


def _pool_infer(x, *, kind, window, strides, padding):
    return _window_shape(x, window, strides, padding, (1,) * len(window), x.shape[-1])


def _pool_lower(b, x, *, kind, window, strides, padding):
    rank = len(x.shape)
    attrs = {
        "kernel_shape": list(window),
        "strides": list(strides),
        **_pads(x, window, strides, padding, (1,) * len(window)),
    }
    if kind == "AveragePool":
        attrs["count_include_pad"] = 0
    y = b.op(kind, [transpose(b, x, to_channels_first(rank))], attrs)
    return transpose(b, y, to_channels_last(rank))


_pool = Op("pool", _pool_infer, _pool_lower)


def _pool_fn(kind: str, inputs, pool_size, strides, padding, data_format):
    _check_format(data_format)
    n = _spec_of(inputs).ndim - 2
    window = _tuple(pool_size, n, "pool_size")
    strides = window if strides is None else _tuple(strides, n, "strides")
    return apply(
        _pool, [inputs], kind=kind, window=window, strides=strides, padding=_padding(padding)
    )


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling over the spatial axes of channels_last ``inputs``."""
    return _pool_fn("MaxPool", inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling; with 'same' padding the padded cells are not counted (as in Keras)."""
    return _pool_fn("AveragePool", inputs, pool_size, strides, padding, data_format)


def _padding(padding: str) -> str:
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same'. Received: padding={padding}")
    return padding


def _check_format(data_format) -> None:
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"kgraph supports data_format='channels_last' only. Received: data_format={data_format}"
        )


def __getattr__(name: str):
    """``kgraph.ops.nn.<name>`` for the nn ops defined in sibling modules (activations,
    convolutions), as ``keras.ops.nn`` offers them; looked up lazily since those modules import
    this one."""
    import kgraph.ops

    if name in kgraph.ops.__all__:
        return getattr(kgraph.ops, name)
    raise AttributeError(f"module 'kgraph.ops.nn' has no attribute '{name}'")
