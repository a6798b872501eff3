"""The Det gradient rule (cofactors from the minors' determinants) against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_vjp

RNG = np.random.default_rng(4)


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (3, 3), (4, 4), (2, 3, 3), (2, 1, 4, 4)])
def test_det(shape):
    check_vjp("Det", [RNG.standard_normal(shape)], {})


def test_det_of_a_singular_matrix_has_the_cofactor_gradient():
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]])  # rank 2
    check_vjp("Det", [a], {})
