"""``PReLU``: a leaky ReLU whose negative slope is learned per unit."""

from __future__ import annotations

from kgraph import constraints, initializers, ops, regularizers
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer


class PReLU(Layer):
    """``x`` where positive, ``alpha * x`` elsewhere, with a trainable ``alpha`` of the input's
    shape (without the batch axis); ``shared_axes`` get size 1 in ``alpha`` (one slope per
    channel of a feature map with ``shared_axes=[1, 2]``).

    Args:
        alpha_initializer, alpha_regularizer, alpha_constraint: Options of ``alpha``.
        shared_axes: Axes (counted with the batch axis as 0) that share one slope.
    """

    def __init__(
        self,
        alpha_initializer="Zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            shape[axis - 1] = 1
        if None in shape:
            raise ValueError(f"PReLU needs known non-batch dims; input shape {input_shape}.")
        self.alpha = self.add_weight(
            shape=tuple(shape),
            initializer=self.alpha_initializer,
            name="alpha",
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        axes = {}
        if self.shared_axes:
            axes = {i: input_shape[i] for i in range(1, len(input_shape))}
            for axis in self.shared_axes:
                axes.pop(axis)
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        positive = ops.relu(inputs)
        negative = ops.multiply(ops.negative(self.alpha), ops.relu(ops.negative(inputs)))
        return ops.add(positive, negative)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }
