"""``Embedding``: integer indices → rows of a trainable ``(input_dim, output_dim)`` matrix."""

from __future__ import annotations

import warnings

from kgraph import constraints, initializers, ops, regularizers
from kgraph.layers.core.quantized_embedding import QuantizedEmbeddingMixin
from kgraph.layers.core.quantized_layer import (
    as_quantization_config,
    quantization_config_entry,
)
from kgraph.layers.layer import Layer
from kgraph.utils import argument_validation as av


def _positive(value, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"`{name}` must be a positive integer. Received: {name}={value} "
            f"(of type {type(value).__name__})."
        )
    return value


class Embedding(QuantizedEmbeddingMixin, Layer):
    """Looks up ``embeddings[inputs]`` (an ONNX ``Gather``; its gradient scatters into the
    rows that were read). Output shape: ``(*input_shape, output_dim)``, float.

    Args:
        input_dim: Vocabulary size (largest index + 1).
        output_dim: Size of each embedding vector.
        embeddings_initializer, embeddings_regularizer, embeddings_constraint: Options of
            the ``embeddings`` weight.
        mask_zero: The outputs carry the Keras mask ``inputs != 0`` for later layers (index
            0 is still looked up like any other, as in Keras).
        weights: Optional initial ``[embeddings]``.
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        **kwargs,
    ):
        if kwargs.pop("input_length", None) is not None:  # Keras 1/2 code: ignored, as Keras 3
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        super().__init__(**kwargs)
        av.reject_unsupported("Embedding", lora_rank=lora_rank)
        self.quantization_config = as_quantization_config(quantization_config)
        self.input_dim = _positive(input_dim, "input_dim")
        self.output_dim = _positive(output_dim, "output_dim")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._initial_weights = weights
        if weights is not None:
            self.build(None)
            self.set_weights(weights if isinstance(weights, list) else [weights])

    def build(self, input_shape=None):
        if self.built:
            return
        if self.quantization_mode == "int8":
            self._int8_build()
            self.built = True
            return
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            name="embeddings",
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )
        self.built = True

    def call(self, inputs):
        if self.quantization_mode == "int8":
            return self._int8_call(inputs)
        if not str(inputs.dtype).startswith(("int", "uint")):
            inputs = ops.cast(inputs, "int32")
        return ops.take(self.embeddings, inputs, axis=0)

    def compute_mask(self, inputs, mask=None):
        """``inputs != 0`` with ``mask_zero``, else None."""
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            **quantization_config_entry(self),
        }
