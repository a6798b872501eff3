"""``Discretization``: buckets continuous values by boundaries."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.preprocessing.adapt_data import batches
from kgraph.layers.preprocessing.category_encoding import encode
from kgraph.layers.preprocessing.index_lookup import unadapted_symbolic
from kgraph.tensor import KerasTensor


class Discretization(Layer):
    """Maps each value to the index of its bucket: ``i`` where
    ``bin_boundaries[i-1] <= x < bin_boundaries[i]`` (``np.digitize``), as int32 (Keras 3's
    output dtype), or encoded.

    Args:
        bin_boundaries: Sorted boundaries; or None with ``num_bins`` and ``adapt()``.
        num_bins: Number of buckets ``adapt()`` makes (boundaries at evenly spaced quantiles,
            computed exactly with ``np.quantile``; Keras uses an approximate summary, so adapted
            boundaries can differ slightly).
        epsilon: Accepted for compatibility (Keras' summary error bound).
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: Only False.
    """

    def __init__(
        self,
        bin_boundaries=None,
        num_bins=None,
        epsilon=0.01,
        output_mode="int",
        sparse=False,
        dtype=None,
        name=None,
    ):
        super().__init__(name=name, dtype=dtype)
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(
                "Unknown value for `output_mode` argument of Discretization. Allowed values are: "
                "('int', 'one_hot', 'multi_hot', 'count'). "
                f"Received: output_mode={output_mode}"
            )
        if sparse:
            raise ValueError("kgraph has no sparse tensors. Received: sparse=True")
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`"
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Both `num_bins` and `bin_boundaries` should not be set. "
                f"Received: `num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = False

    def adapt(self, data, steps=None):
        """Boundaries at the ``1/num_bins … (num_bins-1)/num_bins`` quantiles of ``data``."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer without `num_bins`.")
        values = np.concatenate([b.astype(np.float64).ravel() for b in batches(data, steps)])
        quantiles = np.linspace(0.0, 1.0, self.num_bins + 1)[1:-1]
        self.bin_boundaries = np.quantile(values, quantiles).tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            if self.output_mode == "int" and unadapted_symbolic(inputs):
                return KerasTensor(tuple(inputs.shape), "int32")  # a model built before adapt()
            raise ValueError("Discretization needs `bin_boundaries` or a call to adapt() first.")
        x = ops.cast(inputs, "float32")
        bounds = np.asarray(self.bin_boundaries, np.float32)
        above = ops.greater_equal(ops.expand_dims(x, -1), bounds)
        index = ops.sum(ops.cast(above, "int64"), axis=-1)
        if self.output_mode == "int":
            return ops.cast(index, "int32")  # Keras' output dtype, whatever the layer's dtype
        return encode(index, self.output_mode, len(bounds) + 1, self.dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = len(self.bin_boundaries or []) + 1 if self.num_bins is None else self.num_bins
        shape = tuple(input_shape)
        if self.output_mode == "one_hot" and shape[-1] != 1:
            return (*shape, depth)
        return (*shape[:-1], depth)

    @classmethod
    def from_config(cls, config):
        """An adapted layer's config has both ``num_bins`` and ``bin_boundaries``, which
        ``__init__`` refuses: the boundaries are set after construction, as Keras does."""
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            bin_boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = list(bin_boundaries)
            return layer
        return cls(**config)

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
