"""``Resizing``: resizes images to a fixed size inside the model."""

from __future__ import annotations

from kgraph.layers.layer import Layer
from kgraph.ops import image as image_ops
from kgraph.utils import argument_validation as av
from kgraph.utils.argument_validation import standardize_data_format


class Resizing(Layer):
    """Resizes images to ``(height, width)`` with ``kgraph.ops.image.resize``.

    Args:
        height: Output height.
        width: Output width.
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"``, ``"lanczos3"`` or
            ``"lanczos5"`` (ONNX has no ``"area"``).
        crop_to_aspect_ratio: Crop the largest centred window of the target's aspect ratio
            first, so the image is not distorted.
        pad_to_aspect_ratio: Pad with ``fill_value`` to the target's aspect ratio instead.
        fill_mode: Only ``"constant"``.
        fill_value: Padding value.
        antialias: Widen the filter when downscaling.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    def __init__(
        self,
        height,
        width,
        interpolation="bilinear",
        crop_to_aspect_ratio=False,
        pad_to_aspect_ratio=False,
        fill_mode="constant",
        fill_value=0.0,
        antialias=False,
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if interpolation not in image_ops.RESIZE_INTERPOLATIONS:
            raise ValueError(
                "Invalid value for argument `interpolation`. Expected of one "
                f"{image_ops.RESIZE_INTERPOLATIONS}. Received: interpolation={interpolation}"
            )
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                "Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`."
            )
        if fill_mode != "constant":
            raise ValueError(
                f"Only `fill_mode='constant'` is supported. Received: fill_mode={fill_mode}"
            )
        self.height = av.output_size(height, "height")
        self.width = av.output_size(width, "width")
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)
        self.data_format = standardize_data_format(data_format)

    def call(self, inputs):
        return image_ops.resize(
            inputs,
            (self.height, self.width),
            interpolation=self.interpolation,
            antialias=self.antialias,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        rank = len(shape)
        h, w = (
            (rank - 2, rank - 1) if self.data_format == "channels_first" else (rank - 3, rank - 2)
        )
        shape[h], shape[w] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
            "data_format": self.data_format,
        }
