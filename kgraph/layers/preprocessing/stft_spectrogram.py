"""``STFTSpectrogram``: a spectrogram of ``(batch, time, channels)`` signals computed, as in
Keras, by a strided 1D convolution with windowed-DFT kernels (``initializers.STFT``)."""

from __future__ import annotations

import math
import warnings

from kgraph import initializers, ops
from kgraph.config import epsilon
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.ops import shapes
from kgraph.utils import argument_validation as av

MODES = ["log", "magnitude", "psd", "real", "imag", "angle", "stft"]


def _check(mode, frame_length, frame_step, fft_length, window, scaling, padding):
    """Keras' argument checks (and its warning for a non power of two ``fft_length``)."""
    if frame_step is not None and (frame_step > frame_length or frame_step < 1):
        raise ValueError(
            "`frame_step` should be a positive integer not greater than `frame_length`. "
            f"Received frame_step={frame_step}, frame_length={frame_length}"
        )
    if fft_length is not None and fft_length < frame_length:
        raise ValueError(
            "`fft_length` should be not less than `frame_length`. "
            f"Received fft_length={fft_length}, frame_length={frame_length}"
        )
    if fft_length is not None and (fft_length & -fft_length) != fft_length:
        warnings.warn(
            f"`fft_length` is recommended to be a power of two. Received fft_length={fft_length}",
            stacklevel=3,
        )
    if mode not in MODES:
        raise ValueError(
            f"Output mode is invalid, it must be one of {', '.join(MODES)}. Received: mode={mode}"
        )
    if scaling is not None and scaling not in ["density", "spectrum"]:
        raise ValueError(
            "Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
            f"Received scaling={scaling}"
        )
    if padding not in ["valid", "same"]:
        raise ValueError(
            f"Padding is invalid, it should be 'valid', 'same'. Received: padding={padding}"
        )
    if isinstance(window, str):
        initializers.STFT("real", window)  # raises for an unknown window


class STFTSpectrogram(Layer):
    """The short-time Fourier transform of each channel as Keras' layer computes it: frames of
    ``frame_length`` every ``frame_step`` samples (``padding`` as a convolution's), convolved
    with the trainable ``real_kernel`` / ``imag_kernel`` ``(frame_length, 1, fft_length // 2 +
    1)``, so weights interchange with Keras and the layer trains like a convolution.

    ``mode``: ``"log"`` (log magnitude), ``"magnitude"``, ``"psd"`` (power, interior bins
    doubled), ``"real"``, ``"imag"``, ``"angle"`` or ``"stft"`` (real then imaginary bins).
    Output ``(batch, frames, channels * bins)`` (channels_last), ``(batch, channels * bins,
    frames)`` (channels_first), or with ``expand_dims`` ``(batch, frames, bins, channels)`` /
    ``(batch, channels, frames, bins)``. The time length may be None.
    """

    def __init__(
        self,
        mode="log",
        frame_length=256,
        frame_step=None,
        fft_length=None,
        window="hann",
        periodic=False,
        scaling="density",
        padding="valid",
        expand_dims=False,
        data_format=None,
        **kwargs,
    ):
        _check(mode, frame_length, frame_step, fft_length, window, scaling, padding)
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self.fft_length = fft_length
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = av.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    @property
    def step(self) -> int:
        return self.frame_step or self.frame_length // 2

    @property
    def fft_size(self) -> int:
        return self.fft_length or 2 ** math.ceil(math.log2(self.frame_length))

    def build(self, input_shape):
        shape = (self.frame_length, 1, self.fft_size // 2 + 1)
        for side in ("real", "imag"):
            if self.mode != ("imag" if side == "real" else "real"):
                init = initializers.STFT(side, self.window, self.scaling, self.periodic)
                setattr(
                    self,
                    f"{side}_kernel",
                    self.add_weight(name=f"{side}_kernel", shape=shape, initializer=init),
                )
        self.built = True

    def _conv(self, inputs, kernel):
        """``(batch, channels, frames, bins)``: every channel framed and convolved alone."""
        if self.data_format == "channels_last":
            inputs = ops.transpose(inputs, (0, 2, 1))
        kernel = ops.expand_dims(ops.cast(kernel, inputs.dtype), 0)  # (1, frame, 1, bins)
        return ops.conv(
            ops.expand_dims(inputs, -1), kernel, strides=(1, self.step), padding=self.padding
        )

    def _layout(self, x):
        """``(batch, channels, frames, bins)`` to Keras' output layout."""
        first = self.data_format == "channels_first"
        if self.expand_dims:
            return x if first else ops.transpose(x, (0, 2, 3, 1))
        x = ops.transpose(x, (0, 2, 1, 3))
        x = ops.reshape(x, (-1, None, x.shape[2] * x.shape[3]))
        return ops.transpose(x, (0, 2, 1)) if first else x

    def call(self, inputs):
        if str(inputs.dtype) not in ("float16", "float32", "float64"):
            raise TypeError(
                "Invalid input type. Expected `float16`, `float32` or `float64`. "
                f"Received: input type={inputs.dtype}"
            )
        real = None if self.mode == "imag" else self._conv(inputs, self.real_kernel)
        imag = None if self.mode == "real" else self._conv(inputs, self.imag_kernel)
        if self.mode in ("real", "imag"):
            return self._layout(real if self.mode == "real" else imag)
        if self.mode == "angle":
            return self._layout(ops.arctan2(imag, real))
        if self.mode == "stft":
            return self._layout(ops.concatenate([real, imag], axis=-1))
        power = ops.square(real) + ops.square(imag)
        if self.mode == "psd":
            inner = ops.pad(power[:, :, :, 1:-1], [(0, 0), (0, 0), (0, 0), (1, 1)])
            return self._layout(power + inner)
        magnitude = self._layout(ops.sqrt(ops.maximum(power, epsilon())))
        if self.mode == "magnitude":
            return magnitude
        return ops.log(ops.maximum(magnitude, epsilon()))

    def compute_output_shape(self, input_shape):
        first = self.data_format == "channels_first"
        batch, channels = input_shape[0], input_shape[1 if first else 2]
        time = input_shape[2 if first else 1]
        bins = (self.fft_size // 2 + 1) * (2 if self.mode == "stft" else 1)
        frames = shapes.conv_output_length(time, self.frame_length, self.step, self.padding, 1)
        if self.expand_dims:
            return (batch, channels, frames, bins) if first else (batch, frames, bins, channels)
        flat = None if channels is None else channels * bins
        return (batch, flat, frames) if first else (batch, frames, flat)

    def get_config(self):
        return {
            **super().get_config(),
            "mode": self.mode,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "window": self.window,
            "periodic": self.periodic,
            "scaling": self.scaling,
            "padding": self.padding,
            "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        }
