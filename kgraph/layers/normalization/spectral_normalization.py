"""``SpectralNormalization``: divides a wrapped layer's kernel by its largest singular value."""

from __future__ import annotations

from kgraph import initializers, ops
from kgraph.layers.layer import Layer
from kgraph.layers.normalization.unit_normalization import l2_normalize
from kgraph.layers.wrapper import Wrapper


class SpectralNormalization(Wrapper):
    """Wraps a layer with a ``kernel`` (or ``embeddings``): in training, ``power_iterations``
    steps of the power method (from the non-trainable ``vector_u``) estimate the kernel's
    spectral norm ``sigma``, the wrapped layer runs with ``kernel / sigma``, and ``vector_u``
    keeps the new estimate; ``u`` and ``v`` are constants for differentiation. At inference
    the wrapped layer runs with its stored kernel.

    As Keras on the JAX backend, the optimizer updates the kernel itself (the normalized kernel
    is not written back into it). Weight order as Keras: kernel, ``vector_u``, then the wrapped
    layer's other weights.

    Args:
        layer: A layer with a ``kernel`` or ``embeddings`` weight (Dense, Conv…, Embedding).
        power_iterations: Power-method steps per training call.
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `SpectralNormalization` with a `keras.layers.Layer` "
                f"instance. Received: {layer}"
            )
        if power_iterations <= 0:
            raise ValueError(
                "`power_iterations` should be greater than zero. Received: "
                f"`power_iterations={power_iterations}`"
            )
        super().__init__(layer, **kwargs)
        self.power_iterations = power_iterations

    def _kernel_name(self) -> str:
        for name in ("kernel", "embeddings"):
            if getattr(self.layer, name, None) is not None:
                return name
        raise ValueError(
            f"{type(self.layer).__name__} object has no attribute 'kernel' nor 'embeddings'"
        )

    def build(self, input_shape):
        if not self.layer.built:
            self.layer._build_for(tuple(input_shape))
        kernel = getattr(self.layer, self._kernel_name())
        self.vector_u = self.add_weight(
            shape=(1, kernel.shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
        )
        self.built = True

    @property
    def weights(self):
        kernel = getattr(self.layer, self._kernel_name())
        rest = [w for w in self.layer.weights if w is not kernel]
        return [kernel, self.vector_u, *rest]

    def saved_own_variables(self):
        """Keras saves the wrapped kernel among this layer's own variables too (it tracks it
        as ``self.kernel``), then again with the wrapped layer's."""
        return [getattr(self.layer, self._kernel_name()), self.vector_u]

    def normalized_weights(self, kernel):
        """``(new vector_u, kernel / sigma)``; the kernel unchanged when it is all zeros."""
        matrix = ops.reshape(kernel, (-1, kernel.shape[-1]))
        u = self.vector_u
        for _ in range(self.power_iterations):
            v = l2_normalize(ops.matmul(u, ops.transpose(matrix)), axis=None)
            u = l2_normalize(ops.matmul(v, matrix), axis=None)
        u, v = ops.stop_gradient(u), ops.stop_gradient(v)
        sigma = ops.matmul(ops.matmul(v, matrix), ops.transpose(u))  # (1, 1)
        zero = ops.equal(ops.max(ops.abs(kernel)), 0.0)
        scaled = ops.where(zero, kernel, ops.divide(kernel, ops.reshape(sigma, ())))
        return ops.where(zero, self.vector_u, u), scaled

    def call(self, inputs, training=False):
        if not training:
            return self.layer(inputs)
        name = self._kernel_name()
        kernel = getattr(self.layer, name)
        new_u, scaled = self.normalized_weights(kernel)
        self.vector_u.assign(new_u)
        object.__setattr__(self.layer, name, scaled)  # the wrapped call reads the scaled kernel
        try:
            return self.layer(inputs)
        finally:
            object.__setattr__(self.layer, name, kernel)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        inner = {
            "module": "keras.layers",
            "class_name": type(self.layer).__name__,
            "config": self.layer.get_config(),
        }
        return {**super().get_config(), "layer": inner, "power_iterations": self.power_iterations}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kgraph.saving.serialization import deserialize_layer

        config = dict(config)
        if isinstance(config["layer"], dict):
            config["layer"] = deserialize_layer(config["layer"], custom_objects)
        return cls(**config)
