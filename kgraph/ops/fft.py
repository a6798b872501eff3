"""Discrete Fourier transforms with Keras' (real, imaginary) tuples: fft, fft2, ifft2, rfft,
irfft and stft.

Each transform is a product with constant cosine and sine matrices built in numpy from the
static length of the transformed axis (``O(n^2)`` work, exact to float rounding), so it runs
and differentiates through ``MatMul`` like any dense layer; ONNX's ``DFT`` node has no
gradient rule here. The transformed axes need static lengths.
"""

from __future__ import annotations

import numpy as np

from kgraph.ops.array import reshape
from kgraph.ops.core import _spec_of
from kgraph.ops.math_ops import to_float
from kgraph.ops.numpy import add, matmul, multiply, subtract
from kgraph.ops.quantiles import extract_sequences
from kgraph.ops.shape_ops import gather_static, swapaxes


def _length(x, what, axis=-1):
    n = _spec_of(x).shape[axis]
    if n is None:
        raise ValueError(
            f"{what} needs a static length on the last axis. Received: {_spec_of(x).shape}"
        )
    return n


def _complex(x, what):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            f"Input `x` should be a tuple of two tensors - real and imaginary. Received: x={x!r}"[
                :200
            ]
        )
    real, imag = (to_float(v) for v in x)
    if tuple(_spec_of(real).shape) != tuple(_spec_of(imag).shape):
        raise ValueError(
            f"{what}: the real and imaginary parts must have one shape. Received: "
            f"{_spec_of(real).shape} and {_spec_of(imag).shape}"
        )
    return real, imag


def _trig(rows, cols, n, dtype):
    angle = 2.0 * np.pi * np.outer(np.arange(rows), np.arange(cols)) / n
    return np.cos(angle).astype(dtype), np.sin(angle).astype(dtype)


def _dft_last(real, imag, inverse):
    """The (inverse) DFT of ``real + i imag`` along the last axis."""
    n = _length(real, "fft")
    c, s = _trig(n, n, n, _spec_of(real).dtype)
    if inverse:
        c, s = c / n, -s / n
    out_re = add(matmul(real, c), matmul(imag, s))
    out_im = subtract(matmul(imag, c), matmul(real, s))
    return out_re, out_im


def fft(x):
    """The DFT of the complex ``x = (real, imag)`` along the last axis, as ``(real, imag)``."""
    return _dft_last(*_complex(x, "fft"), inverse=False)


def _dft_2d(x, inverse, what):
    real, imag = _complex(x, what)
    if _spec_of(real).ndim < 2:
        raise ValueError(f"{what} needs at least 2 dimensions. Received: {_spec_of(real).shape}")
    real, imag = _dft_last(real, imag, inverse)
    real, imag = _dft_last(swapaxes(real, -1, -2), swapaxes(imag, -1, -2), inverse)
    return swapaxes(real, -1, -2), swapaxes(imag, -1, -2)


def fft2(x):
    """The 2-D DFT of ``x = (real, imag)`` over its last two axes."""
    return _dft_2d(x, False, "fft2")


def ifft2(x):
    """The inverse 2-D DFT of ``x = (real, imag)`` over its last two axes."""
    return _dft_2d(x, True, "ifft2")


def _fit_last(x, n):
    """``x`` cut or zero-padded to length ``n`` on its last axis."""
    from kgraph.ops.layout_ops import pad

    m = _length(x, "rfft")
    if m > n:
        return gather_static(x, np.arange(n), _spec_of(x).ndim - 1)
    if m < n:
        return pad(x, [(0, 0)] * (_spec_of(x).ndim - 1) + [(0, n - m)])
    return x


