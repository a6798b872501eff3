"""``keras.ops`` complex-valued ops: ``polar``, ``view_as_complex``, ``view_as_real``.

kgraph graphs carry no complex dtype (ONNX operators barely support it), so these run eagerly
only, on numpy arrays (complex64 / float32, as kgraph's eager ops map float64 to floatx); a
traced tensor raises one clear error. kgraph's FFT ops keep Keras'
``(real, imag)`` pair convention and work in graphs.
"""

from __future__ import annotations

import numpy as np

from kgraph.tensor import KerasTensor


def _concrete(name: str, *xs) -> list[np.ndarray]:
    if any(isinstance(x, KerasTensor) for x in xs):
        raise ValueError(
            f"kgraph.ops.{name} runs eagerly only: kgraph graphs have no complex dtype. "
            "Use (real, imag) pairs inside models."
        )
    return [np.asarray(x) for x in xs]


def polar(abs_, angle):
    """``abs_ * (cos(angle) + 1j * sin(angle))`` as a complex array (eager-only)."""
    r, theta = _concrete("polar", abs_, angle)
    return (r * np.cos(theta) + 1j * r * np.sin(theta)).astype(np.complex64)


def view_as_complex(x):
    """A ``(..., 2)`` float array read as complex numbers ``x[..., 0] + 1j x[..., 1]``."""
    (x,) = _concrete("view_as_complex", x)
    if x.ndim == 0 or x.shape[-1] != 2:
        raise ValueError(
            "Last dimension of input must be size 2 (real and imaginary). "
            f"Received: x.shape={x.shape}"
        )
    return (x[..., 0] + 1j * x[..., 1]).astype(np.complex64)


def view_as_real(x):
    """A complex array as ``(..., 2)`` floats (real, imaginary) (eager-only)."""
    (x,) = _concrete("view_as_real", x)
    if not np.iscomplexobj(x):
        raise ValueError(f"Input must be a complex tensor. Received: dtype={x.dtype}")
    return np.stack([x.real, x.imag], axis=-1).astype(np.float32)
