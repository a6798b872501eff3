"""What ``MultiHeadAttention`` and ``GroupedQueryAttention`` share: a build that waits for every
input shape, ``EinsumDense`` projection sublayers with Keras' nested weight paths, and Keras'
``shapes_dict`` build config."""

from __future__ import annotations

from kgraph.layers.layer import Layer


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
