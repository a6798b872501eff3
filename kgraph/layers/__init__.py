"""``kgraph.layers``: Keras-compatible layers written in ``kgraph.ops``."""

from kgraph.layers.core.dense import Dense
from kgraph.layers.core.input_layer import Input, InputLayer
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer

__all__ = ["Dense", "Input", "InputLayer", "InputSpec", "Layer"]
