"""``Wrapper``: Keras' abstract base of layers that take another layer and augment it (what
``TimeDistributed`` and ``Bidirectional`` are in Keras)."""

from __future__ import annotations

from kgraph.layers.layer import Layer
from kgraph.layers.serialization import deserialize, serialize


class Wrapper(Layer):
    """Holds ``layer`` as ``self.layer``: its weights are the wrapper's (tracked as a
    sublayer), ``build`` builds it for the wrapper's input shape when it is not built yet, and
    the config nests it as Keras does (``{"layer": {"module", "class_name", "config"}}``), so
    a subclass only writes ``call`` (and ``compute_output_shape`` where it changes shapes).
    Like Keras' it is a base class, not a layer to call: ``call`` is the subclass's.

    Args:
        layer: The ``kgraph.layers.Layer`` to wrap.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Layer {layer} supplied to Wrapper isn't a supported layer type. Please "
                "ensure wrapped layer is a valid Keras layer."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer._build_for(input_shape)
        self.built = True

    def get_config(self):
        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)
