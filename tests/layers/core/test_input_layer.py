"""``kgraph.Input`` refuses what Keras refuses, with Keras' messages."""

from __future__ import annotations

import pytest

import kgraph
from kgraph import dtypes


@pytest.mark.parametrize("dtype", ["floaty", "int33", object()])
def test_an_unknown_dtype_is_keras_value_error(dtype):
    with pytest.raises(ValueError, match="Invalid dtype"):
        kgraph.Input((3,), dtype=dtype)
    with pytest.raises(ValueError, match="Invalid dtype"):
        dtypes.standardize(dtype)


@pytest.mark.parametrize(
    "dtype, name",
    [("int32", "int32"), ("string", "string"), ("float", "float32"), (None, "float32")],
)
def test_known_dtypes(dtype, name):
    assert kgraph.Input((3,), dtype=dtype).dtype == name


def test_non_positive_dims_are_refused():
    with pytest.raises(
        ValueError, match=r"Input dimensions must be positive. Received: shape=\(0, 3\)"
    ):
        kgraph.Input((0, 3))
