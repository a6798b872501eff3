"""Runs one op call through real Keras (JAX) and through kgraph, eagerly and compiled, and says
how the results differ.

A ``Call`` names an op by its Keras path (``"sum"`` is ``keras.ops.sum``, ``"linalg.qr"`` is
``keras.ops.linalg.qr``, ``"activations.relu"`` is ``keras.activations.relu``) with positional
and keyword arguments. Numpy arrays among the positional arguments are the op's tensors; in the
compiled run those of one leading size become ``kgraph.Input``s of a Functional model (a custom
layer applies the op) run by ``model.predict``, and the rest are captured as constants.

Keras' JAX backend runs without 64-bit types, so calls with int64 arrays run Keras under
``jax.enable_x64`` to get the dtype Keras' own promotion rules give (as on its other backends).
"""

from __future__ import annotations

import dataclasses

import numpy as np

import kgraph
from kgraph.utils import tree


@dataclasses.dataclass(eq=False)
class Call:
    """One op call: the op's Keras path, its arguments and the tolerance of float results."""

    op: str
    args: tuple
    kwargs: dict
    label: str = ""
    rtol: float = 1e-5
    atol: float = 1e-5
    compiled: bool = True  # False where only the eager call is meaningful
    values: bool = True  # False where Keras' values are wrong (dtype and shape still count)

    @property
    def id(self) -> str:
        return f"{self.op}-{self.label}" if self.label else self.op


def call(op, *args, label="", rtol=1e-5, atol=1e-5, compiled=True, values=True, **kwargs):
    """A ``Call`` of ``op`` on ``args`` and ``kwargs``."""
    return Call(op, args, kwargs, label, rtol, atol, compiled, values)


def resolve(root, path: str):
    """``keras.ops.sum`` for ``(keras, "sum")``; paths with a dot start below ``ops`` unless they
    name ``activations``."""
    parts = path.split(".")
    obj = root if parts[0] == "activations" else root.ops
    for part in parts:
        obj = getattr(obj, part)
    return obj


def _wants_x64(c: Call) -> bool:
    leaves = tree.flatten((c.args, c.kwargs))
    return any(isinstance(v, np.ndarray) and v.dtype.name in ("int64", "uint32") for v in leaves)


def _numpy(x):
    return np.asarray(x)


def run_keras(c: Call):
    """Keras' outputs as a flat list of numpy arrays, or the exception it raised."""
    import jax
    import keras

    fn = resolve(keras, c.op)
    try:
        with jax.enable_x64(_wants_x64(c)):
            out = fn(*c.args, **c.kwargs)
            return [_numpy(keras.ops.convert_to_numpy(v)) for v in tree.flatten(out)]
    except Exception as e:
        return e


def run_eager(c: Call):
    """kgraph's eager outputs (flat list of numpy arrays), or the exception it raised."""
    fn = resolve(kgraph, c.op)
    try:
        return [_numpy(v) for v in tree.flatten(fn(*c.args, **c.kwargs))]
    except Exception as e:
        return e


class _OpLayer(kgraph.Layer):
    def __init__(self, fn, **kwargs):
        super().__init__(**kwargs)
        self.fn = fn

    def call(self, *inputs):
        return self.fn(*inputs)


def _fed(c: Call) -> list[bool]:
    """Which positional arguments become model inputs: arrays of rank >= 1 sharing the first
    such array's (non-zero) leading size."""
    arrays = [a for a in c.args if isinstance(a, np.ndarray) and a.ndim and a.size]
    lead = arrays[0].shape[0] if arrays else None
    return [
        isinstance(a, np.ndarray) and a.ndim > 0 and a.size > 0 and a.shape[0] == lead
        for a in c.args
    ]


