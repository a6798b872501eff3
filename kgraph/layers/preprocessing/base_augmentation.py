"""The image-preprocessing base: Keras' ``BaseImagePreprocessingLayer`` contract in kgraph.

A layer draws its random parameters in ``get_random_transformation`` (per sample, through
``kgraph.random.batch_uniform``) and applies them in ``transform_images``. In a training graph
the draws are ``RandomUniformLike`` nodes whose seeds come from the layer's own generator, so
each step gets fresh values and ``kgraph.utils.set_random_seed`` makes runs repeat; eval and
inference graphs skip the layer (a cast to float at most), so they hold no random node.

As in Keras, a direct call without ``training`` (``layer(images)`` on numpy arrays) augments;
inside a model the model's training flag decides. The random parameters never need gradients:
they are not computed from weights, and the backward pass stops at random nodes.
"""

from __future__ import annotations

import numpy as np

from kgraph import ops, random, trace
from kgraph.layers.layer import Layer
from kgraph.tensor import KerasTensor
from kgraph.utils import seeds
from kgraph.utils.argument_validation import standardize_data_format


class BaseImagePreprocessingLayer(Layer):
    """Base of the image augmentation layers (channels_last or channels_first images, rank 3
    or 4). Subclasses implement ``get_random_transformation`` and ``transform_images``.

    Args:
        factor: Strength, parsed into ``self.factor = (lower, upper)`` by ``_set_factor``
            when the subclass keeps ``_USE_BASE_FACTOR``.
        seed: Seed of the layer's generator, from which every call draws its nodes' seeds.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    _USE_BASE_FACTOR = True
    _FACTOR_BOUNDS = (-1, 1)

    def __init__(self, factor=None, seed=None, data_format=None, **kwargs):
        if kwargs.pop("bounding_box_format", None) is not None:
            raise ValueError(
                f"{type(self).__name__} in kgraph does not transform bounding boxes; leave "
                "`bounding_box_format` unset."
            )
        super().__init__(**kwargs)
        self.seed = seed
        self.data_format = standardize_data_format(data_format)
        self._generator = np.random.default_rng(seed if seed is not None else seeds.make_seed())
        if self._USE_BASE_FACTOR:
            self._set_factor(factor or 0.0)
        elif factor is not None:
            raise ValueError(
                f"Layer {type(self).__name__} does not take a `factor` argument. "
                f"Received: factor={factor}"
            )

    def _set_factor(self, factor):
        low, high = self._FACTOR_BOUNDS
        message = (
            "The `factor` argument should be a number (or a list of two numbers) in the range "
            f"[{low}, {high}]. Received: factor={factor}"
        )
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or factor[0] > high or factor[1] < low:
                raise ValueError(message)
            self.factor = tuple(sorted(float(f) for f in factor))
        elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
            if not low <= factor <= high:
                raise ValueError(message)
            self.factor = (max(-abs(float(factor)), float(low)), abs(float(factor)))
        else:
            raise ValueError(message)

    # -- the Keras hooks ---------------------------------------------------------------------
    def get_random_transformation(self, data, training=True, seed=None):
        """The random parameters for the batch ``data`` (a dict of tensors), or None."""
        return None

    def transform_images(self, images, transformation, training=True):
        """``images`` (float, batched) transformed by ``transformation``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement transform_images.")

    # -- calling -----------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        return super().__call__(*args, **direct_call_trains(args, kwargs))

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):  # {"images": ..., "labels": ...}, as Keras' layers take
            return self._call_dict(inputs, training)
        images = self._to_float(inputs)
        if len(images.shape) not in (3, 4):
            raise ValueError(
                "Expected image tensor to have rank 3 (single image) or 4 (batch of images). "
                f"Received: data.shape={tuple(images.shape)}"
            )
        if not training:
            return images
        single = len(images.shape) == 3
        if single:
            images = ops.expand_dims(images, 0)
        transformation = self.get_random_transformation(images, training=True)
        out = self.transform_images(images, transformation, training=True)
        return ops.squeeze(out, 0) if single else out

    def _call_dict(self, data, training):
        images = self._to_float(data["images"])
        out = dict(data, images=images)
        if not training:
            return out
        transformation = self.get_random_transformation(images, training=True)
        out["images"] = self.transform_images(images, transformation, training=True)
        if "labels" in data:
            out["labels"] = self.transform_labels(data["labels"], transformation, training=True)
        if "segmentation_masks" in data:
            masks = self._to_float(data["segmentation_masks"])
            out["segmentation_masks"] = self.transform_segmentation_masks(masks, transformation)
        if "bounding_boxes" in data:
            raise ValueError(
                f"{type(self).__name__} in kgraph does not transform bounding boxes. Received "
                "data with a 'bounding_boxes' key."
            )
        return out

    def transform_segmentation_masks(self, masks, transformation, training=True):
        """Masks after the transformation: unchanged, unless the layer moves pixels."""
        return masks

    def transform_labels(self, labels, transformation, training=True):
        """Labels after the transformation: unchanged, unless the layer mixes samples."""
        return labels

    def _to_float(self, x):
        dtype = self.dtype if self.dtype.startswith("float") else "float32"
        if isinstance(x, np.ndarray):  # eager: numpy casts float64 arrays too
            return x.astype(dtype, copy=False)
        return x if getattr(x, "dtype", None) == dtype else ops.cast(x, dtype)

    # -- helpers for subclasses ----------------------------------------------------------------
    def next_seed(self) -> int:
        """A fresh node seed from the layer's generator."""
        return int(self._generator.integers(0, 2**31 - 1))

    def uniform(self, images, shape=(1,), minval=0.0, maxval=1.0):
        """Per-sample uniform values of shape ``(batch, *shape)``."""
        dtype = self.dtype if self.dtype.startswith("float") else "float32"
        return random.batch_uniform(images, shape, minval, maxval, dtype, seed=self.next_seed())

    def spatial_axes(self, rank: int = 4) -> tuple[int, int]:
        """Height and width axes of a batch."""
        return (rank - 2, rank - 1) if self.data_format == "channels_first" else (1, 2)

    def channel_axis(self, rank: int = 4) -> int:
        return 1 if self.data_format == "channels_first" else rank - 1

    def image_size(self, images) -> tuple:
        """Height and width: ints, or float32 scalars read at run time where the model takes
        images of any size (the transforms only do arithmetic with them)."""
        h, w = self.spatial_axes(len(images.shape))
        sizes = [images.shape[h], images.shape[w]]
        if None in sizes:
            shape = ops.shape(images)
            sizes = [
                ops.cast(shape[a], "float32") if n is None else n for a, n in zip((h, w), sizes)
            ]
        return tuple(sizes)

    def per_image(self, values, rank: int = 4):
        """(batch, 1) values reshaped to broadcast over (batch, H, W, C) images."""
        return ops.reshape(values, (-1, *([1] * (rank - 1))))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = {**super().get_config(), "seed": self.seed, "data_format": self.data_format}
        if self._USE_BASE_FACTOR:
            config["factor"] = self.factor
        return config


def direct_call_trains(args, kwargs) -> dict:
    """``kwargs`` with ``training=True`` for a direct eager call that does not say (Keras'
    default for preprocessing layers: ``layer(images)`` augments); inside a model the model's
    training flag decides."""
    eager = trace.current() is None and not any(isinstance(a, KerasTensor) for a in args)
    if eager and kwargs.get("training") is None:
        return {**kwargs, "training": True}
    return kwargs


def check_value_range(value_range, error: str):
    """Sorted ``(low, high)`` from a 2-sequence, else a ValueError."""
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"{error} Received: value_range={value_range}")
    return tuple(sorted(value_range))


VALUE_RANGE_ERROR = "The `value_range` argument should be a list of two numbers."
