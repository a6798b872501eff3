"""``ReversibleEmbedding``: an ``Embedding`` that can also project hidden states back to
vocabulary logits (``reverse=True``), tied to the embeddings or with its own matrix."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.core.embedding import Embedding
from kgraph.layers.masking_support import set_mask


class ReversibleEmbedding(Embedding):
    """Keras' ``ReversibleEmbedding``: ``call(ids)`` looks up embeddings as ``Embedding``;
    ``call(hidden, reverse=True)`` returns ``hidden @ embeddings.T`` (``tie_weights=True``) or
    ``hidden @ reverse_embeddings`` (a separate trainable ``(output_dim, input_dim)`` matrix),
    the language-model output head that shares the input table. No bias, as in Keras.

    Args:
        input_dim, output_dim, embeddings_initializer, embeddings_regularizer,
            embeddings_constraint, mask_zero: As ``Embedding`` (the forward output carries the
            ``ids != 0`` mask with ``mask_zero``; the reverse output carries none).
        tie_weights: Reuse the transposed embeddings for the reverse projection.
        reverse_dtype: Dtype both operands are cast to for the reverse projection (default:
            the compute dtype); the logits come out in it.
        logit_soft_cap: When set, the reverse logits become ``tanh(logits / cap) * cap``.
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        tie_weights=True,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        reverse_dtype=None,
        logit_soft_cap=None,
        **kwargs,
    ):
        weights = kwargs.pop("weights", None)
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap
        if weights is not None:
            self.build(None)
            self.set_weights(weights if isinstance(weights, list) else [weights])

    def build(self, input_shape=None):
        if self.built:
            return
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer,
                name="reverse_embeddings",
                trainable=True,
            )
        self.built = True

    def call(self, inputs, reverse=False):
        if not reverse:
            result = super().call(inputs)
            if self.mask_zero:  # set here: compute_mask cannot tell the two directions apart
                set_mask(result, ops.not_equal(inputs, 0))
            return result
        if self.tie_weights:
            kernel = ops.transpose(self.embeddings)
        else:
            kernel = self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs = ops.cast(inputs, self.reverse_dtype)
            kernel = ops.cast(kernel, self.reverse_dtype)
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = ops.multiply(ops.tanh(ops.divide(logits, cap)), cap)
        return logits

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return (*tuple(input_shape)[:-1], self.input_dim)
        return (*tuple(input_shape), self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "tie_weights": self.tie_weights,
            "reverse_dtype": self.reverse_dtype,
            "logit_soft_cap": self.logit_soft_cap,
        }
