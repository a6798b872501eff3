"""``Attention``: Luong-style (dot or concat score) attention over ``[query, value(, key)]``."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.attention.projected import positions
from kgraph.layers.layer import Layer
from kgraph.layers.regularization.dropout import Dropout


class Attention(Layer):
    """``softmax(scores(query, key)) @ value`` as Keras' ``Attention``.

    ``score_mode="dot"`` scores ``query @ key^T`` (times a trainable scalar ``scale`` with
    ``use_scale``); ``"concat"`` scores ``concat_score_weight * sum(tanh(scale * (q + k)))``.
    ``mask=[query_mask, value_mask]`` (by default the inputs' Keras masks) hides value steps
    and zeroes masked query steps; the output carries the query's mask;
    ``use_causal_mask`` hides later value steps; dropout acts on the
    attention distribution in training only. Subclasses change ``scores``.
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.use_scale, self.score_mode, self.dropout, self.seed = (
            use_scale,
            score_mode,
            dropout,
            seed,
        )
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                "Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                f"Received: score_mode={score_mode}"
            )
        self.dropout_layer = Dropout(dropout, seed=seed) if dropout > 0 else None

    def build(self, input_shape):
        validate_inputs(type(self).__name__, input_shape)
        self.scale = self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                shape=(), initializer="ones", name="concat_score_weight"
            )
        self.built = True

    def scores(self, query, key):
        """``(batch, Tq, Tv)`` scores of every query step against every key step."""
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            return scores if self.scale is None else ops.multiply(scores, self.scale)
        pairs = ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3))
        if self.scale is not None:
            pairs = ops.multiply(self.scale, pairs)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(pairs), axis=-1))

    def call(
        self,
        inputs,
        mask=None,
        training=False,
        return_attention_scores=False,
        use_causal_mask=False,
    ):
        validate_inputs(type(self).__name__, inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        q_mask, v_mask = (mask[0], mask[1]) if mask else (None, None)
        scores = self.scores(query, key)
        keep = None if v_mask is None else ops.expand_dims(ops.cast(v_mask, "bool"), -2)
        if use_causal_mask:
            rows, cols = positions(query), positions(key)
            causal = ops.greater_equal(ops.expand_dims(rows, 2), ops.expand_dims(cols, 1))
            keep = causal if keep is None else ops.logical_and(keep, causal)
        if keep is not None:
            big = 65504.0 if scores.dtype == "float16" else 1.0e9
            scores = ops.where(keep, scores, ops.subtract(scores, big))
        weights = ops.softmax(scores, axis=-1)
        used = weights
        if self.dropout_layer is not None:
            used = self.dropout_layer(weights, training=training)
        out = ops.matmul(used, value)
        if q_mask is not None:
            out = ops.where(ops.expand_dims(ops.cast(q_mask, "bool"), -1), out, 0.0)
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        """The query's mask, as in Keras."""
        return None if mask is None or mask[0] is None else mask[0]

    def compute_output_shape(self, input_shape):
        validate_inputs(type(self).__name__, input_shape)
        return (*tuple(input_shape[0])[:-1], input_shape[1][-1])

    def get_config(self):
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }


def validate_inputs(name, inputs, mask=None):
    """Keras' checks: a list ``[query, value(, key)]`` and an optional list mask."""
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(
            f"{name} layer must be called on a list of inputs, namely [query, value] or "
            f"[query, value, key]. Received: inputs={inputs}."
        )
    if not 2 <= len(inputs) <= 3:
        raise ValueError(
            f"{name} layer accepts inputs list of length 2 or 3, namely [query, value] or "
            f"[query, value, key]. Received length: {len(inputs)}."
        )
    if mask is not None:
        if not isinstance(mask, (list, tuple)):
            raise ValueError(
                f"{name} layer mask must be a list, namely [query_mask, value_mask]. "
                f"Received: mask={mask}."
            )
        if not 2 <= len(mask) <= 3:
            raise ValueError(
                f"{name} layer accepts mask list of length 2 or 3. Received: mask={mask}."
            )
