"""The input contract of a model that starts with preprocessing layers, for its ONNX metadata:
a deployment reads the layout, dtype and value range the exported graph expects of raw inputs
(e.g. NHWC float32 pixels in [0, 255]) instead of guessing them."""

from __future__ import annotations

import numpy as np

from kgraph.layers.preprocessing import __all__ as preprocessing_names
from kgraph.layers.preprocessing.rescaling import Rescaling

_PIXEL_SCALES = ((1 / 255, 0.0), (1 / 127.5, -1.0))  # 0-255 pixels to [0, 1] or [-1, 1]


def _leading(layers) -> list:
    """The preprocessing layers the model starts with (nested Sequentials flattened)."""
    found = []
    for layer in layers:
        name = type(layer).__name__
        if name in preprocessing_names:
            found.append(layer)
        elif name == "InputLayer":
            continue
        elif getattr(layer, "layers", None) is not None:  # a nested model
            inner = [sub for sub in layer.layers if type(sub).__name__ != "InputLayer"]
            sub = _leading(inner)
            found += sub
            if len(sub) < len(inner):
                return found
        else:
            return found
    return found


def _value_range(first) -> list | None:
    if isinstance(first, Rescaling) and np.ndim(first.scale) == 0 and np.ndim(first.offset) == 0:
        for scale, offset in _PIXEL_SCALES:
            if np.isclose(first.scale, scale) and np.isclose(first.offset, offset):
                return [0, 255]
        return None
    value_range = getattr(first, "value_range", None)
    return None if value_range is None else [float(v) for v in value_range]


def input_contract(layers, input_specs) -> dict | None:
    """``{"inputs": [...], "preprocessing": [...], "value_range": ...}`` when ``layers`` start
    with preprocessing layers, else None. ``input_specs`` are the model's input tensors."""
    leading = _leading(layers)
    if not leading:
        return None
    data_format = getattr(leading[0], "data_format", "channels_last")
    inputs = []
    for spec in input_specs:
        shape = [d if isinstance(d, int) else None for d in spec.shape]
        entry = {"name": getattr(spec, "name", None), "dtype": spec.dtype, "shape": shape}
        if len(shape) == 4:
            entry["layout"] = "NCHW" if data_format == "channels_first" else "NHWC"
        inputs.append(entry)
    return {
        "inputs": inputs,
        "preprocessing": [type(layer).__name__ for layer in leading],
        "value_range": _value_range(leading[0]),
    }
