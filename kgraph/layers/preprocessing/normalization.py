"""``Normalization``: ``(x - mean) / sqrt(variance)`` with statistics given or adapted."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.preprocessing.adapt_data import batches
from kgraph.utils.dataset import Dataset

EPSILON = 1e-7  # Keras' backend.epsilon(): the smallest standard deviation divided by


class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance along ``axis``.

    Args:
        axis: The axis or axes kept (one mean and variance per index of them); ``None``
            normalises with scalars.
        mean: Fixed means (broadcast to the kept axes), or None to ``adapt()`` them.
        variance: Fixed variances, given together with ``mean``.
        invert: Undo the normalisation instead: ``mean + x * sqrt(variance)``.
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        if (mean is None) != (variance is None):
            raise ValueError(
                "When setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean} and variance={variance}"
            )
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                "All `axis` values must be in the range [-ndim, ndim). "
                f"Received inputs with ndim={ndim}, while axis={self.axis}"
            )
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for a in self._keep_axis:
            if input_shape[a] is None:
                raise ValueError(
                    "All `axis` values to be kept must have a known shape. Received "
                    f"axis={self.axis}, inputs.shape={input_shape}, with unknown axis at index {a}"
                )
        self._broadcast_shape = [input_shape[a] if a in self._keep_axis else 1 for a in range(ndim)]
        shape = tuple(input_shape[a] for a in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(shape, "zeros", trainable=False, name="mean")
            self.adapt_variance = self.add_weight(shape, "ones", trainable=False, name="variance")
            self.count = self.add_weight((), "zeros", "int64", trainable=False, name="count")
        self.built = True

    def _stats(self):
        if self.input_mean is not None:
            mean = _to_broadcast(self.input_mean, self._broadcast_shape, self._keep_axis)
            var = _to_broadcast(self.input_variance, self._broadcast_shape, self._keep_axis)
            return mean.astype(self.dtype), var.astype(self.dtype)
        return (
            ops.reshape(self.adapt_mean, self._broadcast_shape),
            ops.reshape(self.adapt_variance, self._broadcast_shape),
        )

    @property
    def mean(self):
        """The means in the inputs' broadcast shape (None before the layer is built)."""
        return self._stat_array(0)

    @property
    def variance(self):
        """The variances in the inputs' broadcast shape (None before the layer is built)."""
        return self._stat_array(1)

    def _stat_array(self, which):
        if not self.built:
            return None
        return np.asarray(self._stats()[which], dtype=self.dtype).reshape(self._broadcast_shape)

    def call(self, inputs):
        if isinstance(inputs, (np.ndarray, list, tuple)):  # eager: float64 arrays too
            x = np.asarray(inputs, dtype=self.dtype)
        elif getattr(inputs, "dtype", None) == self.dtype:
            x = inputs
        else:
            x = ops.cast(inputs, self.dtype)
        mean, variance = self._stats()
        std = ops.maximum(ops.sqrt(variance), EPSILON)
        return mean + x * std if self.invert else (x - mean) / std

    def adapt(self, data, batch_size=None, steps=None):
        """Sets mean and variance from ``data`` (an array, or an iterable of batches such as
        a dataset), merging per-batch statistics exactly (Chan et al.) in float64."""
        if self.input_mean is not None:
            raise ValueError("adapt() needs a Normalization layer without fixed mean/variance.")
        if isinstance(data, Dataset) and _element_rank(data) == 1:
            data = data.batch(128)  # a dataset of single vectors, batched as Keras does
        count, mean, m2 = 0, None, None
        for batch in batches(data, steps):
            batch = batch.astype(np.float64)
            if not self.built:
                # Keras builds from the data's whole shape: a 1-D array keeps its only axis
                shape = batch.shape if batch.ndim == 1 else (None, *batch.shape[1:])
                self._build_for(shape)
            reduce = tuple(a for a in range(batch.ndim) if a not in self._keep_axis)
            n = int(np.prod([batch.shape[a] for a in reduce]))
            b_mean = batch.mean(axis=reduce).reshape(self.adapt_mean.shape)
            b_m2 = batch.var(axis=reduce).reshape(self.adapt_mean.shape) * n
            if mean is None:
                count, mean, m2 = n, b_mean, b_m2
                continue
            delta, total = b_mean - mean, count + n
            mean = mean + delta * n / total
            m2 = m2 + b_m2 + delta**2 * count * n / total
            count = total
        if mean is None:
            raise ValueError("adapt() received no data.")
        self.adapt_mean.assign(mean.astype(self.dtype))
        self.adapt_variance.assign((m2 / count).astype(self.dtype))
        self.count.assign(np.int64(count))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }


def _element_rank(dataset) -> int:
    element = next(iter(dataset.take(1)), None)
    if isinstance(element, tuple):
        element = element[0]
    return np.ndim(element) if element is not None else -1


def _to_broadcast(values, shape, keep) -> np.ndarray:
    values = np.asarray(values, np.float64)
    if values.ndim == 0:
        return np.broadcast_to(values, shape).copy()
    expanded = [1] * len(shape)
    for i in range(1, values.ndim + 1):
        expanded[keep[-i]] = values.shape[-i]
    return np.broadcast_to(values.reshape(expanded), shape).copy()
