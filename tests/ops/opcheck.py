"""Checks one op case three ways against a numpy reference written in the test.

A ``Case`` holds an op call (``fn(*arrays)`` written with ``kgraph.ops``), a numpy reference
``ref(*arrays)`` (float inputs reach it as float64) and the input arrays. ``check_eager`` calls
``fn`` on numpy arrays; ``check_model`` wraps ``fn`` in a custom ``kgraph.layers.Layer``, builds
a Functional model on ``kgraph.Input``s and compares ``model.predict``; ``check_onnx`` validates
``model.to_onnx_bytes()`` with ``onnx.checker`` (full check) and runs it in a plain
``onnxruntime.InferenceSession``. Models are cached per case, so the last two share a build.

Arrays batched like the first one are model inputs of fixed shape; the others are captured as
constants. With ``dynamic=True`` only the first array is a model input, with a dynamic batch
axis, and ``predict`` runs in batches of 2 (give the case an odd batch).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import onnx
import onnxruntime as ort

import kgraph

# -- cases --------------------------------------------------------------------------------------


@dataclasses.dataclass(eq=False)
class Case:
    """One op call with its inputs, numpy reference and expected output dtype."""

    op: str
    fn: Callable
    ref: Callable
    inputs: tuple
    dtype: str = "float32"
    label: str = ""
    rtol: float = 1e-5
    atol: float = 1e-5
    dynamic: bool = False
    fed: tuple | None = None  # which arrays are model inputs (default: see ``_fed``)

    @property
    def id(self) -> str:
        return f"{self.op}-{self.label}" if self.label else self.op


def case(op, fn, ref, *inputs, **kwargs) -> Case:
    """Shorthand for ``Case(op, fn, ref, inputs, ...)``."""
    return Case(op, fn, ref, tuple(inputs), **kwargs)


def params(cases: list[Case]) -> list:
    """``pytest.param``s with readable, unique ids."""
    import pytest

    ids = [c.id for c in cases]
    dup = {i for i in ids if ids.count(i) > 1}
    assert not dup, f"duplicate case ids: {sorted(dup)}"
    return [pytest.param(c, id=c.id) for c in cases]


# -- inputs ---------------------------------------------------------------------------------------

_SEED = [0]


def _rng() -> np.random.Generator:
    _SEED[0] += 1
    return np.random.default_rng(_SEED[0])


def f32(*shape, low=None, high=None) -> np.ndarray:
    """Standard normal float32 values (uniform in [low, high) when given)."""
    rng = _rng()
    if low is not None:
        return rng.uniform(low, high, shape).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


def i32(*shape, low=-3, high=4) -> np.ndarray:
    """Small int32 values in [low, high)."""
    return _rng().integers(low, high, shape).astype(np.int32)


def grid(*shape) -> np.ndarray:
    """Small whole-number float32 values (with ties), for comparisons and argmax."""
    return _rng().integers(-2, 3, shape).astype(np.float32)


# -- references -----------------------------------------------------------------------------------

erf = np.vectorize(math.erf, otypes=[np.float64])


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def gelu(x, approximate=True):
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)
        return 0.5 * x * (1.0 + np.tanh(inner))
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(x))


def _tf_pads(length, k, s, d):
    total = max((-(-length // s) - 1) * s + (k - 1) * d + 1 - length, 0)
    return total // 2, total - total // 2


def _pad_spatial(x, window, strides, dilation, padding, value):
    if padding == "valid":
        return x
    pads = [
        (0, 0),
        *(_tf_pads(n, k, s, d) for n, k, s, d in zip(x.shape[1:-1], window, strides, dilation)),
        (0, 0),
    ]
    return np.pad(x, pads, constant_values=value)


def _windows(xp, window, strides, dilation):
    """For each window offset, the strided slice of padded ``xp`` it touches."""
    out = [
        (n - (k - 1) * d - 1) // s + 1
        for n, k, s, d in zip(xp.shape[1:-1], window, strides, dilation)
    ]
    for offset in np.ndindex(*window):
        index = tuple(
            slice(o * d, o * d + (m - 1) * s + 1, s)
            for o, d, s, m in zip(offset, dilation, strides, out)
        )
        yield offset, xp[(slice(None), *index, slice(None))]


def _ntuple(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


def conv(x, kernel, strides=1, padding="valid", dilation_rate=1):
    """Direct float64 N-D convolution: channels_last ``x``, kernel ``(k..., in/groups, out)``."""
    n = kernel.ndim - 2
    window, strides = kernel.shape[:n], _ntuple(strides, n)
    dilation = _ntuple(dilation_rate, n)
    xp = _pad_spatial(x.astype(np.float64), window, strides, dilation, padding, 0.0)
    cin, cout = kernel.shape[-2], kernel.shape[-1]
    groups = x.shape[-1] // cin
    per = cout // groups
    out = None
    for offset, patch in _windows(xp, window, strides, dilation):
        k = kernel[offset].astype(np.float64)
        term = np.concatenate(
            [
                patch[..., g * cin : (g + 1) * cin] @ k[:, g * per : (g + 1) * per]
                for g in range(groups)
            ],
            axis=-1,
        )
        out = term if out is None else out + term
    return out


def pool(x, pool_size, strides=None, padding="valid", kind="max"):
    """Max or average pooling; 'same' average counts only the real (unpadded) cells."""
    n = x.ndim - 2
    window = _ntuple(pool_size, n)
    strides = window if strides is None else _ntuple(strides, n)
    ones = (1,) * n
    x = x.astype(np.float64)
    if kind == "max":
        xp = _pad_spatial(x, window, strides, ones, padding, -np.inf)
        return np.max([p for _, p in _windows(xp, window, strides, ones)], axis=0)
    xp = _pad_spatial(x, window, strides, ones, padding, 0.0)
    mask = _pad_spatial(np.ones_like(x), window, strides, ones, padding, 0.0)
    total = np.sum([p for _, p in _windows(xp, window, strides, ones)], axis=0)
    count = np.sum([p for _, p in _windows(mask, window, strides, ones)], axis=0)
    return total / count


# -- the three checks -----------------------------------------------------------------------------


def expected(c: Case) -> np.ndarray:
    """The numpy reference, with float inputs (and, for a float output, int inputs) widened to
    float64."""
    kinds = "fiu" if c.dtype.startswith("float") else "f"
    wide = [x.astype(np.float64) if np.asarray(x).dtype.kind in kinds else x for x in c.inputs]
    return np.asarray(c.ref(*wide))


def compare(got, c: Case, where: str) -> None:
    """Checks dtype, shape and values of ``got`` against the case's reference."""
    got = np.asarray(got)
    want = expected(c)
    assert got.dtype == np.dtype(c.dtype), f"{where}: dtype {got.dtype} != {c.dtype}"
    assert got.shape == want.shape, f"{where}: shape {got.shape} != {want.shape}"
    if got.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want, err_msg=where)
    else:
        np.testing.assert_allclose(got, want, rtol=c.rtol, atol=c.atol, err_msg=where)


