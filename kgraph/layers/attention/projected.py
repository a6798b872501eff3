"""What ``MultiHeadAttention`` and ``GroupedQueryAttention`` share: the call's start (build,
merged mask, gate), a build that waits for every input shape, ``EinsumDense`` projection
sublayers with Keras' nested weight paths, and Keras' ``shapes_dict`` build config."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.layer import Layer


def positions(x):
    """``(B, T)`` positions 1..T along axis 1 of ``x``, computed from the tensor so that a
    ``None`` sequence length works (ONNX builds them at run time)."""
    ones = ops.add(ops.sum(ops.zeros_like(x), axis=tuple(range(2, len(x.shape)))), 1.0)
    return ops.cumsum(ones, axis=1)


def merged_mask(query, value, query_mask, value_mask, key_mask, mask, causal, window=None):
    """Keras' merged boolean ``(B, T, S)`` mask: query ``[B, T, 1]``, value and key
    ``[B, 1, S]``, causal ``[B, T, S]`` and ``attention_mask``, combined with AND
    (and a ``|t - s| < window`` band for a sliding window)."""
    parts = []
    if query_mask is not None:
        parts.append(ops.expand_dims(ops.cast(query_mask, "bool"), -1))
    for m in (value_mask, key_mask):
        if m is not None:
            parts.append(ops.expand_dims(ops.cast(m, "bool"), -2))
    if causal or window is not None:
        rows, cols = ops.expand_dims(positions(query), 2), ops.expand_dims(positions(value), 1)
        if causal:
            parts.append(ops.greater_equal(rows, cols))
        if window is not None:
            parts.append(ops.less(ops.abs(ops.subtract(rows, cols)), float(window)))
    if mask is not None:
        parts.insert(0, ops.cast(mask, "bool"))
    if not parts:
        return None
    merged = parts[0]
    for part in parts[1:]:
        merged = ops.logical_and(merged, part)
    return merged


def masked_softmax(scores, mask, zero_masked):
    """Softmax over the last axis of ``scores`` with ``mask`` (broadcast over the heads axis)
    pushing masked keys to -1e9. Keras' JAX backend has two paths: its fused
    ``dot_product_attention`` (a fully masked row averages every key) and, with dropout,
    returned scores or more attention axes, a masked ``Softmax`` that also zeroes the masked
    entries (a fully masked row attends to nothing); ``zero_masked`` picks the second."""
    if mask is None:
        return ops.softmax(scores, axis=-1)
    while len(mask.shape) < len(scores.shape):
        mask = ops.expand_dims(mask, -3)
    keep = ops.cast(mask, scores.dtype)
    penalty = ops.multiply(ops.subtract(1.0, keep), -1e9)
    probs = ops.softmax(ops.add(scores, ops.cast(penalty, scores.dtype)), axis=-1)
    return ops.multiply(probs, keep) if zero_masked else probs


class ProjectedAttention(Layer):
    """Base of the attention layers built from query/key/value/output projections."""

    build_shapes = None

    def _record_shapes(self, query_shape, value_shape, key_shape):
        """Keeps the build shapes (for the build config); returns the key's (the value's when
        none is given)."""
        self.build_shapes = {"query_shape": list(query_shape), "value_shape": list(value_shape)}
        if key_shape is not None:
            self.build_shapes["key_shape"] = list(key_shape)
        return value_shape if key_shape is None else key_shape

    def _begin_call(self, query, value, key, built, masks, use_causal_mask):
        """What both attention calls start with: the build on the first call, the key (the
        value when none is given), Keras' merged mask of ``masks`` (query, value, key and
        attention masks) and the gate (None without ``use_gate``)."""
        if not built:
            key_shape = None if key is None else tuple(key.shape)
            self.build(tuple(query.shape), tuple(value.shape), key_shape)
        key = value if key is None else key
        mask = merged_mask(query, value, *masks, use_causal_mask, self.sliding_window)
        gate = self._gate_dense(query) if self.use_gate else None
        return key, mask, gate

    def _build_sublayers(self, pairs) -> None:
        """Builds each ``(sublayer, input shape)`` and gives its weights unique paths, as
        Keras' nested ones (``<layer>/<sublayer>/<weight>``)."""
        for layer, shape in pairs:
            layer.build(shape)
            layer.built = True
            for w in layer.weights:
                w.path = f"{self.name}/{layer.name}/{w.name}"
        self.built = True

    def get_build_config(self):
        """Keras' ``shapes_dict`` build config (the build takes the query, value and key
        shapes), so that either library rebuilds the layer from a saved file."""
        return {"shapes_dict": self.build_shapes} if self.build_shapes else None

    def build_from_config(self, config):
        shapes = config.get("shapes_dict") or {}
        self.build(**{k: tuple(v) for k, v in shapes.items()})
