import numpy as np
import pytest

from kgraph.compiler.passes.conv_transpose_as_conv import ConvTransposeAsConvPass

RNG = np.random.default_rng(12)


def _feeds(x_shape, w_shape, bias=None):
    feeds = {
        "x": RNG.standard_normal(x_shape).astype(np.float32),
        "w": RNG.standard_normal(w_shape).astype(np.float32),
    }
    if bias:
        feeds["b"] = RNG.standard_normal(bias).astype(np.float32)
    return feeds


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "attrs"),
    [
        ((2, 4, 6, 5), (4, 3, 3, 3), {"pads": [1, 1, 1, 1]}),  # a 3x3 same conv's dx
        ((2, 4, 6, 5), (4, 3, 3, 2), {"pads": [0, 1, 2, 0]}),  # uneven kernel and pads
        ((1, 2, 4, 4), (2, 5, 3, 3), {}),  # a valid conv's dx: output grows by k - 1
        ((3, 4, 7), (4, 2, 5), {"pads": [2, 1], "kernel_shape": [5]}),  # 1-D
    ],
)
def test_stride_one_conv_transpose_becomes_a_conv(check_pass, x_shape, w_shape, attrs):
    def build(b):
        x = b.input("x", x_shape, "float32")
        w = b.input("w", w_shape, "float32")
        inputs = [x, w, b.input("b", (w_shape[1],), "float32")]
        b.output(b.op("ConvTranspose", inputs, attrs), "y")

    before, after, modified = check_pass(
        build, ConvTransposeAsConvPass(), _feeds(x_shape, w_shape, (w_shape[1],))
    )
    assert modified and before["ConvTranspose"] == 1
    assert after["ConvTranspose"] == 0 and after["Conv"] == 1


@pytest.mark.parametrize(
    "attrs",
    [
        {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]},
        {"dilations": [2, 2]},
        {"group": 2},
        {"pads": [3, 3, 3, 3]},  # crops past the kernel's reach
    ],
)
def test_other_conv_transposes_are_kept(check_pass, attrs):
    def build(b):
        x = b.input("x", (1, 4, 8, 8), "float32")
        w = b.input("w", (4, 2, 3, 3), "float32")
        b.output(b.op("ConvTranspose", [x, w], attrs), "y")

    _, after, modified = check_pass(
        build, ConvTransposeAsConvPass(), _feeds((1, 4, 8, 8), (4, 2, 3, 3))
    )
    assert not modified and after["ConvTranspose"] == 1


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "group"),
    [
        ((2, 6, 5, 5), (6, 1, 3, 3), 6),  # a depthwise conv's dx
        ((2, 6, 5, 5), (6, 1, 5, 5), 3),  # depth multiplier 2: two dy channels per group
        ((2, 4, 7), (4, 1, 3), 4),  # 1-D depthwise
    ],
)
def test_depthwise_conv_transpose_becomes_a_grouped_conv(check_pass, x_shape, w_shape, group):
    pads = {"pads": [w_shape[-1] // 2] * 2 * (len(x_shape) - 2)}

    def build(b):
        x = b.input("x", x_shape, "float32")
        w = b.input("w", w_shape, "float32")
        b.output(b.op("ConvTranspose", [x, w], {"group": group, **pads}), "y")

    before, after, modified = check_pass(build, ConvTransposeAsConvPass(), _feeds(x_shape, w_shape))
    assert modified and before["ConvTranspose"] == 1
    assert after["ConvTranspose"] == 0 and after["Conv"] == 1


def test_one_by_one_kernel_is_not_flipped(check_pass):
    def build(b):
        x = b.input("x", (2, 6, 3, 3), "float32")
        w = b.input("w", (6, 4, 1, 1), "float32")
        b.output(b.op("ConvTranspose", [x, w]), "y")

    _, after, modified = check_pass(
        build, ConvTransposeAsConvPass(), _feeds((2, 6, 3, 3), (6, 4, 1, 1))
    )
    assert modified and after["Conv"] == 1 and after.get("Slice", 0) == 0