class OpLayer(kgraph.Layer):
    """A custom layer whose ``call`` applies ``fn`` to its inputs."""

    def __init__(self, fn, **kwargs):
        super().__init__(**kwargs)
        self.fn = fn

    def call(self, *inputs):
        return self.fn(*inputs)


def check_eager(c: Case) -> None:
    compare(c.fn(*c.inputs), c, "eager")


_MODELS: dict[int, kgraph.Model] = {}


def _fed(c: Case) -> list[bool]:
    """Which arrays are model inputs: those batched like the first (the others, and with
    ``dynamic`` all but the first, are captured as constants, since ``predict`` feeds batches)."""
    first = c.inputs[0]
    if c.fed is not None:
        return list(c.fed)
    if c.dynamic:
        return [True] + [False] * (len(c.inputs) - 1)
    return [np.ndim(x) >= 1 and np.shape(x)[0] == first.shape[0] for x in c.inputs]


def model_for(c: Case) -> kgraph.Model:
    """The Functional model around ``c.fn`` (cached per case)."""
    model = _MODELS.get(id(c))
    if model is None:
        fed = _fed(c)
        inputs = [
            kgraph.Input(shape=x.shape[1:], dtype=x.dtype.name, name=f"x{i}")
            if c.dynamic
            else kgraph.Input(batch_shape=x.shape, dtype=x.dtype.name, name=f"x{i}")
            for i, x in enumerate(c.inputs)
            if fed[i]
        ]

        def call(*tensors):
            it = iter(tensors)
            return c.fn(*(next(it) if f else x for f, x in zip(fed, c.inputs)))

        out = OpLayer(call, name="op", autocast=False)(*inputs)  # float64 cases stay float64
        model = kgraph.Model(inputs if len(inputs) > 1 else inputs[0], out)
        _MODELS[id(c)] = model
    return model


def _feeds(c: Case) -> list[np.ndarray]:
    return [x for x, f in zip(c.inputs, _fed(c)) if f]


def check_model(c: Case) -> None:
    model = model_for(c)
    feeds = _feeds(c)
    got = model.predict(
        feeds if len(feeds) > 1 else feeds[0], batch_size=2 if c.dynamic else 32, verbose=0
    )
    compare(got, c, "model.predict")


def check_onnx(c: Case) -> None:
    data = model_for(c).to_onnx_bytes()
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    feeds = _feeds(c)
    assert names == [f"x{i}" for i in range(len(feeds))], names
    (got,) = session.run(None, dict(zip(names, feeds)))
    compare(got, c, "onnxruntime")
