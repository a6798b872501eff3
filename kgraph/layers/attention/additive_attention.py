"""``AdditiveAttention``: Bahdanau-style attention, ``sum(scale * tanh(q + k))`` scores."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.attention.attention import Attention, validate_inputs


class AdditiveAttention(Attention):
    """``Attention`` whose scores are ``sum(scale * tanh(query + key), -1)`` with a trainable
    ``scale`` vector of the query's last dim (``use_scale``, on by default, as Keras')."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        validate_inputs(type(self).__name__, input_shape)
        self.scale = None
        if self.use_scale:
            dim = input_shape[0][-1]
            self.scale = self.add_weight(shape=(dim,), initializer="glorot_uniform", name="scale")
        self.built = True

    def scores(self, query, key):
        pairs = ops.tanh(ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3)))
        if self.scale is not None:
            pairs = ops.multiply(self.scale, pairs)
        return ops.sum(pairs, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
