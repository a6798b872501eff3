"""``MelSpectrogram``: audio signals to (decibel) mel spectrograms, Keras' numerics: its
centred STFT (``ops.stft``), magnitude to ``mag_exp``, its HTK mel filterbank, its dB scale."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.layer import Layer

MEL_BREAK_FREQUENCY_HERTZ = 700.0
MEL_HIGH_FREQUENCY_Q = 1127.0


def hertz_to_mel(frequencies):
    return MEL_HIGH_FREQUENCY_Q * np.log(1.0 + frequencies / MEL_BREAK_FREQUENCY_HERTZ)


def mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate, lower, upper):
    """Keras' ``linear_to_mel_weight_matrix`` in float32 numpy: ``(num_spectrogram_bins,
    num_mel_bins)`` triangles of peak 1 on the HTK mel scale, the DC bin zeroed."""
    f32 = np.float32
    nyquist = f32(sampling_rate) / f32(2.0)
    linear = np.linspace(f32(0.0), nyquist, num_spectrogram_bins, dtype=f32)[1:]
    bins_mel = hertz_to_mel(linear).astype(f32)[:, None]
    edges = np.linspace(
        hertz_to_mel(f32(lower)), hertz_to_mel(f32(upper)), num_mel_bins + 2, dtype=f32
    )
    low, center, high = (edges[k : k + num_mel_bins][None, :] for k in range(3))
    lower_slopes = (bins_mel - low) / (center - low)
    upper_slopes = (high - bins_mel) / (high - center)
    weights = np.maximum(f32(0.0), np.minimum(lower_slopes, upper_slopes)).astype(f32)
    return np.pad(weights, [(1, 0), (0, 0)])


def dft_kernel(layer, dtype):
    """``(fft_length, 1, 2 * bins)``: the window (``sequence_length`` samples centred in
    ``fft_length``, periodic Hann or Hamming as Keras' ``stft``) times cos then sin rows."""
    n, size = layer.fft_length, layer.sequence_length
    if layer.window is None:
        window = np.ones(n)
    else:
        if isinstance(layer.window, str):
            if layer.window not in ("hann", "hamming"):
                raise ValueError(
                    'If a string is passed to `window`, it must be one of `"hann"`, '
                    f'`"hamming"`. Received: window={layer.window}'
                )
            a = 0.5 if layer.window == "hann" else 0.54
            window = a - (1 - a) * np.cos(2 * np.pi * np.arange(size) / size)
        else:
            window = np.asarray(layer.window, np.float64)
        left = (n - size) // 2
        window = np.pad(window, (left, n - size - left))
    angle = 2 * np.pi * np.outer(np.arange(n), np.arange(n // 2 + 1)) / n
    kernel = np.concatenate([np.cos(angle), np.sin(angle)], axis=1) * window[:, None]
    return kernel[:, None, :].astype(dtype)


class MelSpectrogram(Layer):
    """Mel spectrogram of ``(batch, samples)`` or ``(samples,)`` float signals:
    ``(batch, num_mel_bins, frames)`` (or ``(num_mel_bins, frames)``), Keras' computation:
    a centred (reflect-padded) STFT with a periodic ``window`` over ``sequence_length`` samples
    every ``sequence_stride``, ``|STFT| ** mag_exp``, the mel filterbank, then with
    ``power_to_db`` ``10 log10(max(power, min_power) / max(ref_power, min_power))`` floored at
    ``top_db`` below the maximum. As in Keras that maximum is over the whole batch, so one
    sample's output depends on the others in its batch. It compiles into the ONNX graph (the
    DFT is a constant matrix product, the filterbank a constant).

    Args:
        fft_length, sequence_stride, sequence_length, window, sampling_rate, num_mel_bins,
            min_freq, max_freq, power_to_db, top_db, mag_exp, min_power, ref_power: As Keras.
    """

    def __init__(
        self,
        fft_length=2048,
        sequence_stride=512,
        sequence_length=None,
        window="hann",
        sampling_rate=16000,
        num_mel_bins=128,
        min_freq=20.0,
        max_freq=None,
        power_to_db=True,
        top_db=80.0,
        mag_exp=2.0,
        min_power=1e-10,
        ref_power=1.0,
        **kwargs,
    ):
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(
                "`fft_length` must be greater than or equal to  `sequence_length`. Received: "
                f"`sequence_length`={self.sequence_length}, `fft_length`={self.fft_length}."
            )
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        super().__init__(**kwargs)

    def call(self, inputs):
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        inputs = ops.cast(inputs, dtype)
        power = self._power_spectrum(inputs, dtype)
        # |X| ** mag_exp as power ** (mag_exp / 2): Keras' sqrt first has an infinite
        # gradient at silent bins, which the default mag_exp=2 then need not have.
        spec = power if self.mag_exp == 2 else ops.power(power, self.mag_exp / 2)
        matrix = mel_weight_matrix(
            self.num_mel_bins,
            self.fft_length // 2 + 1,
            self.sampling_rate,
            self.min_freq,
            self.max_freq,
        )
        outputs = ops.tensordot(spec, matrix.astype(dtype), axes=1)
        if self.power_to_db:
            outputs = self._dbscale(outputs)
        return ops.cast(ops.swapaxes(outputs, -1, -2), self.compute_dtype)

    def _power_spectrum(self, x, dtype):
        """``|STFT|^2`` ``(..., frames, bins)`` of Keras' centred STFT: reflect padding by
        ``fft_length // 2`` from two reversed slices, framing and DFT as one strided
        convolution with windowed cos/sin kernels. No integer index constants, so long signals
        export and differentiate as plainly as a convolution, and the length may be None. A
        signal too short for one reflection is padded by a constant 0/1 matrix product."""
        half, n = self.fft_length // 2, x.shape[-1]
        rank = len(x.shape)
        rows = ops.expand_dims(x, 0) if rank == 1 else x
        if rank > 2:  # any leading axes, as Keras' stft takes them
            rows = ops.reshape(x, (-1, n))
        if n is not None and n <= half:
            index = np.pad(np.arange(n), half, mode="reflect")
            padded = ops.matmul(rows, np.eye(n, dtype=dtype)[:, index])
        else:
            left = ops.flip(rows[:, 1 : half + 1], axis=-1)
            right = ops.flip(rows[:, -half - 1 : -1], axis=-1)
            padded = ops.concatenate([left, rows, right], axis=-1)
        kernel = dft_kernel(self, dtype)
        out = ops.conv(ops.expand_dims(padded, -1), kernel, strides=self.sequence_stride)
        bins = self.fft_length // 2 + 1
        power = ops.square(out[:, :, :bins]) + ops.square(out[:, :, bins:])
        if rank > 2:
            return ops.reshape(power, (-1, *x.shape[1:-1], *power.shape[1:]))
        return power[0] if rank == 1 else power

    def _dbscale(self, x):
        log_spec = 10.0 * ops.log10(ops.maximum(x, self.min_power))
        ref = max(abs(self.ref_power), self.min_power)
        log_spec = log_spec - 10.0 * np.log10(np.asarray(ref, np.float32))
        return ops.maximum(log_spec, ops.max(log_spec) - self.top_db)

    def compute_output_shape(self, input_shape):
        samples = input_shape[-1]
        frames = None
        if samples is not None:
            padded = samples + 2 * (self.fft_length // 2)
            frames = 1 + (padded - self.fft_length) // self.sequence_stride
        return (*tuple(input_shape)[:-1], self.num_mel_bins, frames)

    def get_config(self):
        return {
            **super().get_config(),
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        }
