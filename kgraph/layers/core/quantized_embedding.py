"""Keras' int8 quantization of ``Embedding``: one abs-max scale per row (per token: the
vocabulary is usually the larger axis), an int8 ``embeddings`` table and a float
``embeddings_scale``; a lookup gathers both and divides. The file stores the table as int8."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.core.quantized_layer import (
    add_scale,
    not_implemented,
    prepare_quantize,
    replace_weight,
    set_quantized_policy,
)


class QuantizedEmbeddingMixin:
    """int8 ``quantize``/``build``/``call`` for ``Embedding``."""

    quantization_config = None

    def quantize(self, mode=None, type_check=True, config=None):
        from kgraph.layers.core.embedding import Embedding
        from kgraph.quantizers import AbsMaxQuantizer
        from kgraph.quantizers.quantization_config import QuantizationConfig

        config = prepare_quantize(self, mode, config)
        if type_check and type(self) is not Embedding:
            raise not_implemented(self)
        self.quantization_config = config
        default = AbsMaxQuantizer(axis=-1)
        quantizer = QuantizationConfig.weight_quantizer_or_default(config, default)
        values, scale = quantizer(self.embeddings.numpy(), to_numpy=True)
        self.embeddings = replace_weight(self, self.embeddings, "embeddings", values, "int8")
        self.embeddings_scale = add_scale(self, "embeddings_scale", np.squeeze(scale, axis=-1))
        set_quantized_policy(self, config.mode)

    def _int8_build(self) -> None:
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer="zeros",
            dtype="int8",
            trainable=False,
            name="embeddings",
        )
        self.embeddings_scale = self.add_weight(
            shape=(self.input_dim,), initializer="ones", trainable=False, name="embeddings_scale"
        )

    def _int8_call(self, inputs):
        if str(inputs.dtype) not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")
        scale = ops.take(self.embeddings_scale, inputs, axis=0)
        rows = ops.cast(ops.take(self.embeddings, inputs, axis=0), self.compute_dtype)
        return ops.divide(rows, ops.expand_dims(scale, axis=-1))
