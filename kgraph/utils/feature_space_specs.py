"""What a ``FeatureSpace`` is made of: ``Feature`` (a dtype, a preprocessing layer and how
its output is encoded), ``Cross`` (features hashed together) and the two small layers Keras'
FeatureSpace saves under its own names (``TFDIdentity`` for plain floats, ``TFDConcat`` for
the concatenation), so that configs written by Keras load here and the reverse.

The classes keep Keras' config keys; nested preprocessors are (de)serialized with
``kgraph.saving`` so a saved FeatureSpace carries its adapted vocabularies and boundaries.
"""

from __future__ import annotations

from kgraph import layers, ops
from kgraph.layers.layer import Layer
from kgraph.saving import deserialize_keras_object, serialize_keras_object
from kgraph.utils import naming

#: Keras' module for these classes in saved configs (what Keras' own files say).
KERAS_MODULE = "keras.src.layers.preprocessing.feature_space"


class TFDIdentity(Layer):
    """Passes a float feature through unchanged (Keras' preprocessor of ``"float"``)."""

    def call(self, x):
        return x

    def compute_output_shape(self, input_shape):
        return input_shape


class TFDConcat(Layer):
    """Concatenates encoded features along ``axis`` (Keras' name, so its configs load)."""

    def __init__(self, axis, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, xs):
        return ops.concatenate(list(xs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        axis = self.axis % len(shapes[0])
        sizes = [s[axis] for s in shapes]
        total = None if any(s is None for s in sizes) else sum(sizes)
        return (*shapes[0][:axis], total, *shapes[0][axis + 1 :])

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


#: Objects a saved FeatureSpace config names (``custom_objects`` for ``load_model``).
def saving_objects() -> dict:
    """``{name: class}`` of everything a FeatureSpace config refers to."""
    from kgraph.utils.feature_space import FeatureSpace

    return {
        "FeatureSpace": FeatureSpace,
        "Feature": Feature,
        "Cross": Cross,
        "TFDIdentity": TFDIdentity,
        "TFDConcat": TFDConcat,
    }


def _deserialize(config):
    return deserialize_keras_object(config, custom_objects=saving_objects())


class Cross:
    """Features crossed by hashing their values together into ``crossing_dim`` bins."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in {"int", "one_hot"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot'}. "
                f"Received: output_mode={output_mode}"
            )
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        """The cross's key in outputs and ``crossers``: the names joined by ``_X_``."""
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {
            "feature_names": self.feature_names,
            "crossing_dim": self.crossing_dim,
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Feature:
    """One input feature: its raw ``dtype``, the layer that preprocesses it and how that
    layer's output is encoded (``"int"``, ``"one_hot"`` or ``"float"``)."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in {"int", "one_hot", "float"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of "
                f"{{'int', 'one_hot', 'float'}}. Received: output_mode={output_mode}"
            )
        self.dtype = dtype
        if isinstance(preprocessor, dict):
            preprocessor = _deserialize(preprocessor)
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        preprocessor = serialize_keras_object(self.preprocessor)
        if isinstance(self.preprocessor, (TFDIdentity, TFDConcat)):
            preprocessor["module"] = KERAS_MODULE  # where Keras' loader finds them
        return {"dtype": self.dtype, "preprocessor": preprocessor, "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def as_feature(value) -> Feature:
    """A ``Feature`` from a ``Feature`` or its saved dict."""
    return value if isinstance(value, Feature) else _deserialize(value)


def as_cross(value) -> Cross:
    """A ``Cross`` from a ``Cross`` or its saved dict."""
    return value if isinstance(value, Cross) else _deserialize(value)


def serialized(obj) -> dict:
    """``obj``'s saved dict under Keras' module and registered name."""
    return {
        "module": KERAS_MODULE,
        "class_name": type(obj).__name__,
        "config": serialize_keras_object(obj.get_config()),
        "registered_name": type(obj).__name__,
    }


class FeatureTypes:
    """``FeatureSpace``'s feature constructors (Keras' classmethods): each returns a
    ``Feature`` holding a fresh preprocessing layer named ``<name>_preprocessor``."""

    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        name = name or naming.auto_name("float")
        layer = TFDIdentity(dtype="float32", name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        name = name or naming.auto_name("float_rescaled")
        layer = layers.Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_normalized(cls, name=None):
        name = name or naming.auto_name("float_normalized")
        layer = layers.Normalization(axis=-1, name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        name = name or naming.auto_name("float_discretized")
        layer = layers.Discretization(
            num_bins=num_bins, bin_boundaries=bin_boundaries, name=f"{name}_preprocessor"
        )
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(
        cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None
    ):
        name = name or naming.auto_name("integer_categorical")
        layer = layers.IntegerLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature("int32", layer, output_mode)

    @classmethod
    def string_categorical(
        cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None
    ):
        name = name or naming.auto_name("string_categorical")
        layer = layers.StringLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature("string", layer, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or naming.auto_name("string_hashed")
        layer = layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature("string", layer, output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or naming.auto_name("integer_hashed")
        layer = layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature("int32", layer, output_mode)
