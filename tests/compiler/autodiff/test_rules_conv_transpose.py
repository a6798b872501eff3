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
