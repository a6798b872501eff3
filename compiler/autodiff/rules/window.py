"""Geometry of sliding-window nodes (Conv, MaxPool, AveragePool): explicit pads and the
ConvTranspose settings that map an output-shaped gradient back onto the input exactly.

Spatial sizes may be symbolic (a ``Conv1D`` over ``Input(shape=(None, ...))``) wherever the
pads do not depend on them: explicit or "VALID" pads, and "SAME" at stride 1. Their
``spatial`` and ``out`` entries are then None, and :func:`fit_to_input` restores the input's
extent that a ConvTranspose cannot know."""

from __future__ import annotations

import dataclasses
import math

from kgraph.compiler.autodiff.emit import attr, dims, ints


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
    def static(self) -> bool:
        """Whether every spatial size is known (else ``spatial``/``out`` hold None)."""
        return None not in self.spatial

    @property
    def effective(self) -> list[int]:
        """Extent of the dilated kernel."""
        return [(k - 1) * d + 1 for k, d in zip(self.kernel, self.dilations)]

    def transpose_attrs(self) -> dict:
        """``strides/dilations/pads/output_padding`` of a ConvTranspose that takes an
        output-shaped tensor back to exactly the input's spatial shape; with symbolic sizes
        the pads alone (:func:`fit_to_input` then restores the extent)."""
        if not self.static:
            return {
                "strides": self.strides,
                "dilations": self.dilations,
                "pads": self.begin + self.end,
            }
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
    n = len(spatial)
    kernel = attr(node, "kernel_shape") or kernel
    strides = attr(node, "strides") or [1] * n
    dilations = attr(node, "dilations") or [1] * n
    auto_pad = attr(node, "auto_pad", "NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    ceil = bool(attr(node, "ceil_mode", 0))
    same = auto_pad in ("SAME_UPPER", "SAME_LOWER")
    if None in spatial and ((same and any(s != 1 for s in strides)) or ceil):
        raise NotImplementedError(
            f"The gradient of {node.op_type} '{node.name}' needs static spatial dims with "
            f"'same' padding at strides {list(strides)} or ceil_mode (the pads depend on the "
            f"size); got input shape {x.shape}. Give the Input a fixed length."
        )
    if same:
        begin, end = [], []
        for size, k, s, d in zip(spatial, kernel, strides, dilations):
            size = 1 if size is None else size  # stride 1: the pads do not depend on it
            total = max(0, (math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size)
            first = total // 2 if auto_pad == "SAME_UPPER" else total - total // 2
            begin.append(first)
            end.append(total - first)
    elif auto_pad == "VALID":
        begin, end = [0] * n, [0] * n
    else:
        pads = attr(node, "pads") or [0] * (2 * n)
        begin, end = list(pads[:n]), list(pads[n:])
    if None in out and None not in spatial:
        rounding = math.ceil if ceil else math.floor
        out = [
            rounding((size + pb + pe - ((k - 1) * d + 1)) / s) + 1
            for size, k, s, d, pb, pe in zip(spatial, kernel, strides, dilations, begin, end)
        ]
    if None in spatial:
        out = [None] * n
    return Window(spatial, out, list(kernel), list(strides), list(dilations), begin, end)


def fit_to_input(b, dx, x, geo: Window):
    """``dx`` from a ConvTranspose with :meth:`Window.transpose_attrs`, padded at the end of
    each spatial axis to ``x``'s symbolic extent: a strided window leaves up to
    ``stride - 1`` trailing cells unread, and their gradient is zero. With static sizes
    (output padding) or at stride 1 the ConvTranspose is already exact."""
    if geo.static or all(s == 1 for s in geo.strides):
        return dx
    n = len(geo.kernel)
    starts, ends = ints(b, [2]), ints(b, [2 + n])
    want = b.op("Slice", [b.op("Shape", [x]), starts, ends])
    have = b.op("Slice", [b.op("Shape", [dx]), starts, ends])
    missing = b.op("Sub", [want, have])
    pads = b.op("Concat", [ints(b, [0] * (n + 4)), missing], {"axis": 0})
    return b.op("Pad", [dx, pads])
