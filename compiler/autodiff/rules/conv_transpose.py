"""Gradient rule of ``ConvTranspose``: it is the adjoint of a ``Conv`` (same kernel, strides,
dilations and pads, read from the output side), so its input gradient is that ``Conv`` of the
output gradient and its kernel gradient is that ``Conv``'s kernel gradient with the roles of
input and output gradient swapped (onnxruntime keeps ``output_padding`` below the stride, so
the adjoint Conv yields exactly the input's size). Spatial dims must be static, the batch may
be symbolic."""

from __future__ import annotations

from kgraph.compiler.autodiff.emit import attr, dims, input_at, reduce_sum
from kgraph.compiler.autodiff.registry import rule
from kgraph.compiler.autodiff.rules.conv import weight_grad_by_conv
from kgraph.compiler.autodiff.rules.window import Window


def _geometry(node) -> Window:
    """The adjoint Conv's window: it reads the ConvTranspose output and yields its input."""
    x, w, y = node.inputs[0], node.inputs[1], node.outputs[0]
    spatial, out = dims(y)[2:], dims(x)[2:]
    if None in spatial or None in out:
        raise NotImplementedError(
            f"The gradient of ConvTranspose '{node.name}' needs static spatial dims; "
            f"got input shape {x.shape} and output shape {y.shape}."
        )
    n = len(out)
    kernel = attr(node, "kernel_shape") or dims(w)[2:]
    strides = attr(node, "strides") or [1] * n
    dilations = attr(node, "dilations") or [1] * n
    extra = attr(node, "output_padding") or [0] * n
    auto_pad = attr(node, "auto_pad", "NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if auto_pad in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        totals = [
            s * (i - 1) + p + (k - 1) * d + 1 - o
            for i, o, k, s, d, p in zip(out, spatial, kernel, strides, dilations, extra)
        ]
        upper = auto_pad != "SAME_LOWER"
        begin = [t // 2 if upper else t - t // 2 for t in totals]
        end = [t - first for t, first in zip(totals, begin)]
    else:
        pads = attr(node, "pads") or [0] * (2 * n)
        begin, end = list(pads[:n]), list(pads[n:])
    return Window(spatial, out, list(kernel), list(strides), list(dilations), begin, end)


@rule("ConvTranspose")
def _conv_transpose(b, node, grads):
    x, w = node.inputs[:2]
    g = grads[0]
    geo = _geometry(node)
    group = attr(node, "group", 1)
    dx = b.op(
        "Conv",
        [g, w],
        {
            "kernel_shape": geo.kernel,
            "strides": geo.strides,
            "dilations": geo.dilations,
            "pads": geo.begin + geo.end,
            "group": group,
        },
    )
    dw = weight_grad_by_conv(b, g, w, x, geo, group)
    db = None
    if input_at(node, 2) is not None:
        db = reduce_sum(b, g, [0, *range(2, 2 + len(geo.kernel))], keepdims=False)
    return [dx, dw, db][: len(node.inputs)]
