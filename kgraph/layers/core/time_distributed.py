"""``TimeDistributed``: applies one layer to every timestep of ``(batch, time, ...)``."""

from __future__ import annotations

import inspect

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.serialization import serialize
from kgraph.layers.wrapper import Wrapper
from kgraph.ops.core import Op, Spec, apply


def _unfold_lower(b, out, like):
    dims = b.op(
        "Concat",
        [b.op("Shape", [like], {"end": 2}), b.op("Shape", [out], {"start": 1})],
        {"axis": 0},
    )
    return b.op("Reshape", [out, dims])


#: ``(batch * time, ...)`` back to ``(batch, time, ...)`` with the two sizes of ``like`` read
#: at run time, so the time axis may be ``None``.
_unfold = Op(
    "time_distributed_unfold",
    lambda out, like: Spec((like.shape[0], like.shape[1], *out.shape[1:]), out.dtype),
    _unfold_lower,
    promote=False,
)


class TimeDistributed(Wrapper):
    """Runs ``layer`` on each slice ``inputs[:, t]`` with the same weights: the time axis is
    folded into the batch, the layer called once, and the time axis unfolded again.

    Args:
        layer: A ``kgraph.layers.Layer`` taking ``(batch, ...)`` inputs.

    The time axis may be ``None`` (the other input axes must be static). A Keras mask of the
    inputs (``(batch, time, ...)``) is passed on, and folded the same way for an inner layer
    whose ``call`` takes ``mask``.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `TimeDistributed` layer with a `keras.layers.Layer` "
                f"instance. Received: {layer}"
            )
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) < 3:
            raise ValueError(
                "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 "
                f"dimensions, received: {input_shape}"
            )
        if not self.layer.built:
            self.layer._build_for((None, *input_shape[2:]))
        self.built = True

    def call(self, inputs, training=False, mask=None):
        folded = ops.reshape(inputs, (-1, *inputs.shape[2:]))
        kwargs = {"training": training} if self.layer._call_has_training else {}
        if mask is not None and "mask" in inspect.signature(self.layer.call).parameters:
            if ops.ndim(mask) < 2:
                raise ValueError(
                    "The `mask` passed to the `TimeDistributed` layer must be at least 2D "
                    f"(e.g., `(batch_size, timesteps)`), but it has shape {tuple(mask.shape)}."
                )
            kwargs["mask"] = ops.reshape(mask, (-1, *ops.shape(mask)[2:]))
        out = self.layer(folded, **kwargs)
        if inputs.shape[1] is not None:
            return ops.reshape(out, (-1, inputs.shape[1], *out.shape[1:]))
        return apply(_unfold, [out, inputs])

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((None, *tuple(input_shape)[2:]))
        return (input_shape[0], input_shape[1], *tuple(inner)[1:])

    def get_config(self):
        """The wrapped layer as ``serialize_keras_object`` writes it (module, registered name,
        a nested model), without its ``build_config``: the config stays the same once built."""
        inner = serialize(self.layer)
        inner.pop("build_config", None)
        return {**super().get_config(), "layer": inner}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kgraph.saving.serialization import deserialize_layer

        config = dict(config)
        if isinstance(config["layer"], dict):
            config["layer"] = deserialize_layer(config["layer"], custom_objects)
        return cls(**config)
