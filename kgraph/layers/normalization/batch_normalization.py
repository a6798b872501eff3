"""``BatchNormalization``: normalises features with batch statistics (training) or moving ones.

Both modes are plain ops (ReduceMean, Sub, Mul, Sqrt…), never ONNX ``BatchNormalization``, so
the same graph differentiates and runs in inference. In training the layer normalises with the
batch mean and (biased) variance; ``batch_moments`` computes them and ``moving_stat_updates``
gives the new moving statistics, assigned with ``Variable.assign``: in a traced training graph
an assignment becomes a state update (an extra output the engine feeds back each step).
"""

from __future__ import annotations

from kgraph import constraints, initializers, ops, regularizers
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.utils import argument_validation as av


class BatchNormalization(Layer):
    """Normalises ``inputs`` along ``axis``: ``(x - mean) / sqrt(var + epsilon) * gamma + beta``.

    Weights, in Keras' order and names: ``gamma``, ``beta`` (trainable, present when ``scale``
    / ``center``), ``moving_mean``, ``moving_variance`` (non-trainable).

    Args:
        axis: The feature axis (usually -1, the channels of channels_last data).
        momentum: Momentum of the moving averages.
        epsilon: Added to the variance to avoid dividing by zero.
        center: Whether to add the learned offset ``beta``.
        scale: Whether to multiply by the learned ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer: Initializers of the four weights.
        beta_regularizer, gamma_regularizer: Penalties on ``beta`` / ``gamma`` added to the
            training loss (see ``kgraph.regularizers``).
        beta_constraint, gamma_constraint: Projections of ``beta`` / ``gamma`` applied after
            each optimizer update (see ``kgraph.constraints``).
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True
        av.reject_unsupported(
            "BatchNormalization",
            renorm=renorm or None,
            renorm_clipping=renorm_clipping,
            synchronized=synchronized or None,
        )
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma = self.beta = None

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"axis {self.axis} is out of range for an input of rank {rank}. "
                f"Received: axis={self.axis}"
            )
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"axis {self.axis} of the input must be known.")
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: dim})
        shape = (dim,)
        if self.scale:
            self.gamma = self.add_weight(
                shape=shape,
                initializer=self.gamma_initializer,
                name="gamma",
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                shape=shape,
                initializer=self.beta_initializer,
                name="beta",
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )
        self.moving_mean = self.add_weight(
            shape=shape,
            initializer=self.moving_mean_initializer,
            name="moving_mean",
            trainable=False,
        )
        self.moving_variance = self.add_weight(
            shape=shape,
            initializer=self.moving_variance_initializer,
            name="moving_variance",
            trainable=False,
        )
        self.built = True

    def _broadcastable(self, vector, rank: int):
        """``vector`` (C,) reshaped to broadcast along ``axis`` of a rank-``rank`` tensor."""
        axis = self.axis % rank
        if axis == rank - 1:
            return vector
        return ops.reshape(vector, tuple(-1 if i == axis else 1 for i in range(rank)))

    def batch_moments(self, inputs, mask=None):
        """Mean and biased variance of ``inputs`` over every axis but ``axis``; shapes (C,).
        With a Keras ``mask`` (one axis less than the inputs), only the unmasked entries
        count, as Keras computes masked moments (sums over ``count + 1e-7``)."""
        rank = ops.ndim(inputs)
        axes = tuple(i for i in range(rank) if i != self.axis % rank)
        if mask is None:
            mean = ops.mean(inputs, axis=axes, keepdims=True)
            variance = ops.mean(ops.square(ops.subtract(inputs, mean)), axis=axes)
            return ops.reshape(mean, (-1,)), variance
        keep = ops.expand_dims(ops.cast(mask, "bool"), -1)
        count = ops.add(ops.sum(ops.cast(keep, inputs.dtype), axis=axes, keepdims=True), 1e-7)
        total = ops.sum(ops.where(keep, inputs, 0.0), axis=axes, keepdims=True)
        mean = ops.divide(total, count)
        spread = ops.square(ops.where(keep, ops.subtract(inputs, mean), 0.0))
        variance = ops.divide(ops.sum(spread, axis=axes, keepdims=True), count)
        return ops.reshape(mean, (-1,)), ops.reshape(variance, (-1,))

    def moving_stat_updates(self, mean, variance):
        """``[(moving_mean, new value), (moving_variance, new value)]`` for batch statistics."""
        m = self.momentum
        return [
            (
                self.moving_mean,
                ops.add(ops.multiply(self.moving_mean, m), ops.multiply(mean, 1.0 - m)),
            ),
            (
                self.moving_variance,
                ops.add(ops.multiply(self.moving_variance, m), ops.multiply(variance, 1.0 - m)),
            ),
        ]

    def call(self, inputs, training=False, mask=None):
        if mask is not None and ops.ndim(mask) != ops.ndim(inputs) - 1:
            raise ValueError(
                "The mask provided should be one dimension less than the inputs. Received: "
                f"mask.shape={tuple(mask.shape)}, inputs.shape={tuple(inputs.shape)}"
            )
        if training and self.trainable:
            mean, variance = self.batch_moments(inputs, mask)
            for variable, value in self.moving_stat_updates(mean, variance):
                variable.assign(value)
        else:
            mean, variance = self.moving_mean, self.moving_variance
        # Fold the per-channel factors first: only three ops touch the full tensor.
        inv = ops.divide(1.0, ops.sqrt(ops.add(variance, self.epsilon)))
        if self.gamma is not None:
            inv = ops.multiply(inv, self.gamma)
        rank = ops.ndim(inputs)
        y = ops.multiply(
            ops.subtract(inputs, self._broadcastable(mean, rank)), self._broadcastable(inv, rank)
        )
        if self.beta is not None:
            y = ops.add(y, self._broadcastable(self.beta, rank))
        return y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": False,
        }
