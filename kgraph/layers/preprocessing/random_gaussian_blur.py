"""``RandomGaussianBlur``: blurs images with a random Gaussian at random."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.base_color import BaseColorLayer
from kgraph.ops.image_blur import blur_per_sample


def _odd_pair(value, name):
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pair)
    if len(pair) != 2 or not numbers or any(int(v) % 2 == 0 or int(v) < 1 for v in pair):
        raise ValueError(
            f"The `{name}` argument should be an odd number (or a list of two odd numbers). "
            f"Received: {name}={value}"
        )
    return tuple(int(v) for v in pair)


class RandomGaussianBlur(BaseColorLayer):
    """With a probability drawn from ``factor``, blurs each training image with a Gaussian of
    ``kernel_size`` taps (an odd int or an (x, y) pair) and standard deviations drawn from
    ``sigma`` (one per axis and per image; Keras draws one pair per batch), zero padded, then
    clips to ``value_range``.

    Args:
        factor: Probability, a float or pair in [0, 1].
        kernel_size: Odd int or pair of odd ints.
        sigma: A float or pair in [0, 1] for the standard deviations.
        value_range: The images' ``(min, max)``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Seed of the layer's generator.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor=1.0,
        kernel_size=3,
        sigma=1.0,
        value_range=(0, 255),
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(factor, value_range, seed, data_format, **kwargs)
        self.kernel_size = _odd_pair(kernel_size, "kernel_size")
        low, high = sorted(sigma) if isinstance(sigma, (tuple, list)) else (0.0, sigma)
        if not 0 <= low <= high <= 1:
            raise ValueError(
                "The `sigma` argument should be a number (or a list of two numbers) in the range "
                f"[0, 1]. Received: sigma={sigma}"
            )
        self.sigma = (float(low), float(high))

    def get_random_transformation(self, data, training=True, seed=None):
        probability = self.uniform(data, (1, 1, 1), *self.factor)
        return {
            "should_apply_blur": ops.less(self.uniform(data, (1, 1, 1)), probability),
            "blur_factor": self.uniform(data, (2,), *self.sigma) + 1e-6,
        }

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        sigmas = transformation["blur_factor"]
        blurred = blur_per_sample(
            images, self.kernel_size, sigmas[:, 0], sigmas[:, 1], self.data_format
        )
        out = ops.where(transformation["should_apply_blur"], blurred, images)
        return ops.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size, "sigma": self.sigma}
