"""Pooling gradient rules against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_vjp

RNG = np.random.default_rng(6)

MAX = {  # id: (x shape, attrs)
    "k2s2": ((2, 3, 6, 6), {"kernel_shape": [2, 2], "strides": [2, 2]}),
    "k3s1_pads_overlap": ((1, 2, 5, 5), {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}),
    "k3s2_asym_ceil": (
        (1, 2, 6, 7),
        {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [0, 1, 1, 0], "ceil_mode": 1},
    ),
    "dilated": ((1, 2, 7, 7), {"kernel_shape": [2, 2], "dilations": [2, 2]}),
    "same_upper": ((1, 2, 5, 5), {"kernel_shape": [2, 2], "auto_pad": "SAME_UPPER"}),
    "pool1d": ((2, 3, 9), {"kernel_shape": [3], "strides": [2]}),
    "pool3d": ((1, 2, 4, 4, 4), {"kernel_shape": [2, 2, 2], "strides": [2, 2, 2]}),
}


@pytest.mark.parametrize("spec", MAX)
def test_max_pool(spec):
    shape, attrs = MAX[spec]
    check_vjp("MaxPool", [RNG.standard_normal(shape)], attrs)


def test_max_pool_with_indices_requested():
    check_vjp(
        "MaxPool",
        [RNG.standard_normal((2, 2, 4, 4))],
        {"kernel_shape": [2, 2]},
        num_outputs=2,
        loss_outputs=[0],
    )


def test_max_pool_symbolic_batch():
    check_vjp(
        "MaxPool",
        [RNG.standard_normal((3, 2, 4, 4))],
        {"kernel_shape": [2, 2], "strides": [1, 2]},
        batch=True,
    )


AVERAGE = {  # id: (x shape, attrs)
    "k2s2": ((2, 3, 6, 6), {"kernel_shape": [2, 2], "strides": [2, 2]}),
    "k3s1_pads_exclude": ((1, 2, 5, 5), {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}),
    "k3s1_pads_include": (
        (1, 2, 5, 5),
        {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": 1},
    ),
    "k3s2_asym_exclude": (
        (1, 2, 6, 7),
        {"kernel_shape": [3, 2], "strides": [2, 2], "pads": [0, 1, 2, 0]},
    ),
    "k3s2_asym_include": (
        (1, 2, 6, 7),
        {"kernel_shape": [3, 2], "strides": [2, 2], "pads": [0, 1, 2, 0], "count_include_pad": 1},
    ),
    "ceil_exclude": ((1, 2, 6, 6), {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
    "ceil_pads_exclude": (
        (1, 2, 7, 6),
        {"kernel_shape": [2, 3], "strides": [2, 2], "pads": [1, 0, 0, 1], "ceil_mode": 1},
    ),
    "ceil_pads_include": (
        (1, 2, 7, 6),
        {
            "kernel_shape": [2, 3],
            "strides": [2, 2],
            "pads": [1, 0, 0, 1],
            "ceil_mode": 1,
            "count_include_pad": 1,
        },
    ),
    "same_upper": ((1, 2, 5, 5), {"kernel_shape": [2, 2], "auto_pad": "SAME_UPPER"}),
    "same_lower_stride2": (
        (1, 2, 5, 6),
        {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_LOWER"},
    ),
    "dilated": ((1, 2, 7, 7), {"kernel_shape": [2, 2], "dilations": [2, 2], "pads": [1] * 4}),
    "pool1d": ((2, 3, 9), {"kernel_shape": [3], "strides": [2], "pads": [1, 1]}),
    "pool3d": ((1, 2, 4, 4, 4), {"kernel_shape": [2, 2, 2], "strides": [2, 2, 2]}),
}


@pytest.mark.parametrize("spec", AVERAGE)
def test_average_pool(spec):
    shape, attrs = AVERAGE[spec]
    check_vjp("AveragePool", [RNG.standard_normal(shape)], attrs, eps=1e-2)


def test_average_pool_symbolic_batch():
    check_vjp(
        "AveragePool",
        [RNG.standard_normal((3, 2, 4, 4))],
        {"kernel_shape": [2, 2], "strides": [2, 2]},
        batch=True,
        eps=1e-2,
    )


@pytest.mark.parametrize(
    "attrs",
    [
        {"kernel_shape": [3], "strides": [2]},  # a leftover cell the windows never read
        {"kernel_shape": [2], "pads": [1, 1], "count_include_pad": 1},
        {"kernel_shape": [4], "strides": [1]},
    ],
    ids=["valid_stride2", "pads_counted", "stride1"],
)
def test_average_pool_symbolic_length(attrs):
    """AveragePooling1D over a sequence of unknown length (windows count their whole kernel)."""
    check_vjp(
        "AveragePool",
        [RNG.standard_normal((2, 3, 9))],
        attrs,
        batch=True,
        eps=1e-2,
        free_axes={0: [2]},
    )


SYMBOLIC_SAME = {  # Keras' 'same' pooling over Input((None, None, C)): pads not counted
    "uncounted_pads_1d": ((1, 2, 7), {"kernel_shape": [3], "pads": [1, 1]}, [2]),
    "same_stride1_2d": ((1, 2, 7, 5), {"kernel_shape": [3, 3], "auto_pad": "SAME_UPPER"}, [2, 3]),
    "same_stride2_1d": (
        (2, 3, 9),
        {"kernel_shape": [2], "auto_pad": "SAME_UPPER", "strides": [2]},
        [2],
    ),
    "same_stride2_2d": (
        (1, 2, 7, 6),
        {"kernel_shape": [3, 3], "auto_pad": "SAME_UPPER", "strides": [2, 2]},
        [2, 3],
    ),
    "same_lower_2d": (
        (1, 2, 7, 6),
        {"kernel_shape": [3, 2], "auto_pad": "SAME_LOWER", "strides": [2, 3]},
        [3],
    ),
    "same_stride2_counted": (
        (1, 2, 7, 5),
        {
            "kernel_shape": [2, 2],
            "auto_pad": "SAME_UPPER",
            "strides": [2, 2],
            "count_include_pad": 1,
        },
        [2, 3],
    ),
}


@pytest.mark.parametrize("spec", SYMBOLIC_SAME)
def test_average_pool_symbolic_size_runtime_pads(spec):
    """Edge windows average fewer cells: the counts (and strided 'same' pads) come from a
    Conv over a ones map of the run-time size."""
    shape, attrs, free = SYMBOLIC_SAME[spec]
    x = RNG.standard_normal(shape)
    check_vjp("AveragePool", [x], attrs, batch=True, eps=1e-2, free_axes={0: free})


def test_max_pool_symbolic_size_same_stride2():
    attrs = {"kernel_shape": [2, 2], "auto_pad": "SAME_UPPER", "strides": [2, 2]}
    x = RNG.standard_normal((1, 2, 7, 5))
    check_vjp("MaxPool", [x], attrs, batch=True, free_axes={0: [2, 3]})


def test_pool_symbolic_size_ceil_mode_is_refused():
    attrs = {"kernel_shape": [3], "strides": [2], "ceil_mode": 1}
    with pytest.raises(NotImplementedError, match="static spatial dims with ceil_mode"):
        check_vjp("AveragePool", [RNG.standard_normal((1, 2, 8))], attrs, free_axes={0: [2]})


@pytest.mark.parametrize("attrs", [{"kernel_shape": [2], "strides": [2]}, {"kernel_shape": [3]}])
def test_max_pool_symbolic_length(attrs):
    check_vjp("MaxPool", [RNG.standard_normal((2, 3, 9))], attrs, batch=True, free_axes={0: [2]})


@pytest.mark.parametrize("op_type", ["GlobalAveragePool", "GlobalMaxPool"])
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (2, 3, 6)], ids=str)
def test_global_pools(op_type, shape):
    check_vjp(op_type, [RNG.standard_normal(shape)], {}, batch=True)
