"""``RandomColorJitter``: random brightness, contrast, saturation and hue in one layer."""

from __future__ import annotations

from kgraph.layers.preprocessing.base_color import BaseColorLayer
from kgraph.layers.preprocessing.random_brightness import RandomBrightness
from kgraph.layers.preprocessing.random_contrast import RandomContrast
from kgraph.layers.preprocessing.random_hue import RandomHue
from kgraph.layers.preprocessing.random_saturation import RandomSaturation


class RandomColorJitter(BaseColorLayer):
    """Applies, in this order, RandomBrightness, RandomContrast, RandomSaturation and RandomHue
    with the given factors (each left out when its factor is None), drawing each per image.

    Args:
        value_range: The images' ``(min, max)``.
        brightness_factor: As RandomBrightness' ``factor``, or None.
        contrast_factor: As RandomContrast's ``factor``, or None.
        saturation_factor: As RandomSaturation's ``factor``, or None.
        hue_factor: As RandomHue's ``factor``, or None.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        value_range=(0, 255),
        brightness_factor=None,
        contrast_factor=None,
        saturation_factor=None,
        hue_factor=None,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor

        def part(cls, factor, **extra):  # each part draws from its own generator
            return cls(factor, value_range=self.value_range, seed=self.next_seed(), **extra)

        fmt = {"data_format": data_format}
        self._parts = [
            p
            for p in (
                brightness_factor is not None and part(RandomBrightness, brightness_factor),
                contrast_factor is not None and part(RandomContrast, contrast_factor),
                saturation_factor is not None and part(RandomSaturation, saturation_factor, **fmt),
                hue_factor is not None and part(RandomHue, hue_factor, **fmt),
            )
            if p
        ]

    def get_random_transformation(self, data, training=True, seed=None):
        return None  # each part draws its own, on the image the previous part produced

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        for part in self._parts:
            images = part.transform_images(
                images, part.get_random_transformation(images), training=True
            )
        return images

    def get_config(self):
        return {
            **super().get_config(),
            "brightness_factor": self.brightness_factor,
            "contrast_factor": self.contrast_factor,
            "saturation_factor": self.saturation_factor,
            "hue_factor": self.hue_factor,
        }
