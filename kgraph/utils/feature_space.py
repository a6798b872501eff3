"""``keras.utils.FeatureSpace``: one object that preprocesses and encodes a dict of
structured-data columns (floats, integer and string categories, hashed values, crosses).

Keras' FeatureSpace runs on tf.data; this one runs on ``kgraph.utils.Dataset`` and numpy, and
its symbolic half (``get_inputs`` / ``get_encoded_features``) is made of kgraph's
preprocessing layers, so an inference model that takes the raw dict compiles to ONNX with the
preprocessing inside (except string hashing and hashed crosses of strings: no ONNX op reads a
string's bytes, so those hash in ``Dataset.map`` or eagerly only).
"""

from __future__ import annotations

import os

from kgraph import layers
from kgraph.layers.layer import Layer
from kgraph.utils import feature_space_merge as merging
from kgraph.utils.dataset import Dataset
from kgraph.utils.feature_space_specs import (
    Cross,
    Feature,
    FeatureTypes,
    as_cross,
    as_feature,
    serialized,
)

_NAMED_TYPES = (
    "float",
    "float_normalized",
    "float_rescaled",
    "float_discretized",
    "integer_categorical",
    "string_categorical",
    "integer_hashed",
    "string_hashed",
)


class FeatureSpace(FeatureTypes, Layer):
    """Preprocesses and encodes structured data given as a dict of columns.

    Args:
        features: ``{name: type}``: a type name (``"float_normalized"``, ...) or a
            ``FeatureSpace.<type>(...)`` feature.
        output_mode: ``"concat"`` (one float vector) or ``"dict"`` (one output per feature).
        crosses: Feature-name tuples (or ``FeatureSpace.cross(...)``) hashed together.
        crossing_dim: Default number of bins of a cross.
        hashing_dim: Default number of bins of the ``*_hashed`` types.
        num_discretization_bins: Default number of bins of ``"float_discretized"``.
    """

    # -- construction -----------------------------------------------------------------------
    def __init__(
        self,
        features,
        output_mode="concat",
        crosses=None,
        crossing_dim=32,
        hashing_dim=32,
        num_discretization_bins=32,
        name=None,
    ):
        super().__init__(name=name)
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.features = {key: self._standardize_feature(key, v) for key, v in features.items()}
        self.crosses = [self._standardize_cross(c, set(features)) for c in crosses or []]
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        if output_mode not in {"dict", "concat"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'dict', 'concat'}. "
                f"Received: output_mode={output_mode}"
            )
        self.output_mode = output_mode
        self.inputs = {
            key: layers.Input(shape=(1,), dtype=spec.dtype, name=key)
            for key, spec in self.features.items()
        }
        self.preprocessors = {key: f.preprocessor for key, f in self.features.items()}
        self.encoded_features = None
        self.crossers = {cross.name: self._crosser(cross) for cross in self.crosses}
        self.one_hot_encoders = {}
        self.concat = None
        self.feature_names_order = None
        self.sublayers_built = False
        self._is_adapted = False

    def _standardize_feature(self, name, feature):
        if isinstance(feature, (Feature, dict)):
            return as_feature(feature)
        if feature not in _NAMED_TYPES:
            raise ValueError(f"Invalid feature type: {feature}")
        if feature == "float_discretized":
            return self.float_discretized(name=name, num_bins=self.num_discretization_bins)
        if feature.endswith("_hashed"):
            return getattr(self, feature)(self.hashing_dim, name=name)
        return getattr(self, feature)(name=name)

    def _standardize_cross(self, cross, feature_set):
        if isinstance(cross, (Cross, dict)):
            return as_cross(cross)
        if not self.crossing_dim:
            raise ValueError(
                "When specifying `crosses`, the argument `crossing_dim` (dimensionality of the "
                "crossing space) should be specified as well."
            )
        if any(key not in feature_set for key in cross):
            raise ValueError(
                "All features referenced in the `crosses` argument should be present in the "
                f"`features` dict. Received unknown features: {cross}"
            )
        return Cross(cross, crossing_dim=self.crossing_dim)

    @staticmethod
    def _crosser(cross):
        return layers.HashedCrossing(cross.crossing_dim, name=cross.name)

    # -- adapting ---------------------------------------------------------------------------
    def _adaptable(self) -> list[str]:
        """Features whose preprocessor learns from data (fixed statistics do not)."""
        names = []
        for name, layer in self.preprocessors.items():
            if isinstance(layer, layers.Normalization) and layer.input_mean is not None:
                continue
            if isinstance(layer, layers.Discretization) and layer.num_bins is None:
                continue  # fixed bin_boundaries
            if isinstance(layer, layers.TextVectorization) and layer.get_vocabulary()[2:]:
                continue
            if hasattr(layer, "adapt"):
                names.append(name)
        return names

    def adapt(self, dataset):
        """Adapts every adaptable preprocessor to its column of ``dataset`` (a kgraph
        ``Dataset`` of dicts, batched or not, or a dict of arrays)."""
        if not isinstance(dataset, Dataset):
            if not isinstance(dataset, dict):
                raise ValueError(
                    "`adapt()` can only be called on a tf.data.Dataset or a dict of "
                    f"arrays/lists. Received instead: {dataset} (of type {type(dataset)})"
                )
            dataset = Dataset.from_tensor_slices(dataset)
        for name in self._adaptable():
            column = dataset.map(lambda x, key=name: x[key])
            first = next(iter(column))
            if first.ndim == 0:
                column = column.batch(32)  # unbatched scalars
            if first.ndim in (0, 1):
                column = column.map(lambda x: x[..., None])
            self.preprocessors[name].adapt(column)
        self._is_adapted = True
        self.get_encoded_features()
        self.built = True
        self.sublayers_built = True

    def _check_if_adapted(self):
        if not self._is_adapted:
            if self._adaptable():
                raise ValueError(
                    "You need to call `.adapt(dataset)` on the FeatureSpace before you can "
                    "start using it."
                )
            self._is_adapted = True

    def _check_if_built(self):
        if not self.sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self.sublayers_built = True

    # -- the symbolic and eager halves ------------------------------------------------------
    def get_inputs(self):
        """``{name: Input}``: the raw inputs of a model built on this space."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        """The encoded features of ``get_inputs()`` (symbolic), to build models on."""
        self._check_if_adapted()
        if self.encoded_features is None:
            self.encoded_features = self._encode(self.inputs)
        return self.encoded_features

    def _encode(self, data):
        preprocessed = {name: self.preprocessors[name](data[name]) for name in data}
        crossed = {
            cross.name: self.crossers[cross.name]([preprocessed[n] for n in cross.feature_names])
            for cross in self.crosses
        }
        return merging.merge(self, preprocessed, crossed)

    def __call__(self, data):
        """Encodes a dict of columns (batched, one value each, or symbolic inputs)."""
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(
                "A FeatureSpace can only be called with a dict. "
                f"Received: data={data} (of type {type(data)}"
            )
        batched = {name: merging.as_batch(value) for name, value in data.items()}
        merged = self._encode({name: x for name, (x, _) in batched.items()})
        if any(rebatched for _, rebatched in batched.values()):
            return merging.unbatch(merged, self.output_mode)
        return merged

    def compute_output_shape(self, input_shape):
        encoded = self.get_encoded_features()
        if isinstance(encoded, dict):
            return {name: tuple(x.shape) for name, x in encoded.items()}
        return tuple(encoded.shape)

    # -- saving -----------------------------------------------------------------------------
    def get_config(self):
        return {
            "features": {name: serialized(f) for name, f in self.features.items()},
            "output_mode": self.output_mode,
            "crosses": [serialized(cross) for cross in self.crosses],
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        """Per feature, the input shape its preprocessor was built for (Keras' layout)."""
        return {
            name: ({"input_shape": [None, 1]} if layer.built else None)
            for name, layer in self.preprocessors.items()
        }

    def build_from_config(self, config):
        for name, build in config.items():
            layer = self.preprocessors[name]
            if build and build.get("input_shape") and not layer.built:
                layer.build(tuple(build["input_shape"]))
                layer.built = True
        self._is_adapted = True
        self._check_if_built()
        self.built = True

    def save(self, filepath):
        """Writes this space to a ``.keras`` file (reload with ``keras.saving.load_model``)."""
        from kgraph.saving import saving_lib

        if not os.fspath(filepath).endswith(".keras"):
            raise ValueError(
                "Invalid `filepath` argument: expected a `.keras` extension. "
                f"Received: filepath={filepath}"
            )
        saving_lib.save_model(self, filepath)
