"""Gradient rule of ``ConvTranspose``: it is the adjoint of a ``Conv`` (same kernel, strides,
dilations and pads, read from the output side), so its input gradient is that ``Conv`` of the
output gradient and its kernel gradient is that ``Conv``'s kernel gradient with the roles of
input and output gradient swapped (onnxruntime keeps ``output_padding`` below the stride, so
the adjoint Conv yields exactly the input's size). The batch and the spatial sizes may be
symbolic: the pads of a ConvTranspose without ``output_shape`` do not depend on them."""

from __future__ import annotations

from kgraph.compiler.autodiff.emit import attr, dims, input_at, reduce_sum
from kgraph.compiler.autodiff.registry import rule
from kgraph.compiler.autodiff.rules.conv import weight_grad_by_conv
from kgraph.compiler.autodiff.rules.window import Window


def _geometry(node) -> Window:
    """The adjoint Conv's window: it reads the ConvTranspose output and yields its input."""
    x, w, y = node.inputs[0], node.inputs[1], node.outputs[0]
    spatial, out = dims(y)[2:], dims(x)[2:]
    n = len(out)
    kernel = attr(node, "kernel_shape") or dims(w)[2:]
    strides = attr(node, "strides") or [1] * n
    dilations = attr(node, "dilations") or [1] * n
    extra = attr(node, "output_padding") or [0] * n
    auto_pad = attr(node, "auto_pad", "NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    static = None not in spatial and None not in out
    if not static:
        begin, end = _symbolic_pads(node, n, kernel, strides, dilations, extra, auto_pad)
    elif auto_pad in ("SAME_UPPER", "SAME_LOWER", "VALID"):
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
    if not static:
        spatial, out = [None] * n, [None] * n
    return Window(spatial, out, list(kernel), list(strides), list(dilations), begin, end)


def _symbolic_pads(node, n, kernel, strides, dilations, extra, auto_pad):
    """The pads when a spatial size is symbolic: explicit pads, "VALID" (none) or "SAME"
    without ``output_shape``, whose output is ``input * stride`` so that its total pad
    ``output_padding + eff - stride`` does not depend on the size."""
    if attr(node, "output_shape") is not None or any(p >= s for p, s in zip(extra, strides)):
        raise NotImplementedError(
            f"The gradient of ConvTranspose '{node.name}' needs static spatial dims with "
            "output_shape or output_padding >= strides; got input shape "
            f"{node.inputs[0].shape}."
        )
    if auto_pad == "VALID":
        return [0] * n, [0] * n
    if auto_pad not in ("SAME_UPPER", "SAME_LOWER"):
        pads = attr(node, "pads") or [0] * (2 * n)
        return list(pads[:n]), list(pads[n:])
    totals = [p + (k - 1) * d + 1 - s for k, s, d, p in zip(kernel, strides, dilations, extra)]
    if min(totals) < 0:
        raise NotImplementedError(
            f"The gradient of ConvTranspose '{node.name}' needs static spatial dims when "
            f"'same' padding crops nothing (kernel {kernel} below strides {strides})."
        )
    upper = auto_pad != "SAME_LOWER"
    begin = [t // 2 if upper else t - t // 2 for t in totals]
    return begin, [t - first for t, first in zip(totals, begin)]


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
