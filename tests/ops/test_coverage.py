"""The op tables together cover every public op in ``kgraph.ops.__all__``."""

from __future__ import annotations

from kgraph import ops
from tests.ops import (
    test_activation_ops,
    test_array_ops,
    test_bitcast_ops,
    test_complex_jvp_ops,
    test_control_flow_ops,
    test_conv_ops,
    test_creation_ops,
    test_ctc_einops_ops,
    test_einsum_ops,
    test_fft_ops,
    test_getitem,
    test_gradient_ops,
    test_layout_ops,
    test_linalg_ops,
    test_mapping_ops,
    test_math_ops,
    test_nn_more_ops,
    test_nn_ops,
    test_numpy_ops,
    test_reduction_ops,
    test_shape_ops,
    test_sorting_ops,
    test_space_ops,
)


def _tables():
    return (
        test_numpy_ops.CASES
        + test_nn_ops.CASES
        + test_nn_more_ops.CASES
        + test_linalg_ops.CASES
        + test_control_flow_ops.ALL_CASES
        + test_ctc_einops_ops.CASES
        + test_complex_jvp_ops.CASES
        + test_array_ops.CASES
        + test_getitem.CASES
        + test_creation_ops.CASES
        + test_activation_ops.CASES
        + test_conv_ops.CASES
        + test_layout_ops.CASES
        + test_einsum_ops.CASES
        + test_gradient_ops.CASES
        + test_math_ops.CASES
        + test_reduction_ops.CASES
        + test_shape_ops.CASES
        + test_sorting_ops.CASES
        + test_space_ops.CASES
        + test_fft_ops.CASES
        + test_mapping_ops.CASES
        + test_bitcast_ops.CASES
    )


def test_tables_cover_every_public_op():
    tables = _tables()
    covered = {c.op for c in tables}
    assert set(ops.__all__) - covered == set(), "ops without a case"
    assert covered - set(ops.__all__) == set(), "cases for ops that are not public"
    for name in ops.__all__:
        assert callable(getattr(ops, name)), name


def test_every_op_is_checked_with_several_inputs():
    tables = _tables()
    for name in ops.__all__:
        assert sum(c.op == name for c in tables) >= 2, f"{name} has a single case"
