"""Oracle: differential test of ``kgraph.ops`` against ``keras.ops`` (JAX), eagerly and inside
a compiled model, over the inputs users hit: int/bool/float16/uint8 and int64 tensors, Python
scalars (dtype promotion), broadcasting, 0-d and empty arrays, NaN/inf, None / negative / tuple
axes, keepdims and Keras' keyword names. Results must agree in dtype, shape and value, and
where Keras raises ValueError or TypeError kgraph must raise the same type.

The CI run checks a fixed sample (each case once a kgraph bug); ``-m slow`` runs the sweep of
``ops_differential_cases`` (several thousand calls, minutes).
"""

from __future__ import annotations

import pytest

from tests.oracle.keras_oracle import MARKS
from tests.oracle.ops_differential import check
from tests.oracle.ops_differential_cases import sweep

pytestmark = MARKS

CALLS = {c.id: c for c in sweep()}
assert len(CALLS) == len(sweep()), "duplicate call ids in the sweep"

# Each was a mismatch found by the sweep (now fixed): kept as regressions in the CI run.
SAMPLE = [
    # unary: bools, unsigned ints, Python ints, inf edges, NaN
    "abs-bool",
    "negative-bool",
    "negative-u8",
    "sign-bool",
    "square-bool",
    "signbit-bool",
    "round-bool",
    "round-py-int",
    "trunc-py-int",
    "erfinv-nan",
    "erfinv-i32",
    "log1p-nan",
    "angle-nan",
    "relu-i64",
    "relu-bool",
    "relu-u8",
    "relu6-py-int",
    "sparsemax-f16",
    # binary: bool operands, Python floats, NaN/inf
    "add-bool-bool",
    "subtract-bool-bool",
    "multiply-bool-bool",
    "floor_divide-bool-bool",  # dtype only: JAX's bool // False is garbage
    "floor_divide-nan",
    "mod-bool-bool",
    "power-bool-bool",
    "power-u8-pyint",
    "fmax-bool-bool",
    "greater-bool-bool",
    "isclose-bool-bool",
    "heaviside-nan",
    "arctan2-f16-pyfloat",
    "logaddexp-f16-pyfloat",
    "left_shift-bool-i32",
    "gcd-bool-bool",
    "where-bool-bool",
    "where-one-arg",
    "where-f16-pyfloat",
    "add-i64-pyint",
    "divide-i32-i32",
    "maximum-col-row",
    # reductions: NaN propagation, empty axes, keepdims, tuple axes
    "max-nan-0",
    "min-nan-keep",
    "max-empty-0",
    "mean-empty-none",
    "any-empty-0",
    "all-empty-none",
    "var-empty-tuple",
    "std-empty-keep-none",
    "median-nan-0",
    "percentile-nan",
    "sum-bool-neg-tuple",
    "prod-i32-keep",
    "mean-i32-tuple",
    "argmax-f16-keep",
    "cumsum-bool--1",
    "sort-nan",
    "sort-nan-0",
    "argsort-nan-none",
    "diff-bool",
    "nanvar-nan-0",
    "quantile-empty-k",
    "median-empty--1",
    "argmax-nan-0",
    "argmin-empty-0",
    "nanargmax-nan--1",
    # keyword forms and other families
    "softmax-tuple",
    "matmul-bool",
    "clip-bool",
    "clip-py-int",
    "max-initial",
    "prod-dtype",
    "bitwise_and-bool-i32",
    "linalg.norm-mat--1",
    "einsum-ellipsis",
    "quantile-f32-k",
    "top_k-int",
]


@pytest.mark.parametrize("name", SAMPLE)
def test_matches_keras(name):
    problems = check(CALLS[name])
    assert not problems, "\n".join(problems)


# Known gaps, each with the reason it is left (strict: a fix must remove it from here).
KNOWN: dict[str, str] = {}


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN[n], strict=True)) if n in KNOWN else n
        for n in sorted(CALLS)
    ],
)
def test_sweep_matches_keras(name):
    problems = check(CALLS[name])
    assert not problems, "\n".join(problems)
