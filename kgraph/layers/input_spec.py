"""``InputSpec``: what a layer accepts (rank, fixed axes, dtype), checked at call time."""

from __future__ import annotations

import numpy as np

from kgraph.tensor import KerasTensor, Variable
from kgraph.utils import tree


class InputSpec:
    """Constraints on one layer input.

    Args:
        ndim: Exact rank. min_ndim: Minimum rank. max_ndim: Maximum rank.
        axes: ``{axis: size}`` that must match.
    """

    def __init__(
        self,
        ndim=None,
        min_ndim=None,
        max_ndim=None,
        axes=None,
        dtype=None,
        shape=None,
        allow_last_axis_squeeze=False,
        name=None,
    ):
        self.ndim, self.min_ndim, self.max_ndim = ndim, min_ndim, max_ndim
        self.axes = dict(axes or {})
        self.dtype, self.shape, self.name = dtype, shape, name

    def __repr__(self):
        return (
            f"InputSpec(ndim={self.ndim}, min_ndim={self.min_ndim}, "
            f"max_ndim={self.max_ndim}, axes={self.axes})"
        )


def _shape(x) -> tuple:
    return tuple(x.shape) if isinstance(x, (KerasTensor, Variable)) else tuple(np.shape(x))


def check_input_spec(layer, spec, inputs) -> None:
    """Raises ValueError naming the layer, the expectation and the received shape."""
    if spec is None:
        return
    specs = spec if isinstance(spec, (list, tuple)) else [spec]
    tensors = tree.flatten(inputs)
    for i, (s, x) in enumerate(zip(specs, tensors)):
        if s is None:
            continue
        shape = _shape(x)
        where = f"Input {i} of layer '{layer.name}' is incompatible with the layer"
        built = getattr(layer, "_build_input_shape", None)
        if built is not None:
            where += f" (built for input shape {built})"
        if s.ndim is not None and len(shape) != s.ndim:
            raise ValueError(
                f"{where}: expected ndim={s.ndim}, found ndim={len(shape)}. "
                f"Full shape received: {shape}"
            )
        if s.min_ndim is not None and len(shape) < s.min_ndim:
            raise ValueError(
                f"{where}: expected min_ndim={s.min_ndim}, found ndim={len(shape)}. "
                f"Full shape received: {shape}"
            )
        if s.max_ndim is not None and len(shape) > s.max_ndim:
            raise ValueError(
                f"{where}: expected max_ndim={s.max_ndim}, found ndim={len(shape)}. "
                f"Full shape received: {shape}"
            )
        for axis, size in s.axes.items():
            dim = shape[axis] if -len(shape) <= axis < len(shape) else None
            if size is not None and dim is not None and dim != size:
                raise ValueError(
                    f"{where}: expected axis {axis} of input shape to have value "
                    f"{size}, but received input with shape {shape}"
                )
