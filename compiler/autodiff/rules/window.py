"""Geometry of sliding-window nodes (Conv, MaxPool, AveragePool): explicit pads and the
ConvTranspose settings that map an output-shaped gradient back onto the input exactly.

Spatial sizes may be symbolic (a ``Conv2D`` over ``Input(shape=(None, None, C))``). Their
``spatial`` and ``out`` entries are then None. Where the pads do not depend on the sizes
(explicit or "VALID" pads, "SAME" at stride 1) they stay static; "SAME" pads at a stride above
1 do (``Window.same`` names the rule, ``begin``/``end`` are zeros): :func:`runtime_pads`
computes them from ``Shape``, :func:`pad_input` applies them to the forward input and
:func:`fit_to_input` crops the full ConvTranspose back onto the input."""

from __future__ import annotations

import dataclasses
import math

from kgraph.compiler.autodiff.emit import attr, dims, ints, np_dtype


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
    #: "SAME_UPPER"/"SAME_LOWER" when the pads depend on symbolic sizes (computed at run time)
    same: str | None = None

    @property
    def static(self) -> bool:
        """Whether every spatial size is known (else ``spatial``/``out`` hold None)."""
        return None not in self.spatial

    @property
    def dynamic(self) -> bool:
        """Whether the pads are only known at run time (``begin``/``end`` are then zeros)."""
        return self.same is not None

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


def _auto_pad(node) -> str:
    value = attr(node, "auto_pad", "NOTSET")
    return value.decode() if isinstance(value, bytes) else value


def window(node, kernel=None) -> Window:
    """Reads the geometry of ``node`` (input 0 in NC… layout)."""
    x, y = node.inputs[0], node.outputs[0]
    spatial, out = dims(x)[2:], dims(y)[2:]
    n = len(spatial)
    kernel = attr(node, "kernel_shape") or kernel
    strides = attr(node, "strides") or [1] * n
    dilations = attr(node, "dilations") or [1] * n
    auto_pad = _auto_pad(node)
    same = auto_pad in ("SAME_UPPER", "SAME_LOWER")
    if None in spatial and attr(node, "ceil_mode", 0):
        raise NotImplementedError(
            f"The gradient of {node.op_type} '{node.name}' needs static spatial dims with "
            f"ceil_mode (the output size rounds up); got input shape {x.shape}. Give the "
            "Input a fixed size."
        )
    dynamic = None in spatial and same and any(s != 1 for s in strides)
    if dynamic:  # pads computed at run time (runtime_pads)
        begin, end = [0] * n, [0] * n
    elif same:
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
        rounding = math.ceil if attr(node, "ceil_mode", 0) else math.floor
        out = [
            rounding((size + pb + pe - ((k - 1) * d + 1)) / s) + 1
            for size, k, s, d, pb, pe in zip(spatial, kernel, strides, dilations, begin, end)
        ]
    if None in spatial:
        out = [None] * n
    return Window(
        spatial,
        out,
        list(kernel),
        list(strides),
        list(dilations),
        begin,
        end,
        auto_pad if dynamic else None,
    )


def _spatial_shape(b, t, n: int):
    """The run-time spatial sizes of ``t`` (axes 2…), an int64 vector."""
    return b.op("Slice", [b.op("Shape", [t]), ints(b, [2]), ints(b, [2 + n])])


def runtime_pads(b, x, geo: Window):
    """The (begin, end) "SAME" pads of a dynamic window over ``x``, int64 vectors computed
    from its shape as ONNX does: ``total = max(0, (ceil(n / s) - 1) * s + eff - n)``, the
    odd cell at the end ("SAME_UPPER") or at the start ("SAME_LOWER")."""
    size = _spatial_shape(b, x, len(geo.kernel))
    strides = ints(b, geo.strides)
    out = b.op("Div", [b.op("Add", [size, ints(b, [s - 1 for s in geo.strides])]), strides])
    reach = b.op(
        "Add", [b.op("Mul", [b.op("Sub", [out, ints(b, [1])]), strides]), ints(b, geo.effective)]
    )
    total = b.op("Max", [b.op("Sub", [reach, size]), ints(b, [0])])
    half = b.op("Div", [total, ints(b, [2])])
    begin = half if geo.same == "SAME_UPPER" else b.op("Sub", [total, half])
    return begin, b.op("Sub", [total, begin])


def pad_input(b, x, geo: Window):
    """``x`` with a dynamic window's run-time pads applied (zeros), so that windows with no
    pads read it as the node did; other windows return ``x`` as it is."""
    if not geo.dynamic:
        return x
    begin, end = runtime_pads(b, x, geo)
    zeros = ints(b, [0, 0])
    pads = b.op("Concat", [zeros, begin, zeros, end], {"axis": 0})
    shape = [*dims(x)[:2], *[None] * len(geo.kernel)]
    return b.op("Pad", [x, pads], dtype=np_dtype(x), shape=shape)


def fit_to_input(b, dx, x, geo: Window):
    """``dx`` from a ConvTranspose with :meth:`Window.transpose_attrs`, brought to ``x``'s
    symbolic extent: a dynamic window's full result is first cropped by its run-time leading
    pads, then each spatial axis is padded at the end, where a strided window leaves up to
    ``stride - 1`` trailing cells unread (their gradient is zero). With static sizes (output
    padding) or at stride 1 the ConvTranspose is already exact."""
    if geo.static or all(s == 1 for s in geo.strides):
        return dx
    n = len(geo.kernel)
    want = _spatial_shape(b, x, n)
    if geo.dynamic:
        begin, _ = runtime_pads(b, x, geo)
        axes = ints(b, range(2, 2 + n))
        dx = b.op("Slice", [dx, begin, b.op("Add", [begin, want]), axes])
    missing = b.op("Sub", [want, _spatial_shape(b, dx, n)])
    pads = b.op("Concat", [ints(b, [0] * (n + 4)), missing], {"axis": 0})
    return b.op("Pad", [dx, pads])
