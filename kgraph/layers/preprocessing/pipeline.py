"""``Pipeline``: preprocessing layers applied one after the other, as one layer."""

from __future__ import annotations

from kgraph.layers.layer import Layer
from kgraph.layers.preprocessing.base_augmentation import direct_call_trains


class Pipeline(Layer):
    """Applies ``layers`` in order, passing ``training`` to those that take it. Unlike a
    Sequential model it is a plain layer, convenient in ``dataset.map`` (it accepts the
    ``{"images": ..., "labels": ...}`` dicts the augmentation layers take).

    Args:
        layers: The layers.
        name: Layer name.
    """

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._pipeline_layers = list(layers)

    def __call__(self, *args, **kwargs):
        return super().__call__(*args, **direct_call_trains(args, kwargs))

    @property
    def layers(self):
        return self._pipeline_layers

    def call(self, inputs, training=True):
        for layer in self._pipeline_layers:
            kwargs = {"training": training} if layer._call_has_training else {}
            inputs = layer(inputs, **kwargs)
        return inputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        from kgraph.saving.model_config import serialize_layer

        return {"name": self.name, "layers": [serialize_layer(x) for x in self._pipeline_layers]}

    @classmethod
    def from_config(cls, config):
        from kgraph.saving.serialization import deserialize_layer

        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                "`Pipeline` config must contain a `layers` key mapping to a list of serialized "
                f"layers. Received config with layers={layers}."
            )
        rest = {k: v for k, v in config.items() if k != "layers"}
        return cls([deserialize_layer(item) for item in layers], **rest)
