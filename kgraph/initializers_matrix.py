"""Structured initializers: Identity, Orthogonal and the STFT kernel (numpy-valued).

They live apart from ``kgraph.initializers`` only to keep files short; that module re-exports
them under Keras' names and aliases.
"""

from __future__ import annotations

import math

import numpy as np

from kgraph.initializers import Initializer, _Seeded


class Identity(Initializer):
    """``gain`` times the identity matrix; only 2-D shapes (as in Keras)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype="float32"):
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={tuple(shape)} of rank {len(shape)}."
            )
        return (self.gain * np.eye(*shape)).astype(dtype or "float32")

    def get_config(self):
        return {"gain": self.gain}


class Orthogonal(_Seeded):
    """An orthogonal matrix from the QR decomposition of a normal draw, signs fixed by ``R``'s
    diagonal (Saxe et al.); shapes of rank > 2 flatten all but the last axis."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype="float32"):
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={tuple(shape)} of rank {len(shape)}."
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().normal(0.0, 1.0, (max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype or "float32")

    def get_config(self):
        return {"gain": self.gain, "seed": self._seed_config()}


def _window(name: str, length: int, periodic: bool) -> np.ndarray:
    """scipy.signal.get_window's common windows written with numpy (kgraph has no scipy)."""
    n = length + 1 if periodic else length
    table = {
        "hann": np.hanning,
        "hanning": np.hanning,
        "hamming": np.hamming,
        "blackman": np.blackman,
        "bartlett": np.bartlett,
        "boxcar": np.ones,
        "rect": np.ones,
        "ones": np.ones,
    }
    if name not in table:
        raise ValueError(
            f"Unknown window '{name}'. kgraph supports {', '.join(sorted(table))} or an array."
        )
    values = table[name](n) if n > 1 else np.ones(n)
    return values[:length]


class STFT(Initializer):
    """Conv kernels ``(frame_length, 1, fft_length // 2 + 1)`` computing the real or imaginary
    part of a windowed DFT, as Keras' ``STFTSpectrogram`` uses them."""

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if isinstance(window, str):
            _window(window, 1, False)
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                f"Received scaling={scaling}"
            )
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype="float32"):
        frame_length, _, bins = shape
        fft_length = (bins - 1) * 2
        time = np.arange(frame_length, dtype=np.float64).reshape(frame_length, 1, 1)
        freq = np.arange(bins, dtype=np.float64).reshape(1, 1, bins) / fft_length
        args = -2.0 * time * freq * np.pi
        kernel = np.cos(args) if self.side == "real" else np.sin(args)
        if self.window is not None:
            win = self.window
            if isinstance(win, str):
                win = _window(win, frame_length, self.periodic)
            win = np.asarray(win, np.float64)
            if win.shape != (frame_length,):
                raise ValueError(
                    "The shape of `window` must be equal to [frame_length]."
                    f"Received: window shape={win.shape}"
                )
            win = win.reshape(frame_length, 1, 1)
            scale = 1.0
            if self.scaling == "density":
                scale = np.sqrt(np.sum(win**2))
            elif self.scaling == "spectrum":
                scale = np.sum(np.abs(win))
            kernel = kernel * win / scale
        return kernel.astype(dtype or "float32")

    def get_config(self):
        return {
            "side": self.side,
            "window": self.window,
            "periodic": self.periodic,
            "scaling": self.scaling,
        }
