"""Oracle: the numpy-style ``kgraph.ops`` give Keras' (JAX backend) values and dtypes.

Each call runs once with ``kgraph.ops`` and once with ``keras.ops`` on the same numpy inputs;
the results must have the same dtype and shape and close values. This pins Keras' dtype rules
(which ints stay ints, what bools become) that the numpy tables cannot know.
"""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops as kops
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS

RNG = np.random.default_rng(5)
F = RNG.standard_normal((3, 4)).astype(np.float32)
P = RNG.uniform(0.1, 2.0, (3, 4)).astype(np.float32)
U = RNG.uniform(-0.9, 0.9, (3, 4)).astype(np.float32)
I = RNG.integers(-5, 6, (3, 4)).astype(np.int32)  # noqa: E741
J = RNG.integers(1, 4, (3, 4)).astype(np.int32)
B = F > 0
V = RNG.standard_normal(5).astype(np.float32)
S = RNG.standard_normal((2, 40)).astype(np.float32)
S2 = RNG.standard_normal((2, 6, 10)).astype(np.float32)
N = F.copy()
N[0, 1] = np.nan

CALLS = {
    # math
    **{
        f"{n}-float": (lambda o, n=n: getattr(o, n)(U))
        for n in (
            "tan",
            "arcsin",
            "arccos",
            "arctan",
            "sinh",
            "cosh",
            "arcsinh",
            "arctanh",
            "log1p",
            "expm1",
            "exp2",
            "cbrt",
            "sinc",
            "erfinv",
            "deg2rad",
            "rad2deg",
            "fabs",
            "absolute",
            "trunc",
            "round",
            "signbit",
            "isnan",
            "isfinite",
            "isinf",
            "angle",
            "real",
            "imag",
            "conj",
            "copy",
            "i0",
        )
    },
    **{
        f"{n}-int": (lambda o, n=n: getattr(o, n)(J))
        for n in (
            "tan",
            "log1p",
            "expm1",
            "exp2",
            "log2",
            "log10",
            "cbrt",
            "deg2rad",
            "fabs",
            "absolute",
            "trunc",
            "round",
            "signbit",
            "isnan",
            "isfinite",
            "angle",
            "real",
            "imag",
            "copy",
        )
    },
    "arccosh": lambda o: o.arccosh(P + 1),
    "rsqrt": lambda o: o.rsqrt(P),
    "erfc": lambda o: o.erfc(F),
    "round-decimals": lambda o: o.round(F * 10, 1),
    **{
        f"{n}-float": (lambda o, n=n: getattr(o, n)(F, P))
        for n in (
            "arctan2",
            "hypot",
            "mod",
            "fmod",
            "floor_divide",
            "logaddexp",
            "logaddexp2",
            "fmax",
            "fmin",
            "heaviside",
            "divide_no_nan",
            "not_equal",
            "logical_and",
            "logical_or",
            "logical_xor",
            "isclose",
        )
    },
    **{
        f"{n}-int": (lambda o, n=n: getattr(o, n)(I, J))
        for n in (
            "arctan2",
            "hypot",
            "mod",
            "floor_divide",
            "fmax",
            "fmin",
            "heaviside",
            "divide_no_nan",
            "bitwise_and",
            "bitwise_or",
            "bitwise_xor",
            "left_shift",
            "right_shift",
            "gcd",
            "lcm",
            "logical_and",
            "not_equal",
        )
    },
    "bitwise_not": lambda o: o.bitwise_not(I),
    "logical_not": lambda o: o.logical_not(I),
    "ldexp": lambda o: o.ldexp(F, J),
    "nan_to_num": lambda o: o.nan_to_num(N),
    "allclose": lambda o: o.allclose(F, F + 1e-7),
    # reductions
    **{
        f"{n}-float": (lambda o, n=n: getattr(o, n)(F, axis=1))
        for n in (
            "any",
            "all",
            "amax",
            "amin",
            "argmin",
            "var",
            "std",
            "logsumexp",
            "cumsum",
            "cumprod",
            "count_nonzero",
            "average",
            "ptp",
            "median",
            "nanargmax",
            "nanargmin",
        )
    },
    **{
        f"{n}-int": (lambda o, n=n: getattr(o, n)(I, axis=0))
        for n in (
            "any",
            "all",
            "amax",
            "argmin",
            "var",
            "std",
            "cumsum",
            "cumprod",
            "count_nonzero",
            "average",
            "ptp",
            "median",
        )
    },
    **{
        f"{n}-nan": (lambda o, n=n: getattr(o, n)(N, axis=1))
        for n in (
            "nansum",
            "nanmean",
            "nanmax",
            "nanmin",
            "nanprod",
            "nanvar",
            "nanstd",
            "nanmedian",
            "nancumsum",
            "nancumprod",
        )
    },
    "cumsum-bool": lambda o: o.cumsum(B, axis=1),
    "diff": lambda o: o.diff(I, 2, axis=1),
    "trapezoid": lambda o: o.trapezoid(F, dx=0.5),
    "quantile": lambda o: o.quantile(F, [0.25, 0.5], axis=1, method="midpoint"),
    "percentile": lambda o: o.percentile(I, 30, axis=0),
    "nanquantile": lambda o: o.nanquantile(N, 0.3, axis=1),
    # shapes
    "tile": lambda o: o.tile(I, (2, 1)),
    "flip": lambda o: o.flip(F, 1),
    "rot90": lambda o: o.rot90(F, 3),
    "roll": lambda o: o.roll(F, 3),
    "swapaxes": lambda o: o.swapaxes(F, 0, 1),
    "moveaxis": lambda o: o.moveaxis(F[None], 0, -1),
    "append": lambda o: o.append(F, F[:1], axis=0),
    "hstack": lambda o: o.hstack([F, I]),
    "vstack": lambda o: o.vstack([V, V]),
    "dstack": lambda o: o.dstack([F, F]),
    "split": lambda o: o.split(F, [1, 3], axis=1)[1],
    "array_split": lambda o: o.array_split(F, 3, axis=1)[0],
    "unstack": lambda o: o.unstack(F, axis=1)[2],
    "meshgrid": lambda o: o.meshgrid(V, V[:3])[1],
    "tril": lambda o: o.tril(I, -1),
    "triu": lambda o: o.triu(F, 1),
    "diag": lambda o: o.diag(V, 1),
    "diagonal": lambda o: o.diagonal(F, 1),
    "trace": lambda o: o.trace(I),
    "tensordot": lambda o: o.tensordot(F, F.T, 1),
    "dot": lambda o: o.dot(I, J.T),
    "inner": lambda o: o.inner(F, F),
    "outer": lambda o: o.outer(V, V),
    "kron": lambda o: o.kron(I[:2, :2], J[:2, :2]),
    "cross": lambda o: o.cross(F[:, :3], P[:, :3]),
    "vander": lambda o: o.vander(V, 3),
    "correlate": lambda o: o.correlate(V, V[:3], mode="same"),
    "corrcoef": lambda o: o.corrcoef(F),
    "cdist": lambda o: o.cdist(F, P),
    # sorting and indexing
    "sort": lambda o: o.sort(F, axis=0),
    "argsort": lambda o: o.argsort(F, axis=1),
    "top_k": lambda o: o.top_k(F, 2)[1],
    "in_top_k": lambda o: o.in_top_k(np.array([0, 1, 2]), F, 2),
    "take_along_axis": lambda o: o.take_along_axis(F, np.argsort(F, axis=1), axis=1),
    "searchsorted": lambda o: o.searchsorted(np.sort(V), F),
    "digitize": lambda o: o.digitize(F, np.array([-1.0, 0.0, 1.0], np.float32)),
    "bincount": lambda o: o.bincount(np.array([0, 3, 3, 1])),
    "bincount-weights": lambda o: o.bincount(np.array([0, 3, 3, 1]), np.ones(4, np.float32)),
    "isin": lambda o: o.isin(I, J),
    "select": lambda o: o.select([F > 0.5, F < -0.5], [F, -F], 0.0),
    "unique": lambda o: o.unique(I),
    "nonzero": lambda o: o.nonzero(I)[1],
    "histogram": lambda o: o.histogram(V, 3)[0],
    "unravel_index": lambda o: o.unravel_index(np.array([1, 5, 7]), (3, 4))[0],
    "scatter": lambda o: o.scatter(
        np.array([[0, 1], [0, 1]]), np.array([1.0, 2.0], np.float32), (2, 3)
    ),
    "scatter_update": lambda o: o.scatter_update(
        F, np.array([[0, 1]]), np.array([9.0], np.float32)
    ),
    "slice_update": lambda o: o.slice_update(F, (1, 1), np.ones((2, 2), np.float32)),
    "segment_sum": lambda o: o.segment_sum(F, np.array([0, 0, 2]), num_segments=3),
    "segment_max": lambda o: o.segment_max(F, np.array([1, 1, 0]), num_segments=2),
    "extract_sequences": lambda o: o.extract_sequences(F, 2, 1),
    # Fourier transforms
    "fft": lambda o: o.fft((F, P))[1],
    "fft2": lambda o: o.fft2((F, P))[0],
    "ifft2": lambda o: o.ifft2((F, P))[1],
    "rfft": lambda o: o.rfft(F, 6)[1],
    "irfft": lambda o: o.irfft((F, P), 5),
    "stft": lambda o: o.stft(S, 8, 3, 12)[0],
    "stft-window": lambda o: o.stft(S, 6, 4, 8, window=np.arange(6.0), center=False)[1],
    "istft": lambda o: o.istft((S2[..., :5], S2[..., 5:]), 8, 4, 8),
    "istft-none": lambda o: o.istft((S2[..., :5], S2[..., 5:]), 6, 3, 8, length=20, window=None),
    # creation
    "logspace": lambda o: o.logspace(0.0, 2.0, 5),
    "geomspace": lambda o: o.geomspace(1.0, 100.0, 3),
    "hamming": lambda o: o.hamming(6),
    "kaiser": lambda o: o.kaiser(6, 3.0),
    "empty_like": lambda o: o.empty_like(I) * 0,
}


