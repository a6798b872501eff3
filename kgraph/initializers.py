"""Weight initializers with Keras' names, defaults and fan computation (numpy-valued)."""

from __future__ import annotations

import math

import numpy as np

from kgraph.utils import seeds


class Initializer:
    """Base class: ``initializer(shape, dtype)`` returns a numpy array."""

    def __call__(self, shape, dtype="float32"):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype="float32"):
        return np.full(shape, self.value, dtype=dtype)

    def get_config(self):
        return {"value": self.value}


class Zeros(Constant):
    def __init__(self):
        super().__init__(0.0)

    def get_config(self):
        return {}


class Ones(Constant):
    def __init__(self):
        super().__init__(1.0)

    def get_config(self):
        return {}


class _Seeded(Initializer):
    """An initializer drawing with ``seed``: an int (the same values at every call), a
    ``kgraph.random.SeedGenerator`` (fresh values at every call) or None (the process
    generator of ``set_random_seed``)."""

    def __init__(self, seed=None):
        from kgraph.random.seed_generator import SeedGenerator

        if isinstance(seed, dict) and seed.get("class_name") == "SeedGenerator":
            seed = SeedGenerator.from_config(seed.get("config", {}))  # Keras' config form
        if not (
            seed is None
            or isinstance(seed, SeedGenerator)
            or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool))
        ):
            raise ValueError(
                "`seed` argument should be an instance of `keras.random.SeedGenerator()` or "
                f"an integer. Received: seed={seed}"
            )
        self.seed = seed

    def _rng(self):
        if self.seed is None:
            return seeds.rng()
        if isinstance(self.seed, (int, np.integer)):
            return np.random.default_rng(int(self.seed))
        return np.random.default_rng(self.seed.next())

    def _seed_config(self):
        """``seed`` as a config value (a SeedGenerator as Keras serializes it)."""
        if self.seed is None or isinstance(self.seed, (int, np.integer)):
            return self.seed
        return {
            "module": "keras.random",
            "class_name": "SeedGenerator",
            "config": self.seed.get_config(),
            "registered_name": None,
        }


class RandomNormal(_Seeded):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype="float32"):
        return self._rng().normal(self.mean, self.stddev, shape).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self._seed_config()}


class RandomUniform(_Seeded):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype="float32"):
        return self._rng().uniform(self.minval, self.maxval, shape).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self._seed_config()}


class TruncatedNormal(RandomNormal):
    def __call__(self, shape, dtype="float32"):
        return _truncated(self._rng(), shape, self.stddev, self.mean).astype(dtype)


def _truncated(rng, shape, stddev, mean=0.0):
    values = rng.normal(0.0, 1.0, shape)
    bad = np.abs(values) > 2
    while bad.any():
        values[bad] = rng.normal(0.0, 1.0, int(bad.sum()))
        bad = np.abs(values) > 2
    return mean + stddev * values


def compute_fans(shape, input_axes=None, output_axes=None) -> tuple[float, float]:
    """Keras' fan_in/fan_out: the products over ``input_axes``/``output_axes`` when both are
    given, else the receptive field multiplies the last two axes."""
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return float(math.prod(shape[a] for a in input_axes)), float(
            math.prod(shape[a] for a in output_axes)
        )
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2]) if len(shape) > 2 else 1
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


def _fan_axes(axes, name):
    """``None`` or a list of ints (Keras' fan axes of einsum-shaped kernels)."""
    if axes is None:
        return None
    if isinstance(axes, int) or not all(isinstance(a, int) for a in axes):
        raise ValueError(f"`{name}` must be a list of ints. Received: {name}={axes!r}")
    return list(axes)


class VarianceScaling(_Seeded):
    def __init__(
        self,
        scale=1.0,
        mode="fan_in",
        distribution="truncated_normal",
        seed=None,
        input_axes=None,
        output_axes=None,
    ):
        super().__init__(seed)
        self.input_axes = _fan_axes(input_axes, "input_axes")
        self.output_axes = _fan_axes(output_axes, "output_axes")
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"mode must be fan_in, fan_out or fan_avg. Received: mode={mode}")
        distribution = str(distribution).lower()
        if distribution == "normal":  # Keras' alias
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                "distribution must be truncated_normal, untruncated_normal or uniform. "
                f"Received: distribution={distribution}"
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype="float32"):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        scale = self.scale / max(1.0, fan)
        rng = self._rng()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * scale)
            values = rng.uniform(-limit, limit, shape)
        elif self.distribution == "truncated_normal":
            values = _truncated(rng, shape, math.sqrt(scale) / 0.87962566103423978)
        else:
            values = rng.normal(0.0, math.sqrt(scale), shape)
        return values.astype(dtype)

    def get_config(self):
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self._seed_config(),
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _Preset(VarianceScaling):
    """A VarianceScaling with fixed scale, mode and distribution; only ``seed`` is configurable."""

    PRESET: tuple = (1.0, "fan_avg", "uniform")

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(*self.PRESET, seed=seed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {
            "seed": self._seed_config(),
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class GlorotUniform(_Preset):
    PRESET = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Preset):
    PRESET = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_Preset):
    PRESET = (2.0, "fan_in", "truncated_normal")


class HeUniform(_Preset):
    PRESET = (2.0, "fan_in", "uniform")


class LecunNormal(_Preset):
    PRESET = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_Preset):
    PRESET = (1.0, "fan_in", "uniform")


from kgraph.initializers_matrix import STFT, Identity, Orthogonal  # noqa: E402

_BY_NAME = {
    "identity": Identity,
    "orthogonal": Orthogonal,
    "stft": STFT,
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_normal": RandomNormal,
    "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_normal": HeNormal,
    "he_uniform": HeUniform,
    "lecun_normal": LecunNormal,
    "lecun_uniform": LecunUniform,
}
_BY_CLASS = {cls.__name__: cls for cls in _BY_NAME.values()}
_BY_NAME.update(uniform=RandomUniform, normal=RandomNormal)  # Keras' short aliases


def get(identifier) -> Initializer:
    """An initializer from a name, a config dict, an instance or a callable."""
    if identifier is None or isinstance(identifier, Initializer) or callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        cls = _BY_CLASS.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown initializer: {identifier.get('class_name')}")
        return cls.from_config(identifier.get("config", {}))
    cls = _BY_NAME.get(str(identifier).lower()) or _BY_CLASS.get(str(identifier))
    if cls is None:
        raise ValueError(f"Unknown initializer: '{identifier}'. Known: {', '.join(_BY_NAME)}")
    return cls()


def deserialize(config, custom_objects=None) -> Initializer:
    """The initializer a ``serialize`` config describes (``custom_objects`` maps extra class
    names)."""
    if isinstance(config, dict) and custom_objects and config.get("class_name") in custom_objects:
        return custom_objects[config["class_name"]].from_config(config.get("config", {}))
    return get(config)


def serialize(initializer) -> dict | None:
    """A JSON-able config of ``initializer``."""
    if initializer is None:
        return None
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


# Keras' aliases: lowercase names of every class, and the *Initializer spellings.
IdentityInitializer, OrthogonalInitializer, STFTInitializer = Identity, Orthogonal, STFT
identity, orthogonal, stft = Identity, Orthogonal, STFT
zeros, ones, constant = Zeros, Ones, Constant
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling = VarianceScaling
glorot_normal, glorot_uniform = GlorotNormal, GlorotUniform
he_normal, he_uniform, lecun_normal, lecun_uniform = HeNormal, HeUniform, LecunNormal, LecunUniform
