"""Fourier transforms (``kgraph/ops/fft.py``) against ``numpy.fft``: each case run eagerly, in
a model and as ONNX (the (real, imag) outputs checked one at a time)."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, params


def _periodic_hann(n):
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def _stft(x, length, stride, nfft):
    """numpy STFT as Keras defines it: reflect padding, periodic Hann window centred in nfft."""
    x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(nfft // 2, nfft // 2)], mode="reflect")
    left = (nfft - length) // 2
    win = np.pad(_periodic_hann(length), (left, nfft - length - left))
    count = 1 + (x.shape[-1] - nfft) // stride
    frames = np.stack([x[..., i * stride : i * stride + nfft] for i in range(count)], axis=-2)
    return np.fft.rfft(frames * win, nfft)


def _parts(which, fn, ref):
    pick = 0 if which == "re" else 1
    getter = np.real if which == "re" else np.imag
    return (lambda *a: fn(*a)[pick]), (lambda *a: getter(ref(*a)))


def _complex_cases(name, fn, ref, shapes):
    cases = []
    for shape in shapes:
        for which in ("re", "im"):
            got, want = _parts(which, fn, ref)
            cases.append(
                case(name, got, want, f32(*shape), f32(*shape), label=f"{which}_{shape}", atol=2e-5)
            )
    return cases


def _cases():
    cases = _complex_cases(
        "fft",
        lambda a, b: ops.fft((a, b)),
        lambda a, b: np.fft.fft(a + 1j * b),
        [(3, 8), (2, 3, 5)],
    )
    cases += _complex_cases(
        "fft2",
        lambda a, b: ops.fft2((a, b)),
        lambda a, b: np.fft.fft2(a + 1j * b),
        [(3, 4), (2, 3, 5)],
    )
    cases += _complex_cases(
        "ifft2",
        lambda a, b: ops.ifft2((a, b)),
        lambda a, b: np.fft.ifft2(a + 1j * b),
        [(3, 4), (2, 2, 6)],
    )
    for n in (None, 6, 11):
        for which in ("re", "im"):
            got, want = _parts(
                which, lambda x, n=n: ops.rfft(x, n), lambda x, n=n: np.fft.rfft(x, n)
            )
            cases.append(case("rfft", got, want, f32(3, 8), label=f"{which}_{n}", atol=2e-5))
    cases += [
        case(
            "rfft",
            lambda x: ops.rfft(x)[0],
            lambda x: np.fft.rfft(x).real,
            f32(5, 6),
            label="dyn",
            dynamic=True,
            atol=2e-5,
        ),
        case(
            "irfft",
            lambda a, b: ops.irfft((a, b)),
            lambda a, b: np.fft.irfft(a + 1j * b),
            f32(3, 5),
            f32(3, 5),
            label="default",
            atol=2e-5,
        ),
        case(
            "irfft",
            lambda a, b: ops.irfft((a, b), 7),
            lambda a, b: np.fft.irfft(a + 1j * b, 7),
            f32(3, 5),
            f32(3, 5),
            label="odd",
            atol=2e-5,
        ),
        case(
            "irfft",
            lambda a, b: ops.irfft((a, b), 4),
            lambda a, b: np.fft.irfft(a + 1j * b, 4),
            f32(2, 5),
            f32(2, 5),
            label="cut",
            atol=2e-5,
        ),
        case(
            "stft",
            lambda x: ops.stft(x, 8, 4, 8)[0],
            lambda x: _stft(x, 8, 4, 8).real,
            f32(2, 32),
            label="re",
            atol=5e-5,
        ),
        case(
            "stft",
            lambda x: ops.stft(x, 6, 3, 10)[1],
            lambda x: _stft(x, 6, 3, 10).imag,
            f32(2, 30),
            label="im_padded_window",
            atol=5e-5,
        ),
        case(
            "istft",
            lambda x: ops.istft(ops.stft(x, 8, 2, 8), 8, 2, 8),
            lambda x: x,
            f32(2, 32),
            label="roundtrip",
            atol=5e-5,
        ),
        case(
            "istft",
            lambda x: ops.istft(ops.stft(x, 6, 2, 8, "hamming"), 6, 2, 8, 30, "hamming"),
            lambda x: x[:, :30],
            f32(2, 32),
            label="hamming_length",
            atol=5e-5,
        ),
    ]
    return cases


CASES = _cases()


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
    with pytest.raises(ValueError, match="tuple of two tensors"):
        ops.fft(np.ones(4, np.float32))
    with pytest.raises(ValueError, match="fft_length"):
        ops.stft(np.ones((2, 16), np.float32), 8, 2, 4)
    with pytest.raises(ValueError, match="window"):
        ops.stft(np.ones((2, 16), np.float32), 8, 2, 8, window="kaiser")
