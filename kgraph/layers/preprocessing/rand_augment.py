"""``RandAugment``: ``num_ops`` augmentations picked at random from a fixed list."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.auto_contrast import AutoContrast
from kgraph.layers.preprocessing.base_color import BaseColorLayer
from kgraph.layers.preprocessing.equalization import Equalization
from kgraph.layers.preprocessing.random_brightness import RandomBrightness
from kgraph.layers.preprocessing.random_color_degeneration import RandomColorDegeneration
from kgraph.layers.preprocessing.random_contrast import RandomContrast
from kgraph.layers.preprocessing.random_posterization import RandomPosterization
from kgraph.layers.preprocessing.random_rotation import RandomRotation
from kgraph.layers.preprocessing.random_sharpness import RandomSharpness
from kgraph.layers.preprocessing.random_shear import RandomShear
from kgraph.layers.preprocessing.random_translation import RandomTranslation
from kgraph.layers.preprocessing.solarization import Solarization


class RandAugment(BaseColorLayer):
    """Applies ``num_ops`` rounds; in each, every training image gets one augmentation picked
    uniformly from Keras' list (shear, translation, rotation, brightness, colour degeneration,
    contrast, sharpness, solarization, posterization, auto-contrast, equalization), all of
    strength ``factor``. Keras picks the augmentations once per batch; here each image picks its
    own (every candidate is computed and the picked one kept).

    Args:
        value_range: The images' ``(min, max)``.
        num_ops: Augmentations per image.
        factor: Strength, a float or pair in [0, 1].
        interpolation: ``"bilinear"`` or ``"nearest"`` for the geometric ones.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        value_range=(0, 255),
        num_ops=2,
        factor=0.5,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(factor, value_range, seed, data_format, **kwargs)
        if int(num_ops) < 1:
            raise ValueError(f"`num_ops` must be at least 1. Received: num_ops={num_ops}")
        self.num_ops = int(num_ops)
        self.interpolation = interpolation
        f, vr, fmt = self.factor, self.value_range, {"data_format": data_format}

        def geo(cls, *args):
            return cls(*args, interpolation=interpolation, seed=self.next_seed(), **fmt)

        def color(cls, *args):
            return cls(*args, value_range=vr, seed=self.next_seed(), **fmt)

        self.augmentations = [
            geo(RandomShear, f, f),
            geo(RandomTranslation, f, f),
            geo(RandomRotation, f),
            RandomBrightness(f, value_range=vr, seed=self.next_seed()),
            color(RandomColorDegeneration, f),
            RandomContrast(f, value_range=vr, seed=self.next_seed()),
            color(RandomSharpness, f),
            Solarization(f, f, value_range=vr, seed=self.next_seed()),
            color(RandomPosterization, max(1, int(8 * f[1]))),
            AutoContrast(value_range=vr, **fmt),
            Equalization(value_range=vr, **fmt),
        ]

    def get_random_transformation(self, data, training=True, seed=None):
        count = len(self.augmentations)
        picks = [
            ops.floor(self.uniform(data, (1, 1, 1), 0.0, count - 1e-4)) for _ in range(self.num_ops)
        ]
        return {"layer_idxes": picks}

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        for pick in transformation["layer_idxes"]:
            out = images
            for i, layer in enumerate(self.augmentations):
                if isinstance(layer, AutoContrast):
                    changed = layer.call(images)
                else:
                    draw = layer.get_random_transformation(images)
                    changed = layer.transform_images(images, draw, training=True)
                out = ops.where(ops.equal(pick, float(i)), changed, out)
            images = out
        return images

    def get_config(self):
        return {
            **super().get_config(),
            "num_ops": self.num_ops,
            "interpolation": self.interpolation,
        }
