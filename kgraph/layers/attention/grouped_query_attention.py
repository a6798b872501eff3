"""``GroupedQueryAttention``: attention whose key/value heads are shared by groups of query
heads (fewer key/value projections, as in Llama-style decoders)."""

from __future__ import annotations

import math
import numbers

from kgraph import constraints, initializers, ops, regularizers
from kgraph.layers.attention.projected import ProjectedAttention, masked_softmax
from kgraph.layers.core.einsum_dense import EinsumDense
from kgraph.layers.regularization.dropout import Dropout


class GroupedQueryAttention(ProjectedAttention):
    """Keras' ``GroupQueryAttention`` (class ``GroupedQueryAttention``, as in Keras' source):
    ``num_query_heads`` query heads of ``head_dim``, ``num_key_value_heads`` key/value heads,
    each repeated for its group of query heads. Weights in Keras' order and shapes (query, key,
    [gate,] value, attention_output), so ``get_weights``/``set_weights`` interchange with
    Keras. Inputs are ``(batch, seq, dim)``; masks as ``MultiHeadAttention`` (explicit,
    or read from the inputs' Keras masks); ``flash_attention=True`` is one clear error.
    """

    keras_class_name = "GroupQueryAttention"  # the name Keras exports and writes in its files

    def __init__(
        self,
        head_dim,
        num_query_heads,
        num_key_value_heads,
        dropout=0.0,
        use_bias=True,
        sliding_window=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.supports_masking = True
        if not isinstance(head_dim, numbers.Real) or isinstance(head_dim, bool):
            # Keras fails on float(head_dim) for its scale
            raise TypeError(f"`head_dim` must be a number. Received: head_dim={head_dim!r}")
        self.head_dim, self.num_query_heads = head_dim, num_query_heads
        self.num_key_value_heads = num_key_value_heads
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`.")
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout, self.use_bias, self.use_gate, self.seed = dropout, use_bias, use_gate, seed
        if sliding_window is not None and (
            not isinstance(sliding_window, int)
            or isinstance(sliding_window, bool)
            or sliding_window <= 0
        ):
            raise ValueError(
                "`sliding_window` must be `None` or a positive integer. "
                f"Received: sliding_window={sliding_window}"
            )
        self.sliding_window = sliding_window
        if flash_attention:
            raise ValueError("kgraph has no flash attention kernel. Received: flash_attention=True")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._query_dense = None
        self.dropout_layer = Dropout(rate=dropout, seed=seed) if dropout > 0 else None

    def _dense(self, name, equation, output_shape, bias_axes, activation=None):
        return EinsumDense(
            equation,
            output_shape=output_shape,
            activation=activation,
            bias_axes=bias_axes if self.use_bias else None,
            name=name,
            kernel_initializer=initializers.get(initializers.serialize(self.kernel_initializer)),
            bias_initializer=initializers.get(initializers.serialize(self.bias_initializer)),
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            activity_regularizer=self.activity_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            dtype=self.dtype_policy,
        )

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Creates the sublayers; without ``value_shape`` (a plain call passes only the
        query's) they are made on the first call."""
        if value_shape is None:
            return
        key_shape = self._record_shapes(query_shape, value_shape, key_shape)
        check_shapes(query_shape, value_shape, key_shape)
        q_heads, kv_heads, dim = self.num_query_heads, self.num_key_value_heads, self.head_dim
        self._query_dense = self._dense("query", "bqm,muh->bquh", (None, q_heads, dim), "uh")
        self._key_dense = self._dense("key", "bkm,mvh->bkvh", (None, kv_heads, dim), "vh")
        subs = [(self._query_dense, query_shape), (self._key_dense, key_shape)]
        if self.use_gate:
            self._gate_dense = self._dense(
                "gate", "bqm,muh->bquh", (None, q_heads, dim), "uh", "sigmoid"
            )
            subs.append((self._gate_dense, query_shape))
        self._value_dense = self._dense("value", "bkm,mvh->bkvh", (None, kv_heads, dim), "vh")
        feature = query_shape[-1]
        self._output_dense = self._dense("attention_output", "bquh,uhm->bqm", (None, feature), "m")
        subs += [(self._value_dense, value_shape)]
        subs += [(self._output_dense, (*query_shape[:-1], q_heads, dim))]
        self._build_sublayers(subs)

    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        masks = (query_mask, value_mask, key_mask, attention_mask)
        key, mask, gate = self._begin_call(
            query, value, key, self._query_dense is not None, masks, use_causal_mask
        )
        q = self._query_dense(query)
        k = ops.repeat(self._key_dense(key), self.num_repeats, axis=2)
        v = ops.repeat(self._value_dense(value), self.num_repeats, axis=2)
        q = ops.multiply(q, ops.cast(1.0 / math.sqrt(float(self.head_dim)), q.dtype))
        scores = ops.einsum("bquh,bkuh->buqk", q, k)
        zero_masked = self.dropout > 0.0 or return_attention_scores
        scores = masked_softmax(scores, mask, zero_masked)
        used = scores
        if self.dropout_layer is not None:
            used = self.dropout_layer(scores, training=training)
        out = ops.einsum("buqk,bkuh->bquh", used, v)
        if gate is not None:
            out = ops.multiply(out, gate)
        out = self._output_dense(out)
        return (out, scores) if return_attention_scores else out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        check_shapes(query_shape, query_shape if value_shape is None else value_shape, key_shape)
        return tuple(query_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            "dropout": self.dropout,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        }


def check_shapes(query_shape, value_shape, key_shape=None):
    """Keras' checks: equal query and value features, equal key and value inner dims."""
    value_shape = tuple(value_shape)
    key_shape = value_shape if key_shape is None else tuple(key_shape)
    if query_shape[-1] != value_shape[-1]:
        raise ValueError(
            "The last dimension of `query_shape` and `value_shape` must be equal, but are "
            f"{query_shape[-1]}, {value_shape[-1]}. Received: query_shape="
            f"{tuple(query_shape)}, value_shape={value_shape}"
        )
    if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
        raise ValueError(
            "All dimensions of `value` and `key`, except the last one, must be equal. "
            f"Received: value_shape={value_shape} and key_shape={key_shape}"
        )


GroupQueryAttention = GroupedQueryAttention
