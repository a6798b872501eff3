"""Resize gradient rule when the image size is only known at run time (the run-time resize
matrices), against finite differences; the static path is checked in test_rules_sampling."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_graph_vjp, check_vjp

RNG = np.random.default_rng(11)

MODES = {
    "linear": {"mode": "linear", "coordinate_transformation_mode": "half_pixel"},
    "antialias": {"mode": "linear", "antialias": 1, "exclude_outside": 1},
    "nearest": {"mode": "nearest", "nearest_mode": "round_prefer_ceil"},
}


@pytest.mark.parametrize("free", [[1, 2], [2]], ids=["hw", "w"])
@pytest.mark.parametrize("out", [(2, 3), (7, 9)], ids=["down", "up"])
@pytest.mark.parametrize("mode", MODES)
def test_resize_symbolic_input_size(mode, out, free):
    """``Resizing(h, w)`` after a layer over ``Input((None, None, C))``: fixed output size."""
    x = RNG.standard_normal((2, 5, 4, 3))
    sizes = np.array([2, *out, 3], np.int64)
    result = check_vjp(
        "Resize", [x, None, None, sizes], MODES[mode], batch=True, free_axes={0: free}
    )
    assert any(node.op_type == "Range" for node in result.graph)  # the run-time path


@pytest.mark.parametrize("mode", MODES)
def test_resize_symbolic_output_size(mode):
    """Sizes computed from the input's shape (2x - 1 along H, W / 2 along W)."""

    def build(b, values):
        x = values[0]
        shape = b.op("Shape", [x])
        hw = b.op("Slice", [shape, b.constant(np.array([1])), b.constant(np.array([3]))])
        hw = b.op(
            "Div", [b.op("Mul", [hw, b.constant(np.array([2, 1]))]), b.constant(np.array([1, 2]))]
        )
        hw = b.op("Sub", [hw, b.constant(np.array([1, 0]))])
        edges = [
            b.op("Slice", [shape, b.constant(np.array([a])), b.constant(np.array([a + 1]))])
            for a in (0, 3)
        ]
        sizes = b.op("Concat", [edges[0], hw, edges[1]], {"axis": 0})
        return [b.op("Resize", [x, None, None, sizes], MODES[mode])]

    x = RNG.standard_normal((2, 4, 6, 2))
    check_graph_vjp(build, [x], [0], batch=True, free_axes={0: [1, 2]})


def test_resize_symbolic_size_by_scales_is_refused():
    x = RNG.standard_normal((1, 4, 4, 2))
    scales = np.array([1.0, 1.5, 0.5, 1.0], np.float32)
    with pytest.raises(NotImplementedError, match="by output sizes"):
        check_vjp(
            "Resize", [x, None, scales], MODES["linear"], dtype="float32", free_axes={0: [1, 2]}
        )
