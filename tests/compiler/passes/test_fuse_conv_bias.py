import numpy as np
import pytest

from kgraph.compiler.passes import FuseConvBiasPass

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("bias_shape", [(4, 1, 1), (1, 4, 1, 1)])
def test_channel_bias_moves_into_conv(check_pass, bias_shape):
    w = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
    bias = RNG.standard_normal(bias_shape).astype(np.float32)

    def build(b):
        x = b.input("x", (2, 3, 6, 6), "float32")
        y = b.op("Conv", [x, b.constant(w)], {"kernel_shape": [3, 3]})
        b.output(b.op("Add", [y, b.constant(bias)]), "out")

    x = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
    before, after, modified = check_pass(build, FuseConvBiasPass(), {"x": x})
    assert modified and before["Add"] == 1 and "Add" not in after


def test_full_tensor_add_is_not_fused(check_pass):
    w = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
    other = RNG.standard_normal((1, 4, 4, 4)).astype(np.float32)

    def build(b):
        x = b.input("x", (2, 3, 6, 6), "float32")
        y = b.op("Conv", [x, b.constant(w)], {"kernel_shape": [3, 3]})
        b.output(b.op("Add", [y, b.constant(other)]), "out")

    x = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
    _, after, modified = check_pass(build, FuseConvBiasPass(), {"x": x})
    assert not modified and after["Add"] == 1