def rfft(x, fft_length=None):
    """The DFT of real ``x`` along the last axis (``fft_length`` samples, cut or zero-padded),
    its ``fft_length // 2 + 1`` non-negative frequencies as ``(real, imag)``."""
    x = to_float(x)
    n = _length(x, "rfft") if fft_length is None else int(fft_length)
    x = _fit_last(x, n)
    c, s = _trig(n, n // 2 + 1, n, _spec_of(x).dtype)
    return matmul(x, c), multiply(matmul(x, s), -1.0)


def irfft(x, fft_length=None):
    """The real inverse of :func:`rfft`: ``fft_length`` samples (``2 * (m - 1)`` by default)
    from the ``m`` non-negative frequencies ``x = (real, imag)``."""
    real, imag = _complex(x, "irfft")
    m = _length(real, "irfft")
    n = 2 * (m - 1) if fft_length is None else int(fft_length)
    bins = n // 2 + 1
    real, imag = _fit_last(real, bins), _fit_last(imag, bins)
    c, s = _trig(bins, n, n, _spec_of(real).dtype)
    weight = np.full((bins, 1), 2.0)
    weight[0] = 1.0
    if n % 2 == 0:
        weight[-1] = 1.0
    dtype = _spec_of(real).dtype
    c, s = (c * weight / n).astype(dtype), (s * weight / n).astype(dtype)
    return subtract(matmul(real, c), matmul(imag, s))


def _window(window, length, dtype):
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(
                'If a string is passed to `window`, it must be one of `"hann"`, `"hamming"`. '
                f"Received: window={window}"
            )
        a = 0.5 if window == "hann" else 0.54
        return (a - (1 - a) * np.cos(2 * np.pi * np.arange(length) / length)).astype(dtype)
    win = np.asarray(window, dtype)
    if win.shape != (length,):
        raise ValueError(
            f"The shape of `window` must be equal to [sequence_length]. Received: {win.shape}"
        )
    return win


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform of real ``x`` along its last axis: ``(real, imag)`` shaped
    ``(..., frames, fft_length // 2 + 1)``, as Keras computes it (periodic 'hann'/'hamming'
    windows, reflect padding by ``fft_length // 2`` when ``center``)."""
    dtype = _spec_of(x).dtype
    if dtype not in ("float32", "float64"):
        raise TypeError(
            f"Invalid input type. Expected `float32` or `float64`. Received: input type={dtype}"
        )
    if fft_length < sequence_length:
        raise ValueError(
            "`fft_length` must equal or larger than `sequence_length`. "
            f"Received: sequence_length={sequence_length}, fft_length={fft_length}"
        )
    if center:
        n, half = _length(x, "stft"), fft_length // 2
        x = gather_static(
            x, np.pad(np.arange(n), (half, half), mode="reflect"), _spec_of(x).ndim - 1
        )
    left = (fft_length - sequence_length) // 2
    if window is None:  # Keras: ones over the whole fft_length, not padded with zeros
        win = np.ones(fft_length, dtype)
    else:
        win = _window(window, sequence_length, dtype)
        win = np.pad(win, (left, fft_length - sequence_length - left))
    frames = extract_sequences(x, fft_length, sequence_stride)
    return rfft(multiply(frames, win), fft_length)


def _overlap_add(frames, stride):
    """Sums ``(..., F, n)`` frames placed every ``stride`` samples: ``(..., n + stride*(F-1))``.

    Each frame is cut into ``r = ceil(n / stride)`` chunks of ``stride`` samples; chunk ``j`` of
    frame ``i`` lands on block ``i + j``, so the sum is ``r`` padded copies of ``(..., F,
    stride)`` slices, flattened.
    """
    from kgraph.ops.layout_ops import pad

    spec = _spec_of(frames)
    count, n = spec.shape[-2], spec.shape[-1]
    chunks = -(-n // stride)
    lead = [(0, 0)] * (spec.ndim - 2)
    if chunks * stride != n:
        frames = pad(frames, [*lead, (0, 0), (0, chunks * stride - n)])
    total = None
    for j in range(chunks):
        part = gather_static(frames, np.arange(j * stride, (j + 1) * stride), spec.ndim - 1)
        part = pad(part, [*lead, (j, chunks - 1 - j), (0, 0)])
        total = part if total is None else add(total, part)
    lead_dims = [-1 if d is None else d for d in spec.shape[:-2]]
    flat = reshape(total, [*lead_dims, (count + chunks - 1) * stride])
    return gather_static(flat, np.arange(n + stride * (count - 1)), spec.ndim - 2)


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """Inverse of :func:`stft`: overlap-adds the windowed inverse transforms of the frames of
    ``x = (real, imag)`` and divides by the summed squared window, as Keras does."""
    real, imag = _complex(x, "istft")
    spec = _spec_of(real)
    if spec.ndim < 2:
        raise ValueError(f"Input `x` must have at least 2 dimensions. Received shape: {spec.shape}")
    count = spec.shape[-2]
    if count is None:
        raise ValueError(f"istft needs a static number of frames. Received: {spec.shape}")
    left = (fft_length - sequence_length) // 2
    dtype = spec.dtype
    if window is None:
        win = np.ones(fft_length, dtype)
    else:
        win = np.pad(
            _window(window, sequence_length, dtype), (left, fft_length - sequence_length - left)
        )
    frames = multiply(irfft((real, imag), fft_length), win)
    signal = _overlap_add(frames, sequence_stride)
    total = fft_length + sequence_stride * (count - 1)
    norm = np.zeros(total)
    for i in range(count):
        norm[i * sequence_stride : i * sequence_stride + fft_length] += win.astype(np.float64) ** 2
    scale = 1.0 if window is not None else fft_length / sequence_stride
    norm = (scale / np.where(norm > 1e-10, norm, 1.0)).astype(dtype)
    signal = multiply(signal, norm)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + int(length)
    else:
        end = total - fft_length // 2 if center else total
    return gather_static(signal, np.arange(start, min(end, total)), spec.ndim - 2)
