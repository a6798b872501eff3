"""``MultiHeadAttention``: Keras' multi-head attention, built from ``EinsumDense`` sublayers."""

from __future__ import annotations

import math
import string

from kgraph import constraints, initializers, ops, regularizers
from kgraph.layers.attention.projected import ProjectedAttention, masked_softmax
from kgraph.layers.core.einsum_dense import EinsumDense
from kgraph.layers.masking_support import get_mask
from kgraph.layers.regularization.dropout import Dropout


def _positive_int(name, value, allow_none=False):
    if allow_none and value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        kind = "a positive integer or `None`" if allow_none else "a positive integer"
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected {kind}. "
            f"Received: {name}={value}"
        )


def projection(free_dims: int, bound_dims: int, output_dims: int):
    """``(equation, bias axes)`` of a projection keeping ``free_dims`` leading axes,
    contracting ``bound_dims`` and adding ``output_dims`` (Keras' letters, so kernels match)."""
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims : free_dims + bound_dims]
    out = letters[free_dims + bound_dims : free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{out}->{free}{out}", out


def attention_equations(rank: int, axis: int):
    """``(key·query -> scores, scores·value -> output)`` einsums for projected tensors of
    ``rank`` (heads and channels last) attending over ``axis``; scores are
    ``(batch dims..., heads, T, S)``, as Keras'."""
    target = string.ascii_lowercase[:rank]
    source = target[:axis] + string.ascii_lowercase[rank] + target[axis + 1 :]
    batch = "".join(target[i] for i in range(rank - 1) if i != axis)
    scores = batch + target[axis] + source[axis]
    return f"{source},{target}->{scores}", f"{scores},{source}->{target}"


class MultiHeadAttention(ProjectedAttention):
    """Multi-head attention as Keras': query/key/value projections to ``(num_heads, dim)``,
    scaled dot-product attention over axis 1, and an ``attention_output`` projection back to
    the query's last dim (or ``output_shape``). Weights and their order are Keras' (query,
    key, [gate,] value, attention_output kernels and biases), so ``get_weights``/``set_weights``
    interchange with Keras.

    kgraph attends over one axis only: ``attention_axes`` must be None (for rank-3 inputs) or
    a single axis; ``flash_attention=True`` is not supported. As in Keras, the inputs' Keras
    masks (``Embedding(mask_zero=True)``) fill ``query_mask``/``value_mask``/``key_mask``
    and the output carries the query's mask; as Keras' own, the query's mask is the query
    tensor's alone (an explicit ``query_mask`` gives way to it).
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_shape=None,
        attention_axes=None,
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
        _positive_int("num_heads", num_heads)
        _positive_int("key_dim", key_dim)
        _positive_int("value_dim", value_dim, allow_none=True)
        super().__init__(**kwargs)
        self.supports_masking = True
        self.num_heads, self.key_dim = num_heads, key_dim
        self.value_dim = value_dim or key_dim
        self.dropout, self.use_bias, self.use_gate, self.seed = dropout, use_bias, use_gate, seed
        if output_shape:
            output_shape = (output_shape,) if isinstance(output_shape, int) else output_shape
            if not isinstance(output_shape, (list, tuple)):
                raise ValueError(
                    f"Invalid `output_shape`: {output_shape}. When specified, the "
                    "`output_shape` should be of type tuple, list, or int."
                )
            output_shape = tuple(output_shape)
        self.partial_output_shape = output_shape or None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                "`attention_axes` must be an int, list, or tuple."
                f"Received: attention_axes={attention_axes}"
            )
        if attention_axes is not None and len(attention_axes) != 1:
            raise ValueError(
                "kgraph's MultiHeadAttention attends over one axis only. "
                f"Received: attention_axes={attention_axes}"
            )
        self.attention_axes = None if attention_axes is None else tuple(attention_axes)
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
        self.sublayer_activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.query_dense = None
        self.dropout_layer = Dropout(rate=dropout, seed=seed) if dropout > 0 else None

    def _dense(self, name, rank, bound, out_dims, activation=None):
        equation, bias_axes = projection(rank - bound, bound, len(out_dims))
        return EinsumDense(
            equation,
            output_shape=[None] * (rank - bound - 1) + list(out_dims),
            activation=activation,
            bias_axes=bias_axes if self.use_bias else None,
            name=name,
            kernel_initializer=initializers.get(initializers.serialize(self.kernel_initializer)),
            bias_initializer=initializers.get(initializers.serialize(self.bias_initializer)),
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            activity_regularizer=self.sublayer_activity_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            dtype=self.dtype_policy,
        )

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Creates and builds the sublayers; without ``value_shape`` (a plain call passes only
        the query's) they are made on the first call, when every input shape is known."""
        if value_shape is None:
            return
        key_shape = self._record_shapes(query_shape, value_shape, key_shape)
        self._check_key_value(value_shape, key_shape)
        if len(query_shape) - 2 != 1 and self.attention_axes is None:
            raise ValueError(
                "kgraph's MultiHeadAttention attends over one axis only: give rank-3 inputs "
                f"or one `attention_axes`. Received: query_shape={tuple(query_shape)}"
            )
        heads = self.num_heads
        self.query_dense = self._dense("query", len(query_shape), 1, (heads, self.key_dim))
        self.key_dense = self._dense("key", len(key_shape), 1, (heads, self.key_dim))
        if self.use_gate:
            dims = (heads, self.value_dim)
            self._gate_dense = self._dense("gate", len(query_shape), 1, dims, "sigmoid")
        self.value_dense = self._dense("value", len(value_shape), 1, (heads, self.value_dim))
        out = self.partial_output_shape or (query_shape[-1],)
        self.output_dense = self._dense("attention_output", len(query_shape) + 1, 2, out)
        subs = [self.query_dense, self.key_dense, self.value_dense, self.output_dense]
        subs += [self._gate_dense] if self.use_gate else []
        projected = (*query_shape[:-1], heads, self.value_dim)
        shapes = (query_shape, key_shape, value_shape, projected, query_shape)
        self._build_sublayers(zip(subs, shapes))

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
        # Keras' MultiHeadAttention reads the query's mask from the query tensor alone (an
        # explicit ``query_mask`` is replaced by it); GroupedQueryAttention keeps the argument
        query_mask = get_mask(query)
        masks = (query_mask, value_mask, key_mask, attention_mask)
        key, mask, gate = self._begin_call(
            query, value, key, self.query_dense is not None, masks, use_causal_mask
        )
        q, k, v = self.query_dense(query), self.key_dense(key), self.value_dense(value)
        rank = len(q.shape)
        axis = 1 if self.attention_axes is None else self.attention_axes[0]
        axis = axis if axis >= 0 else rank - 1 + axis
        dot, combine = attention_equations(rank, axis)
        q = ops.multiply(q, ops.cast(1.0 / math.sqrt(float(self.key_dim)), q.dtype))
        scores = ops.einsum(dot, k, q)
        fused = not (self.dropout > 0.0 or return_attention_scores or rank != 4)
        scores = masked_softmax(scores, mask, zero_masked=not fused)
        used = scores
        if self.dropout_layer is not None:
            used = self.dropout_layer(scores, training=training)
        out = ops.einsum(combine, used, v)
        if gate is not None:
            out = ops.multiply(out, gate)
        out = self.output_dense(out)
        return (out, scores) if return_attention_scores else out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is not None:
            self._check_key_value(value_shape, value_shape if key_shape is None else key_shape)
        query_shape = tuple(query_shape)
        if self.partial_output_shape:
            return query_shape[:-1] + self.partial_output_shape
        return query_shape

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "output_shape": self.partial_output_shape,
            "attention_axes": self.attention_axes,
            "sliding_window": self.sliding_window,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.sublayer_activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        }

    @staticmethod
    def _check_key_value(value_shape, key_shape):
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={tuple(value_shape)} and key_shape={tuple(key_shape)}"
            )
