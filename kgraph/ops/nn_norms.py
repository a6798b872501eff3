"""``keras.ops.nn`` statistics, normalizations and crossentropies, composed of kgraph ops.

Each is a composition of existing ops, so it traces, runs eagerly and differentiates through
their lowerings and gradient rules; nothing here needs an ONNX op of its own.
"""

from __future__ import annotations

import math

from kgraph import dtypes
from kgraph import ops as _ops
from kgraph.ops.core import _spec_of

EPSILON = 1e-7  # Keras' backend.epsilon()


def _axes(axis, ndim: int) -> list[int]:
    axes = [axis] if isinstance(axis, int) else list(axis)
    return sorted(a % ndim for a in axes)


def _float(x):
    return x if _spec_of(x).dtype.startswith("float") else _ops.cast(x, dtypes.FLOATX)


def moments(x, axes, keepdims=False, synchronized=False):
    """``(mean, variance)`` of ``x`` over ``axes``; float16 computes in float32 (as in Keras).
    ``synchronized`` only matters for distributed TensorFlow and is ignored."""
    del synchronized
    x = _float(x)
    dtype = _spec_of(x).dtype
    if dtype in ("float16", "bfloat16"):
        x = _ops.cast(x, "float32")
    axes = tuple(_axes(axes, _spec_of(x).ndim))
    mean = _ops.mean(x, axis=axes, keepdims=True)
    variance = _ops.mean(_ops.square(_ops.subtract(x, mean)), axis=axes, keepdims=True)
    if not keepdims:
        mean, variance = _ops.squeeze(mean, axes), _ops.squeeze(variance, axes)
    if dtype in ("float16", "bfloat16"):
        mean, variance = _ops.cast(mean, dtype), _ops.cast(variance, dtype)
    return mean, variance


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset`` with the 1-D statistics laid
    along ``axis``."""
    ndim = _spec_of(x).ndim
    axis = axis % ndim
    shape = [1] * ndim
    shape[axis] = -1

    def along(v):
        return _ops.reshape(v, shape)

    inv = _ops.rsqrt(_ops.add(along(variance), epsilon))
    if scale is not None:
        inv = _ops.multiply(inv, along(scale))
    y = _ops.multiply(_ops.subtract(x, along(mean)), inv)
    return y if offset is None else _ops.add(y, along(offset))


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x / max(norm(x, order), epsilon)`` along ``axis`` (``order`` an int >= 1)."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    epsilon = EPSILON if epsilon is None else epsilon
    x = _float(x)
    if _spec_of(x).ndim == 0:
        x = _ops.expand_dims(x, 0)
    if order == 2:
        inv = _ops.rsqrt(_ops.sum(_ops.square(x), axis=axis, keepdims=True))
        return _ops.multiply(x, _ops.minimum(inv, 1.0 / epsilon))
    powered = _ops.sum(_ops.power(_ops.abs(x), float(order)), axis=axis, keepdims=True)
    norm = _ops.power(powered, 1.0 / order)
    return _ops.divide(x, _ops.maximum(norm, epsilon))


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mse)`` over all elements."""
    s1, s2 = _spec_of(x1), _spec_of(x2)
    if s1.shape != s2.shape:
        raise ValueError(
            f"Input shapes {s1.shape} and {s2.shape} must match for PSNR calculation. "
        )
    mse = _ops.mean(_ops.square(_ops.subtract(_float(x1), _float(x2))))
    return _ops.subtract(20.0 * math.log10(max_val), _ops.multiply(_ops.log10(mse), 10.0))


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """``x * rsqrt(mean(square(x)) + epsilon) * scale`` along ``axis``."""
    epsilon = EPSILON if epsilon is None else epsilon
    x = _float(x)
    axes = tuple(_axes(axis, max(_spec_of(x).ndim, 1)))
    rrms = _ops.rsqrt(_ops.add(_ops.mean(_ops.square(x), axis=axes, keepdims=True), epsilon))
    y = _ops.multiply(x, rrms)
    return y if scale is None else _ops.multiply(y, scale)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, rms_scaling=False):
    """Normalizes ``x`` to zero mean and unit variance along ``axis``, then ``* gamma + beta``
    (``rms_scaling``: Keras' legacy variant that scales by the variance without centering)."""
    epsilon = EPSILON if epsilon is None else epsilon
    x = _float(x)
    ndim = _spec_of(x).ndim
    axes = _axes(axis, ndim)
    if axes != [ndim - 1]:
        shape = [_spec_of(x).shape[a] if a in axes else 1 for a in range(ndim)]
        gamma = None if gamma is None else _ops.reshape(gamma, shape)
        beta = None if beta is None else _ops.reshape(beta, shape)
    mean, variance = moments(x, axes, keepdims=True)
    inv = _ops.rsqrt(_ops.add(variance, epsilon))
    if rms_scaling:
        y = _ops.multiply(x, inv)
        return y if gamma is None else _ops.multiply(y, gamma)
    if gamma is not None:
        inv = _ops.multiply(inv, gamma)
    y = _ops.multiply(_ops.subtract(x, mean), inv)
    return y if beta is None else _ops.add(y, beta)


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """A 1 for every class listed in each row of integer ``inputs`` (rank 1: the whole vector)."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    if kwargs:
        raise ValueError(f"Unknown arguments: {sorted(kwargs)}")
    if num_classes is None:
        raise ValueError("Argument `num_classes` must be specified.")
    if sparse:
        raise ValueError("kgraph has no sparse tensors. Received: sparse=True")
    dtype = dtypes.standardize(dtype) if dtype is not None else dtypes.FLOATX
    inputs = _ops.cast(inputs, "int32")
    reduction = 1 if _spec_of(inputs).ndim > 1 else 0
    return _ops.max(_ops.one_hot(inputs, num_classes, axis=axis, dtype=dtype), axis=reduction)


def _same_shape(target, output):
    t, o = _spec_of(target), _spec_of(output)
    if t.shape != o.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={t.shape}, output.shape={o.shape}"
        )


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary crossentropy (probabilities clipped to ``[eps, 1 - eps]``)."""
    _same_shape(target, output)
    output, target = _float(output), _float(target)
    if from_logits:
        pos = _ops.multiply(target, _ops.log_sigmoid(output))
        neg = _ops.multiply(_ops.subtract(1.0, target), _ops.log_sigmoid(_ops.negative(output)))
        return _ops.negative(_ops.add(pos, neg))
    p = _ops.clip(output, EPSILON, 1.0 - EPSILON)
    bce = _ops.add(
        _ops.multiply(target, _ops.log(p)),
        _ops.multiply(_ops.subtract(1.0, target), _ops.log(_ops.subtract(1.0, p))),
    )
    return _ops.negative(bce)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``-sum(target * log(p), axis)`` with ``p`` the softmax of logits or the renormalized,
    clipped probabilities."""
    _same_shape(target, output)
    output, target = _float(output), _float(target)
    if from_logits:
        log_p = _ops.log_softmax(output, axis=axis)
    else:
        p = _ops.divide(output, _ops.sum(output, axis=axis, keepdims=True))
        log_p = _ops.log(_ops.clip(p, EPSILON, 1.0 - EPSILON))
    return _ops.negative(_ops.sum(_ops.multiply(target, log_p), axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``categorical_crossentropy`` of integer labels (a trailing size-1 label axis is
    squeezed, as in Keras)."""
    t, o = _spec_of(target), _spec_of(output)
    if t.ndim == o.ndim and t.shape[-1] == 1:
        target = _ops.squeeze(target, -1)
        t = _spec_of(target)
    if t.ndim != o.ndim - 1:
        raise ValueError(
            "Argument `output` must have rank (ndim) `target.ndim - 1`. Received: "
            f"target.shape={t.shape}, output.shape={o.shape}"
        )
    classes = o.shape[axis]
    onehot = _ops.one_hot(_ops.cast(target, "int32"), classes, axis=axis, dtype=dtypes.FLOATX)
    return categorical_crossentropy(onehot, output, from_logits=from_logits, axis=axis)
