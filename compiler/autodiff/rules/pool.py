"""Gradient rules of pooling: MaxPool through its ``Indices`` output, AveragePool through a
depthwise ``ConvTranspose`` of a ones kernel (with symbolic sizes and uncounted pads, the
per-window cell counts are computed at run time), global pools through broadcasting."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from kgraph.compiler.autodiff.emit import (
    attr,
    const,
    dims,
    flat,
    ints,
    mask_as,
    np_dtype,
    reduce_sum,
    scatter_flat,
    shape_of,
)
from kgraph.compiler.autodiff.registry import rule
from kgraph.compiler.autodiff.rules.window import (
    Window,
    fit_to_input,
    window,
)


@rule("MaxPool")
def _max_pool(b, node, grads):
    """Adds the ``Indices`` output to the forward node if absent (flat NC… positions of the
    maxima), then ScatterElements(add) of the gradient at those positions."""
    if attr(node, "storage_order", 0):
        raise NotImplementedError("No gradient for MaxPool with storage_order=1.")
    y = node.outputs[0]
    if len(node.outputs) < 2:
        node.resize_outputs(2)
        node.outputs[1].name = f"{node.name}:indices"
        node.outputs[1].type = ir.TensorType(ir.DataType.INT64)
        node.outputs[1].shape = None if y.shape is None else ir.Shape(list(y.shape))
    return [scatter_flat(b, node.inputs[0], flat(b, node.outputs[1]), flat(b, grads[0]), "add")]


@rule("AveragePool")
def _average_pool(b, node, grads):
    """Each output cell spreads ``g / count`` over its window: a depthwise ConvTranspose."""
    x = node.inputs[0]
    geo = window(node)
    channels = dims(x)[1]
    if channels is None:
        raise NotImplementedError(f"AveragePool '{node.name}' needs a static channel count.")
    include_pad = bool(attr(node, "count_include_pad", 0))
    if not geo.static and not include_pad and (geo.dynamic or any(geo.begin + geo.end)):
        counts = _runtime_counts(b, x, geo)
    else:
        counts = b.constant(_counts(geo, include_pad).astype(np_dtype(x)))
    scaled = b.op("Div", [grads[0], counts])
    ones = b.constant(np.ones((channels, 1, *geo.kernel), dtype=np_dtype(x)))
    dx = b.op(
        "ConvTranspose",
        [scaled, ones],
        {**geo.transpose_attrs(), "group": channels, "kernel_shape": geo.kernel},
    )
    return [fit_to_input(b, dx, x, geo)]


def _counts(geo: Window, include_pad: bool) -> np.ndarray:
    """Number of cells each window averages, shaped (1, 1, *out): a product over the axes.
    With symbolic sizes every window counts its full kernel (no pads, or pads counted)."""
    if not geo.static:
        return np.full([1, 1] + [1] * len(geo.kernel), float(np.prod(geo.kernel)))
    total = np.ones((1, 1), dtype=np.float64)
    for size, out, k, s, d, pb, pe in zip(
        geo.spatial, geo.out, geo.kernel, geo.strides, geo.dilations, geo.begin, geo.end
    ):
        cells = np.arange(out)[:, None] * s - pb + np.arange(k)[None, :] * d
        low, high = (-pb, size + pe) if include_pad else (0, size)
        axis = ((cells >= low) & (cells < high)).sum(axis=1).astype(np.float64)
        total = total[..., None] * axis
    return total


def _runtime_counts(b, x, geo: Window):
    """The in-input cells of each window when the sizes are symbolic and pads are not
    counted (Keras' 'same' average pooling): a Conv of a ones kernel over a ones map of
    ``x``'s run-time spatial shape, padded as the node pads (zeros count nothing). Shaped
    (1, 1, *out)."""
    n = len(geo.kernel)
    spatial = b.op("Slice", [b.op("Shape", [x]), ints(b, [2]), ints(b, [2 + n])])
    shape = b.op("Concat", [ints(b, [1, 1]), spatial], {"axis": 0})
    one = ir.tensor(np.ones(1, dtype=np_dtype(x)))
    ones = b.op("ConstantOfShape", [shape], {"value": one})
    kernel = b.constant(np.ones((1, 1, *geo.kernel), dtype=np_dtype(x)))
    pads = {"auto_pad": geo.same} if geo.dynamic else {"pads": geo.begin + geo.end}
    attrs = {"kernel_shape": geo.kernel, "strides": geo.strides, **pads}
    if any(d != 1 for d in geo.dilations):
        attrs["dilations"] = geo.dilations
    return b.op("Conv", [ones, kernel], attrs)


@rule("GlobalAveragePool")
def _global_average_pool(b, node, grads):
    x = node.inputs[0]
    spatial = dims(x)[2:]
    if None in spatial:
        size = b.op("Div", [b.op("Size", [x]), b.op("Size", [node.outputs[0]])])
        count = b.op("Cast", [size], {"to": x.dtype})
    else:
        count = const(b, float(np.prod(spatial)), x)
    return [b.op("Expand", [b.op("Div", [grads[0], count]), shape_of(b, x)])]


@rule("GlobalMaxPool")
def _global_max_pool(b, node, grads):
    """Routes the gradient to the maxima, shared equally by ties."""
    x = node.inputs[0]
    mask = mask_as(b, b.op("Equal", [x, node.outputs[0]]), x)
    count = reduce_sum(b, mask, list(range(2, len(dims(x)))))
    return [b.op("Mul", [mask, b.op("Div", [grads[0], count])])]
