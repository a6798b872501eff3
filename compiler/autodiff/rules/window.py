"""Geometry of sliding-window nodes (Conv, MaxPool, AveragePool): explicit pads and the
ConvTranspose settings that map an output-shaped gradient back onto the input exactly."""

from __future__ import annotations

import dataclasses
import math

from kgraph.compiler.autodiff.emit import attr, dims


@dataclasses.dataclass
class Window:
    """Static window settings of one node, per spatial axis."""

    spatial: list[int]
    out: list[int]
    kernel: list[int]
    strides: list[int]
    dilations: list[int]
    begin: list[int]
    end: list[int]

    @property
    def effective(self) -> list[int]:
        """Extent of the dilated kernel."""
        return [(k - 1) * d + 1 for k, d in zip(self.kernel, self.dilations)]

    def transpose_attrs(self) -> dict:
        """``strides/dilations/pads/output_padding`` of a ConvTranspose that takes an
        output-shaped tensor back to exactly the input's spatial shape."""
        ends, extra = [], []
        for size, out, eff, s, pb, pe in zip(
            self.spatial, self.out, self.effective, self.strides, self.begin, self.end
        ):
            pad = size + pb + pe - eff - s * (out - 1)  # > 0: input cells no window reads
            ends.append(pe - min(pad, 0))  # < 0 (ceil_mode): windows past the end, crop more
            extra.append(max(pad, 0))
        return {
            "strides": self.strides,
            "dilations": self.dilations,
            "pads": self.begin + ends,
            "output_padding": extra,
        }


def window(node, kernel=None) -> Window:
    """Reads the geometry of ``node`` (input 0 in NC… layout); spatial dims must be static."""
    x, y = node.inputs[0], node.outputs[0]
    spatial, out = dims(x)[2:], dims(y)[2:]
    if None in spatial:
        raise NotImplementedError(
            f"The gradient of {node.op_type} '{node.name}' needs static "
            f"spatial dims; got input shape {x.shape}."
        )
    n = len(spatial)
    kernel = attr(node, "kernel_shape") or kernel
    strides = attr(node, "strides") or [1] * n
    dilations = attr(node, "dilations") or [1] * n
    auto_pad = attr(node, "auto_pad", "NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    ceil = bool(attr(node, "ceil_mode", 0))
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        begin, end = [], []
        for size, k, s, d in zip(spatial, kernel, strides, dilations):
            total = max(0, (math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size)
            first = total // 2 if auto_pad == "SAME_UPPER" else total - total // 2
            begin.append(first)
            end.append(total - first)
    elif auto_pad == "VALID":
        begin, end = [0] * n, [0] * n
    else:
        pads = attr(node, "pads") or [0] * (2 * n)
        begin, end = list(pads[:n]), list(pads[n:])
    if None in out:
        rounding = math.ceil if ceil else math.floor
        out = [
            rounding((size + pb + pe - ((k - 1) * d + 1)) / s) + 1
            for size, k, s, d, pb, pe in zip(spatial, kernel, strides, dilations, begin, end)
        ]
    return Window(spatial, out, list(kernel), list(strides), list(dilations), begin, end)