def run_compiled(c: Call):
    """kgraph's outputs from ``model.predict`` of a model applying the op, the exception, or
    None when no argument can be a model input."""
    fed = _fed(c)
    if not any(fed):
        return None
    fn = resolve(kgraph, c.op)
    try:
        inputs = [
            kgraph.Input(batch_shape=a.shape, dtype=a.dtype.name, name=f"x{i}")
            for i, a in enumerate(c.args)
            if fed[i]
        ]

        def apply(*tensors):
            it = iter(tensors)
            args = [next(it) if f else a for a, f in zip(c.args, fed)]
            return tuple(tree.flatten(fn(*args, **c.kwargs)))

        outs = _OpLayer(apply, autocast=False)(*inputs)
        model = kgraph.Model(inputs if len(inputs) > 1 else inputs[0], list(outs))
        feeds = [a for a, f in zip(c.args, fed) if f]
        got = model.predict(feeds if len(feeds) > 1 else feeds[0], batch_size=1 << 20, verbose=0)
        return [_numpy(v) for v in (got if isinstance(got, list) else [got])]
    except Exception as e:
        return e


def differences(c: Call, want, got, where: str) -> list[str]:
    """What differs between Keras' result ``want`` and kgraph's ``got`` (empty when they agree).

    When Keras raises ValueError or TypeError kgraph must raise the same type; when Keras raises
    anything else (a JAX error) any exception from kgraph is accepted."""
    if isinstance(want, Exception):
        if not isinstance(got, Exception):
            if _jax_dtype_refusal(want):
                return []  # JAX rejects an input dtype that Keras' API accepts
            return [f"{where}: Keras raised {type(want).__name__}: {want}; kgraph returned"]
        for kind in (ValueError, TypeError):
            if isinstance(want, kind) and not isinstance(got, kind):
                return [f"{where}: Keras raised {kind.__name__}, kgraph {type(got).__name__}"]
        return []
    if isinstance(got, Exception):
        return [f"{where}: kgraph raised {type(got).__name__}: {str(got)[:300]}"]
    if len(want) != len(got):
        return [f"{where}: {len(got)} outputs, Keras {len(want)}"]
    out = []
    for k, (w, g) in enumerate(zip(want, got)):
        tag = f"{where}[{k}]" if len(want) > 1 else where
        if g.dtype != w.dtype and not _x64_float(c, w, g):
            out.append(f"{tag}: dtype {g.dtype}, Keras {w.dtype}")
        if g.shape != w.shape:
            out.append(f"{tag}: shape {g.shape}, Keras {w.shape}")
            continue
        if c.values and not _close(c, w, g):
            out.append(f"{tag}: values {_brief(g)}, Keras {_brief(w)}")
    return out


def _jax_dtype_refusal(e: Exception) -> bool:
    return isinstance(e, TypeError) and "does not accept dtype" in str(e)


def _x64_float(c: Call, want, got) -> bool:
    """Under ``jax.enable_x64`` JAX computes int64 inputs in float64 where Keras' own promotion
    (``keras.backend.result_type("int64", float)``) gives floatx."""
    return _wants_x64(c) and want.dtype == np.float64 and got.dtype == np.float32


def _close(c: Call, want, got) -> bool:
    if want.dtype.kind in "biu" and got.dtype.kind in "biu":
        return np.array_equal(want, got)
    rtol, atol = c.rtol, c.atol
    if np.float16 in (want.dtype, got.dtype):
        rtol, atol = max(rtol, 2e-3), max(atol, 2e-3)
    try:
        return np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    except TypeError:
        return np.array_equal(got, want)


def _brief(x) -> str:
    return np.array2string(np.asarray(x).ravel()[:6], precision=4, threshold=6)


def check(c: Call) -> list[str]:
    """All differences of the eager and (where possible) compiled kgraph runs from Keras."""
    want = run_keras(c)
    problems = differences(c, want, run_eager(c), "eager")
    if c.compiled:
        got = run_compiled(c)
        if got is not None:
            problems += differences(c, want, got, "compiled")
    return problems
