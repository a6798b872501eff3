"""``Sequential``: a plain stack of layers with one input and one output."""

from __future__ import annotations

import numpy as np

from kgraph.layers.core.input_layer import Input, InputLayer
from kgraph.layers.layer import Layer
from kgraph.models.functional import Functional
from kgraph.saving.object_registration import get_registered_name
from kgraph.tensor import KerasTensor


class Sequential(Functional):
    """A linear stack of layers.

    Args:
        layers: Layers (or a leading ``kgraph.Input``) to add in order.
        name: Model name.
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super(Functional, self).__init__(name=name, trainable=trainable)
        self._stack: list[Layer] = []
        self._input_layer: InputLayer | None = None
        self._graph_ready = False
        for layer in layers or []:
            self.add(layer)

    def add(self, layer) -> None:
        """Appends a layer (a ``kgraph.Input`` tensor sets the input shape)."""
        if isinstance(layer, KerasTensor) and layer._history is not None:
            layer = layer._history[0]
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise ValueError("An Input can only be the first element of a Sequential model.")
            self._input_layer = layer
        elif isinstance(layer, Layer):
            self._stack.append(layer)
        else:
            raise ValueError(
                f"Only instances of kgraph.layers.Layer can be added to a Sequential "
                f"model. Received: {layer!r} (of type {type(layer).__name__})"
            )
        if layer not in self._layers and not isinstance(layer, InputLayer):
            self._layers.append(layer)
        self._graph_ready = False
        if self._input_layer is None and self._stack and self._stack[0]._input_shape_arg:
            self._input_layer = Input(shape=self._stack[0]._input_shape_arg)._history[0]
        if self._input_layer is not None:
            self._build_graph()

    def pop(self) -> Layer:
        """Removes and returns the last layer."""
        layer = self._stack.pop()
        self._layers.remove(layer)
        if self._input_layer is not None:
            self._build_graph()
        return layer

    def _build_graph(self) -> None:
        x = self._input_layer.output_tensor
        inputs = x
        for layer in self._stack:
            x = layer(x)
        self._init_graph(inputs, x)
        self._layers[:] = list(self._stack)
        self._graph_ready = True

    def build(self, input_shape=None, input_dtype=None) -> None:
        """Creates the input from ``input_shape`` (with the batch axis; ``input_dtype`` when
        first data sets it, else float32) and builds the stack."""
        if self._input_layer is None:
            batch_shape = tuple(input_shape)
            self._input_layer = Input(batch_shape=batch_shape, dtype=input_dtype)._history[0]
        self._build_graph()

    def _build_on_data(self, x) -> None:
        """Builds from the first data, its input taking strings when the data is text (a
        leading ``TextVectorization`` or ``StringLookup``, as keras.io's inference models)."""
        if self._needs_data_build() and not isinstance(x, (dict, tuple)):
            dtype = x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype
            text = np.dtype(dtype).kind in "USO"
            self.build((None, *np.shape(x)[1:]), input_dtype="string" if text else None)
        else:
            super()._build_on_data(x)

    @property
    def built(self) -> bool:
        return getattr(self, "_graph_ready", False)

    @built.setter
    def built(self, value) -> None:
        pass

    def _trace_inputs(self):
        if not self._graph_ready:
            raise ValueError(
                f"Sequential model '{self.name}' has no input shape yet: start it "
                "with kgraph.Input(shape=...) or call build(input_shape)."
            )
        return super()._trace_inputs()

    @property
    def layers(self):
        return list(self._stack)

    def call(self, inputs, training=None):
        if self._graph_ready:
            return super().call(inputs, training=training)
        x = inputs
        for layer in self._stack:
            x = layer._call((x,), {} if training is None else {"training": training}, record=False)
        return x

    def get_config(self):
        """Keras' config: each layer's config with nested objects (a layer held by a custom
        layer, initializers) serialized, so that a ``from_config`` written as the guides write
        it (``deserialize_keras_object(config.pop("nested"))``) rebuilds them."""
        from kgraph.saving.serialization_lib import serialize_keras_object

        layers = []
        if self._input_layer is not None:
            layers.append({"class_name": "InputLayer", "config": self._input_layer.get_config()})
        layers += [
            {
                "class_name": type(layer).__name__,
                **_registered(layer),
                "config": serialize_keras_object(layer.get_config()),
            }
            for layer in self._stack
        ]
        return {"name": self.name, "trainable": self.trainable, "layers": layers}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kgraph.saving.serialization import deserialize_layer

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for item in config["layers"]:
            if item["class_name"] == "InputLayer":
                model.add(InputLayer(**item["config"]))
            else:
                model.add(deserialize_layer(item, custom_objects))
        return model


def _registered(layer) -> dict:
    """``registered_name`` (``package>Name``) for a registered custom layer, as Keras writes it,
    so ``from_config`` finds the class without ``custom_objects``."""
    registered = get_registered_name(type(layer))
    return {"registered_name": registered} if ">" in (registered or "") else {}
