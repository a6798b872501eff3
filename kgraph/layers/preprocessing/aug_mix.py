"""``AugMix``: a blend of the image with mixtures of short chains of augmentations."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing import base_mixing
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


class AugMix(BaseColorLayer):
    """Builds ``num_chains`` chains of up to ``chain_depth`` augmentations (each link picked
    from Keras' list, or skipped, when the layer is called or traced: a compiled graph keeps
    its chains, as a jitted Keras step does), mixes the chains with Dirichlet(``alpha``)
    weights and blends the mixture with the image by a Beta(``alpha``, ``alpha``) weight, both
    drawn per image (Keras: per batch); clipped to ``value_range``.

    Args:
        value_range: The images' ``(min, max)``.
        num_chains: Number of chains.
        chain_depth: Links per chain.
        factor: Strength of the augmentations, a float or pair in [0, 1].
        alpha: Dirichlet and Beta parameter (<= 1 keeps the Beta sampler exact).
        all_ops: Include brightness, colour degeneration, contrast and sharpness.
        interpolation: ``"bilinear"`` or ``"nearest"`` for the geometric ones.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        value_range=(0, 255),
        num_chains=3,
        chain_depth=3,
        factor=0.3,
        alpha=1.0,
        all_ops=True,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(factor, value_range, seed, data_format, **kwargs)
        if int(num_chains) < 1 or int(chain_depth) < 1 or not alpha > 0:
            raise ValueError(
                "`num_chains` and `chain_depth` must be at least 1 and `alpha` positive. "
                f"Received: num_chains={num_chains}, chain_depth={chain_depth}, alpha={alpha}"
            )
        self.num_chains, self.chain_depth = int(num_chains), int(chain_depth)
        self.alpha, self.all_ops, self.interpolation = float(alpha), bool(all_ops), interpolation
        self.augmentations = self._make_candidates()  # the layers the chains pick from

    def _make_candidates(self):
        f, vr, fmt = self.factor, self.value_range, {"data_format": self.data_format}
        geo = {"interpolation": self.interpolation, **fmt}
        found = [
            RandomShear(f, f, seed=self.next_seed(), **geo),
            RandomTranslation(f, f, seed=self.next_seed(), **geo),
            RandomRotation(f, seed=self.next_seed(), **geo),
            RandomPosterization(max(1, int(8 * f[1])), vr, seed=self.next_seed(), **fmt),
            Solarization(f, f, value_range=vr, seed=self.next_seed()),
            AutoContrast(value_range=vr, **fmt),
            Equalization(value_range=vr, **fmt),
        ]
        if self.all_ops:
            found += [
                RandomBrightness(f, value_range=vr, seed=self.next_seed()),
                RandomColorDegeneration(f, vr, seed=self.next_seed(), **fmt),
                RandomContrast(f, value_range=vr, seed=self.next_seed()),
                RandomSharpness(f, vr, seed=self.next_seed(), **fmt),
            ]
        return found

    def get_random_transformation(self, data, training=True, seed=None):
        count = len(self.augmentations) + 1  # the last choice skips the link
        chains = [
            [int(self._generator.integers(0, count)) for _ in range(self.chain_depth)]
            for _ in range(self.num_chains)
        ]
        return {
            "chain_mixing_weights": base_mixing.dirichlet(self, data, self.num_chains, self.alpha),
            "weight_sample": base_mixing.beta(self, data, self.alpha),
            "chains": chains,
        }

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        weights = transformation["chain_mixing_weights"]
        mixed = ops.zeros_like(images)
        for i, chain in enumerate(transformation["chains"]):
            out = images
            for pick in chain:
                if pick < len(self.augmentations):
                    layer = self.augmentations[pick]
                    draw = layer.get_random_transformation(out)
                    out = layer.call(out) if draw is None else layer.transform_images(out, draw)
            mixed = mixed + out * ops.reshape(weights[:, i], (-1, 1, 1, 1))
        w = ops.reshape(transformation["weight_sample"], (-1, 1, 1, 1))
        return ops.clip(w * images + (1.0 - w) * mixed, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {
            **super().get_config(),
            "num_chains": self.num_chains,
            "chain_depth": self.chain_depth,
            "alpha": self.alpha,
            "all_ops": self.all_ops,
            "interpolation": self.interpolation,
        }