SLOW = {"stft-window", "istft", "istft-none"}  # JAX compiles scipy.signal for seconds each


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in sorted(CALLS)]
)
def test_matches_keras(name):
    call = CALLS[name]
    want = np.asarray(keras.ops.convert_to_numpy(call(keras.ops)))
    got = np.asarray(call(kops))
    assert got.dtype == want.dtype, f"dtype {got.dtype} != Keras' {want.dtype}"
    assert got.shape == want.shape
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5, equal_nan=True)


def test_segment_prod_matches_keras():
    ids = np.array([0, 2, 0])
    want = np.asarray(keras.ops.segment_prod(F[:3], ids, num_segments=4))
    np.testing.assert_allclose(kops.segment_prod(F[:3], ids, 4), want, rtol=1e-6)


def test_nextafter_matches_keras():
    np.testing.assert_array_equal(kops.nextafter(F, P), np.asarray(keras.ops.nextafter(F, P)))


def test_vectorize_matches_keras():
    def step(lib):
        return lambda a, b: lib.ops.where(a > b, a - b, a * b)

    from kgraph import ops as kgraph_ops

    class Lib:
        ops = kgraph_ops

    want = np.asarray(keras.ops.vectorize(step(keras))(F, V[:4]))
    np.testing.assert_allclose(kops.vectorize(step(Lib))(F, V[:4]), want, rtol=1e-6)


def test_view_matches_keras():
    for x, dtype in ((F, "int32"), (I, "float32"), (F.astype(np.float16), "uint16")):
        want = np.asarray(keras.ops.view(x, dtype))
        got = np.asarray(kops.view(x, dtype))
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
