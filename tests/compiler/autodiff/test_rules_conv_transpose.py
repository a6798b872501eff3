"""ConvTranspose gradient rule (input, kernel, bias) against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_vjp

RNG = np.random.default_rng(7)

SPECS = {  # id: (x shape, w shape (Cin, Cout/group, k...), attrs)
    "plain": ((2, 3, 4, 4), (3, 2, 3, 3), {}),
    "stride2_pads": ((1, 2, 3, 4), (2, 3, 3, 3), {"strides": [2, 2], "pads": [1, 1, 0, 1]}),
    "output_padding": ((1, 2, 3, 3), (2, 2, 2, 3), {"strides": [2, 3], "output_padding": [1, 2]}),
    "dilation": ((2, 2, 4, 3), (2, 2, 3, 2), {"dilations": [2, 1], "pads": [1, 0, 2, 0]}),
    "groups2": ((1, 4, 3, 3), (4, 1, 3, 3), {"group": 2, "strides": [2, 2]}),
    "same_upper": ((1, 2, 3, 3), (2, 2, 3, 3), {"strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    "conv3d": ((1, 2, 2, 3, 2), (2, 2, 2, 2, 2), {"strides": [2, 1, 1], "pads": [0, 1, 0] * 2}),
}


@pytest.mark.parametrize("spec", SPECS)
def test_conv_transpose(spec):
    xs, ws, attrs = SPECS[spec]
    cout = ws[1] * attrs.get("group", 1)
    inputs = [RNG.standard_normal(xs), RNG.standard_normal(ws), RNG.standard_normal(cout)]
    check_vjp("ConvTranspose", inputs, attrs, wrt=[0, 1, 2], eps=1e-2)


def test_conv_transpose_symbolic_batch_without_bias():
    inputs = [RNG.standard_normal((3, 2, 3, 3)), RNG.standard_normal((2, 3, 3, 3))]
    check_vjp("ConvTranspose", inputs, {"strides": [2, 2]}, wrt=[0, 1], eps=1e-2, batch=[0])


SYMBOLIC_SPECS = {  # Conv2DTranspose over Input((None, None, C)): (x, w, attrs, free axes)
    "plain": ((2, 3, 4, 4), (3, 2, 3, 3), {}, [2, 3]),
    "stride2_pads": ((1, 2, 3, 4), (2, 3, 3, 3), {"strides": [2, 2], "pads": [1, 1, 0, 1]}, [2, 3]),
    "output_padding": (
        (1, 2, 3, 3),
        (2, 2, 2, 3),
        {"strides": [2, 3], "output_padding": [1, 2]},
        [2, 3],
    ),
    "dilation_one_free_axis": (
        (2, 2, 4, 3),
        (2, 2, 3, 2),
        {"dilations": [2, 1], "pads": [1, 0, 2, 0]},
        [3],
    ),
    "groups2": ((1, 4, 3, 3), (4, 1, 3, 3), {"group": 2, "strides": [2, 2]}, [2, 3]),
    "same_upper": (
        (1, 2, 3, 3),
        (2, 2, 3, 3),
        {"strides": [2, 2], "auto_pad": "SAME_UPPER"},
        [2, 3],
    ),
    "same_lower": (
        (1, 2, 3, 4),
        (2, 2, 4, 3),
        {"strides": [2, 2], "auto_pad": "SAME_LOWER"},
        [2, 3],
    ),
    "valid": (
        (1, 2, 3, 4),
        (2, 2, 2, 3),
        {"strides": [3, 2], "auto_pad": "VALID", "output_padding": [1, 1]},
        [2, 3],
    ),
    "conv1d": ((2, 2, 5), (2, 3, 3), {"strides": [2], "pads": [1, 0]}, [2]),
}


@pytest.mark.parametrize("spec", SYMBOLIC_SPECS)
def test_conv_transpose_symbolic_spatial_sizes(spec):
    """The pads of a ConvTranspose without output_shape do not depend on the sizes: the
    adjoint Conv and the cropped kernel-gradient Conv need none of them."""
    xs, ws, attrs, free = SYMBOLIC_SPECS[spec]
    cout = ws[1] * attrs.get("group", 1)
    inputs = [RNG.standard_normal(xs), RNG.standard_normal(ws), RNG.standard_normal(cout)]
    check_vjp(
        "ConvTranspose", inputs, attrs, wrt=[0, 1, 2], eps=1e-2, batch=[0], free_axes={0: free}
    )


def test_conv_transpose_symbolic_size_output_shape_is_refused():
    inputs = [RNG.standard_normal((1, 2, 3)), RNG.standard_normal((2, 2, 3))]
    attrs = {"strides": [2], "output_shape": [8]}
    with pytest.raises(NotImplementedError, match="output_shape"):
        check_vjp("ConvTranspose", inputs, attrs, wrt=[0, 1], free_axes={0: [2]})
