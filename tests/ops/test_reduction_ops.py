"""Reductions and statistics (``kgraph/ops/reductions.py``, ``quantiles.py``) against numpy:
each case run eagerly, in a model and as ONNX."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, grid, i32, params


def _with_nan(*shape):
    x = f32(*shape)
    x[0, 1] = np.nan
    x[-1, 0] = np.nan
    return x


def _reduce(name, ref, x, dtype="float32", label="", **kwargs):
    fn = getattr(ops, name)
    return case(
        name,
        lambda v: fn(v, **kwargs),
        lambda v: np.asarray(ref(v, **kwargs)),
        x,
        dtype=dtype,
        label=label or "_".join(f"{k}{v}" for k, v in kwargs.items()) or "all",
    )


def _truth_cases():
    cases = []
    for name, ref in [("any", np.any), ("all", np.all)]:
        cases += [
            _reduce(name, ref, grid(3, 4), "bool"),
            _reduce(name, ref, grid(3, 4), "bool", axis=1, keepdims=True),
            _reduce(name, ref, grid(3, 4) > 0, "bool", label="bool", axis=0),
        ]
    for name, ref in [("amax", np.amax), ("amin", np.amin), ("ptp", np.ptp)]:
        cases += [
            _reduce(name, ref, f32(3, 4)),
            _reduce(name, ref, f32(2, 3, 4), axis=(0, 2), keepdims=True),
            _reduce(name, ref, i32(3, 4), "int32", axis=-1),
        ]
    return cases


def _arg_cases():
    cases = []
    for name, ref in [
        ("argmin", np.argmin),
        ("nanargmax", np.nanargmax),
        ("nanargmin", np.nanargmin),
    ]:
        x = _with_nan(3, 4) if name.startswith("nan") else grid(3, 4)
        cases += [
            _reduce(name, ref, x, "int32"),
            _reduce(name, ref, x, "int32", axis=1),
            _reduce(name, ref, x, "int32", axis=0, keepdims=True),
        ]
    cases.append(_reduce("argmin", np.argmin, i32(3, 4), "int32", label="int32", axis=-1))
    return cases


def _moment_cases():
    cases = []
    for name, ref in [("var", np.var), ("std", np.std), ("logsumexp", None)]:
        if ref is None:
            ref = _logsumexp
        cases += [
            _reduce(name, ref, f32(3, 4)),
            _reduce(name, ref, f32(2, 3, 4), axis=(1, 2), keepdims=True),
            _reduce(name, ref, i32(3, 4), axis=0),
            case(
                name,
                lambda v, name=name: getattr(ops, name)(v, axis=-1),
                lambda v, ref=ref: ref(v, axis=-1),
                f32(5, 3),
                label="dyn",
                dynamic=True,
            ),
        ]
    big = np.array([[1000.0, 1000.0], [-1000.0, 5.0]], np.float32)
    cases.append(_reduce("logsumexp", _logsumexp, big, label="large", axis=1))
    return cases


def _logsumexp(x, axis=None, keepdims=False):
    top = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)


def _cumulative_cases():
    cases = []
    for name, ref in [("cumsum", np.cumsum), ("cumprod", np.cumprod)]:
        cases += [
            _reduce(name, ref, f32(3, 4), label="flat"),
            _reduce(name, ref, f32(2, 3, 5), axis=2),
            _reduce(name, ref, i32(3, 4), "int32", axis=0),
            _reduce(name, ref, grid(3, 7), axis=1, label="zeros"),
            case(
                name,
                lambda v, name=name: getattr(ops, name)(v, axis=1),
                lambda v, ref=ref: ref(v, axis=1),
                f32(5, 3),
                label="dyn",
                dynamic=True,
            ),
        ]
    cases += [
        _reduce(
            "cumsum",
            lambda v, **k: np.cumsum(v, **k).astype(np.int32),
            grid(2, 3) > 0,
            "int32",
            label="bool",
            axis=1,
        ),
        _reduce("nancumsum", np.nancumsum, _with_nan(3, 4), axis=1),
        _reduce("nancumsum", np.nancumsum, _with_nan(3, 4), label="flat"),
        _reduce("nancumprod", np.nancumprod, _with_nan(3, 4), axis=0),
        _reduce("nancumprod", np.nancumprod, _with_nan(3, 4), label="flat"),
    ]
    return cases


def _count_cases():
    w = np.array([1.0, 2.0, 0.5, 3.0], np.float32)
    return [
        _reduce("count_nonzero", np.count_nonzero, grid(3, 4), "int32"),
        _reduce("count_nonzero", np.count_nonzero, grid(3, 4), "int32", axis=1),
        _reduce("count_nonzero", np.count_nonzero, i32(2, 3, 4), "int32", axis=(0, 2)),
        _reduce("average", np.average, f32(3, 4)),
        _reduce("average", np.average, f32(3, 4), axis=1),
        case(
            "average",
            lambda x: ops.average(x, 1, w),
            lambda x: np.average(x, 1, w),
            f32(3, 4),
            label="weights1d",
        ),
        case(
            "average",
            lambda x, v: ops.average(x, 0, v),
            lambda x, v: np.average(x, 0, v),
            f32(3, 4),
            f32(3, 4, low=0.5, high=2),
            label="weights",
        ),
        _reduce("diff", np.diff, f32(3, 5)),
        _reduce("diff", np.diff, f32(3, 5), n=2, axis=0),
        _reduce("diff", np.diff, i32(3, 5), "int32", axis=-1),
        _reduce("trapezoid", np.trapezoid, f32(3, 5)),
        _reduce("trapezoid", np.trapezoid, f32(3, 5), dx=0.5, axis=0),
        case(
            "trapezoid",
            lambda y, x: ops.trapezoid(y, x),
            lambda y, x: np.trapezoid(y, x),
            f32(3, 4),
            np.sort(f32(4)),
            label="x",
        ),
    ]


def _nan_cases():
    cases = []
    for name in ("nansum", "nanprod", "nanmean", "nanmax", "nanmin", "nanvar", "nanstd"):
        ref = getattr(np, name)
        cases += [
            _reduce(name, ref, _with_nan(3, 4)),
            _reduce(name, ref, _with_nan(3, 4), axis=1, keepdims=True),
            _reduce(name, ref, _with_nan(3, 4), axis=0),
        ]
    return cases


def _quantile_cases():
    cases = []
    for method in ("linear", "lower", "higher", "midpoint", "nearest"):
        cases.append(
            case(
                "quantile",
                lambda x, m=method: ops.quantile(x, [0.1, 0.5, 0.9], axis=1, method=m),
                lambda x, m=method: np.quantile(x, [0.1, 0.5, 0.9], axis=1, method=m),
                f32(3, 6),
                label=method,
            )
        )
    cases += [
        _reduce("quantile", np.quantile, f32(3, 4, 5), q=0.3),
        _reduce("quantile", np.quantile, f32(3, 4, 5), q=0.75, axis=(0, 2), keepdims=True),
        _reduce("quantile", np.quantile, i32(3, 4), q=0.5, axis=0),
        case(
            "quantile",
            lambda x: ops.quantile(x, 0.25, axis=1),
            lambda x: np.quantile(x, 0.25, axis=1),
            f32(5, 4),
            label="dyn",
            dynamic=True,
        ),
        _reduce("percentile", np.percentile, f32(3, 4), q=[10, 90], axis=1),
        _reduce("percentile", np.percentile, f32(3, 4), q=50.0),
        _reduce("median", np.median, f32(3, 4)),
        _reduce("median", np.median, f32(3, 5), axis=1, keepdims=True),
        _reduce("median", np.median, i32(4, 4), axis=0),
        case(
            "median",
            lambda x: ops.median(x, axis=-1),
            lambda x: np.median(x, axis=-1),
            f32(5, 4),
            label="dyn",
            dynamic=True,
        ),
    ]
    return cases


def _nan_quantile_cases():
    x = _with_nan(3, 6)
    x[1] = np.nan  # a slice of NaNs only gives NaN
    cases = []
    for method in ("linear", "lower", "higher", "midpoint", "nearest"):
        cases.append(
            case(
                "nanquantile",
                lambda v, m=method: ops.nanquantile(v, [0.2, 0.5, 0.75], axis=1, method=m),
                lambda v, m=method: _quiet(np.nanquantile, v, [0.2, 0.5, 0.75], axis=1, method=m),
                x,
                label=method,
            )
        )
    cases += [
        case(
            "nanquantile",
            lambda v: ops.nanquantile(v, 0.4),
            lambda v: np.nanquantile(v, 0.4),
            _with_nan(3, 4),
            label="all",
        ),
        case(
            "nanpercentile",
            lambda v: ops.nanpercentile(v, [10, 90], axis=0, keepdims=True),
            lambda v: np.nanpercentile(v, [10, 90], axis=0, keepdims=True),
            _with_nan(3, 4),
            label="keepdims",
        ),
        case(
            "nanpercentile",
            lambda v: ops.nanpercentile(v, 50, axis=-1),
            lambda v: np.nanpercentile(v, 50, axis=-1),
            f32(5, 4),
            label="dyn",
            dynamic=True,
        ),
        case("nanmedian", ops.nanmedian, np.nanmedian, _with_nan(3, 4), label="all"),
        case(
            "nanmedian",
            lambda v: ops.nanmedian(v, 1),
            lambda v: np.nanmedian(v, 1),
            _with_nan(4, 5),
            label="axis1",
        ),
    ]
    return cases


def _quiet(fn, *args, **kwargs):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _frames(x, length, stride):
    n = 1 + (x.shape[-1] - length) // stride
    return np.stack([x[..., i * stride : i * stride + length] for i in range(n)], axis=-2)


def _sequence_cases():
    return [
        case(
            "extract_sequences",
            lambda x: ops.extract_sequences(x, 3, 2),
            lambda x: _frames(x, 3, 2),
            f32(2, 7),
            label="stride2",
        ),
        case(
            "extract_sequences",
            lambda x: ops.extract_sequences(x, 4, 1),
            lambda x: _frames(x, 4, 1),
            f32(5, 2, 6),
            label="dyn",
            dynamic=True,
        ),
    ]


CASES = (
    _truth_cases()
    + _arg_cases()
    + _moment_cases()
    + _cumulative_cases()
    + _count_cases()
    + _nan_cases()
    + _quantile_cases()
    + _nan_quantile_cases()
    + _sequence_cases()
)


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(CASES))
def test_in_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(CASES))
def test_exported_onnx(c):
    check_onnx(c)


def test_errors():
    with pytest.raises(ValueError, match="values in"):
        ops.quantile(np.ones(3, np.float32), 1.5)
    with pytest.raises(ValueError, match="method"):
        ops.quantile(np.ones(3, np.float32), 0.5, method="cubic")
    with pytest.raises(ValueError, match="sequence_length"):
        ops.extract_sequences(np.ones(3, np.float32), 5, 1)


@pytest.mark.parametrize(
    "fn,ref",
    [
        (lambda t: ops.median(t, axis=0), lambda x: np.median(x, axis=0)),
        (
            lambda t: ops.quantile(t, [0.2, 0.9], axis=0, method="nearest"),
            lambda x: np.quantile(x, [0.2, 0.9], axis=0, method="nearest"),
        ),
        (lambda t: ops.percentile(t, 30), lambda x: np.percentile(x, 30)),
    ],
    ids=["median", "quantile_nearest", "percentile_all"],
)
def test_quantiles_over_a_dynamic_batch(fn, ref):
    """Reducing over the batch axis (unknown when the model is built): positions are computed
    in the graph from the length, so any batch size gives numpy's result."""
    import kgraph

    class Reduce(kgraph.layers.Layer):
        def call(self, t):
            return ops.expand_dims(fn(t), 0)

    inputs = kgraph.Input((4,))
    model = kgraph.Model(inputs, Reduce()(inputs))
    for batch in (5, 6):
        x = f32(batch, 4)
        got = model.predict(x, batch_size=batch, verbose=0)[0]
        np.testing.assert_allclose(got, ref(x.astype(np.float64)), rtol=1e-5, atol=1e-6)
