"""How a ``FeatureSpace`` turns preprocessed features into its output: one-hot encoding of the
integer features (a ``CategoryEncoding`` sized by the preprocessor's cardinality), then a dict
or one concatenated vector. The same code runs on symbolic inputs (``get_encoded_features``)
and on numpy batches (an eager call, or inside ``Dataset.map``), so the two agree.
"""

from __future__ import annotations

import numpy as np

from kgraph import layers, ops
from kgraph.tensor import KerasTensor
from kgraph.utils.feature_space_specs import TFDConcat


def dtype_name(x) -> str:
    """Keras' dtype name of a symbolic tensor or an array ("string" for text)."""
    if isinstance(x, KerasTensor):
        return x.dtype
    array = np.asarray(x)
    return "string" if array.dtype.kind in "USO" else array.dtype.name


def cardinality(name, preprocessor):
    """How many integer values ``preprocessor`` outputs (the one-hot width)."""
    if isinstance(preprocessor, (layers.IntegerLookup, layers.StringLookup)):
        return preprocessor.vocabulary_size()
    if isinstance(preprocessor, layers.CategoryEncoding):
        return preprocessor.num_tokens
    if isinstance(preprocessor, layers.Discretization):
        if preprocessor.num_bins is None and preprocessor.bin_boundaries is not None:
            return len(preprocessor.bin_boundaries) + 1  # fixed boundaries: one bin more
        return preprocessor.num_bins
    if isinstance(preprocessor, (layers.HashedCrossing, layers.Hashing)):
        return preprocessor.num_bins
    raise ValueError(
        f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a standard feature "
        "and the dimensionality of its output space is not known, thus it cannot be one-hot "
        "encoded. Try using `output_mode='int'`."
    )


def make_encoder(name, spec, feature, preprocessor):
    """The ``CategoryEncoding`` of a one-hot feature, or None for the others."""
    if spec.output_mode != "one_hot":
        return None
    dtype = dtype_name(feature)
    if not dtype.startswith("int"):
        raise ValueError(
            f"Feature '{name}' has `output_mode='one_hot'`. Thus its preprocessor should "
            f"return an integer dtype. Instead it returns a {dtype} dtype."
        )
    size = cardinality(name, preprocessor)
    if size is None:
        return None
    return layers.CategoryEncoding(num_tokens=size, output_mode="multi_hot")


def check_concatenable(name, feature) -> None:
    """Concat mode needs every feature encoded as floats."""
    dtype = dtype_name(feature)
    if dtype.startswith("int") or dtype == "string":
        raise ValueError(
            f"Cannot concatenate features because feature '{name}' has not been encoded (it "
            f"has dtype {dtype}). Consider using `output_mode='dict'`."
        )


def merge(space, preprocessed: dict, crossed: dict):
    """The output of ``space`` from its preprocessed and crossed features, in sorted name
    order (features first, then crosses) as Keras orders them. The first (symbolic) call
    creates the encoders and the concatenation layer; later calls reuse them."""
    if space.feature_names_order is None:
        space.feature_names_order = sorted(preprocessed), sorted(crossed)
    feature_names, cross_names = space.feature_names_order
    items = [(n, preprocessed[n], space.features[n], space.preprocessors[n]) for n in feature_names]
    items += [(n, crossed[n], space.crosses_by_name[n], space.crossers[n]) for n in cross_names]
    building = not space.sublayers_built
    outputs = {}
    for name, feature, spec, preprocessor in items:
        if building:
            encoder = make_encoder(name, spec, feature, preprocessor)
            if encoder is not None:
                space.one_hot_encoders[name] = encoder
        encoder = space.one_hot_encoders.get(name)
        if encoder is not None:
            feature = encoder(feature)
        if space.output_mode == "concat":
            check_concatenable(name, feature)
        outputs[name] = feature
    if space.output_mode == "dict":
        return outputs
    if space.concat is None:
        space.concat = TFDConcat(axis=-1)
    return space.concat(list(outputs.values()))


def as_batch(value):
    """``(array of rank >= 2, rebatched)``: a scalar becomes ``(1, 1)``, a vector a column,
    as Keras' FeatureSpace reshapes what it is called on."""
    if isinstance(value, KerasTensor):
        return (ops.expand_dims(value, -1) if len(value.shape) == 1 else value), False
    array = value if isinstance(value, np.ndarray) else np.asarray(value)
    if array.ndim == 0:
        return array.reshape(1, 1), True
    if array.ndim == 1:
        return array[:, None], False
    return array, False


def unbatch(merged, output_mode):
    """Drops the batch axis added for a scalar call (Keras' ``rebatched`` outputs)."""
    if output_mode == "concat":
        merged = np.asarray(merged)
        if merged.shape[0] != 1:
            raise ValueError(
                f"Expected rebatched data to have batch size 1. Received: shape={merged.shape}"
            )
        return merged[0]
    return {
        name: (np.asarray(x)[0] if np.ndim(x) == 2 and np.shape(x)[0] == 1 else x)
        for name, x in merged.items()
    }
