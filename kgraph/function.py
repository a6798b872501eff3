"""``keras.Function``: a reusable computation from symbolic inputs to symbolic outputs.

Keras' ``Function`` is the graph half of a functional model (no training API, no weights of
its own). kgraph builds it on ``Functional``, so calling it runs the same ONNX lowering as a
model: numpy inputs give numpy outputs, symbolic inputs give symbolic outputs (a ``Function``
can be used inside another model). Its inputs must be ``kgraph.Input`` tensors: kgraph's
functional graphs start at an ``Input`` layer, where Keras also accepts bare
``KerasTensor(shape=...)`` placeholders.
"""

from __future__ import annotations

from kgraph.tensor import KerasTensor
from kgraph.utils import tree
from kgraph.utils.naming import auto_name


class Function:
    """Captures the computation from ``inputs`` to ``outputs`` for reuse on new values.

    Args:
        inputs: A ``kgraph.Input`` tensor, or a list / dict of them.
        outputs: Tensors computed from ``inputs`` (any nesting of lists, tuples and dicts).
        name: The function's name (``function``, ``function_1``, ... by default).
    """

    def __init__(self, inputs, outputs, name=None):
        from kgraph.models.functional import Functional

        for what, value in (("inputs", inputs), ("outputs", outputs)):
            if not tree.flatten(value):
                raise ValueError(
                    f"`{what}` argument cannot be empty. Received:\n"
                    f"inputs={inputs}\noutputs={outputs}"
                )
        self.name = name or auto_name("function")
        self._inputs_struct = tree.map_structure(lambda t: t, inputs)
        self._outputs_struct = tree.map_structure(lambda t: t, outputs)
        self._graph = Functional(inputs, outputs, name=self.name)

    @property
    def inputs(self) -> list:
        """The input tensors, flattened."""
        return tree.flatten(self._inputs_struct)

    @property
    def outputs(self) -> list:
        """The output tensors, flattened."""
        return tree.flatten(self._outputs_struct)

    def __call__(self, inputs):
        """Runs the computation on ``inputs`` (numpy values or symbolic tensors), nested like
        the ``inputs`` the function was built from; returns outputs nested like ``outputs``."""
        return self._graph(inputs)

    def call(self, inputs):
        return self(inputs)

    def compute_output_shape(self, input_shape):
        """Output shapes (nested like ``outputs``) for input shapes (one shape, or one per
        input in the order of :attr:`inputs`)."""
        return self._graph.compute_output_shape(input_shape)

    def compute_output_spec(self, inputs):
        """Symbolic outputs (shape and dtype) for symbolic ``inputs``, without recording a
        call."""
        shapes = [tuple(t.shape) for t in tree.flatten(inputs)]
        out_shapes = self.compute_output_shape(shapes[0] if len(shapes) == 1 else shapes)
        flat_shapes = tree.flatten_up_to(self._outputs_struct, out_shapes)
        flat = [KerasTensor(s, dtype=t.dtype) for s, t in zip(flat_shapes, self.outputs)]
        return tree.pack_sequence_as(self._outputs_struct, flat)

    def __repr__(self) -> str:
        return (
            f"<Function name={self.name}, inputs={len(self.inputs)}, outputs={len(self.outputs)}>"
        )
