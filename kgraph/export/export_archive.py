"""``keras.export.ExportArchive`` writing ONNX: each endpoint becomes its own ONNX inference
graph.

Keras' archive writes one TensorFlow SavedModel whose endpoints are ``tf.function``
signatures. kgraph has no TensorFlow: ``write_out(path)`` makes the directory ``path`` with
``<endpoint>.onnx`` per endpoint (standalone graphs with their weights, which onnxruntime and
``kgraph.runtime`` run) and ``<collection>.npz`` per variable collection. An endpoint is
traced once from its ``input_signature`` (``fn`` is called on symbolic inputs of those shapes
and dtypes), so ``fn`` must be written with kgraph layers and ops, as any traced Keras
function.
"""

from __future__ import annotations

import os

import numpy as np

from kgraph.layers.core.input_layer import Input
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.layer_weights import unique_variables
from kgraph.tensor import KerasTensor, Variable
from kgraph.utils import tree


class ExportArchive:
    """Collects models, endpoints and variable collections, then writes them (see the module
    docstring)."""

    def __init__(self):
        self._tracked: list[Layer] = []
        self._endpoints: dict = {}
        self._collections: dict[str, list] = {}

    @property
    def variables(self) -> list[Variable]:
        return unique_variables(v for layer in self._tracked for v in layer.weights)

    @property
    def trainable_variables(self) -> list[Variable]:
        return unique_variables(v for layer in self._tracked for v in layer.trainable_weights)

    @property
    def non_trainable_variables(self) -> list[Variable]:
        return unique_variables(v for layer in self._tracked for v in layer.non_trainable_weights)

    def track(self, resource) -> None:
        """Tracks a layer or model (its variables are the archive's)."""
        if not isinstance(resource, Layer):
            raise ValueError(
                "Invalid resource type. Expected a Keras `Layer` or `Model` instance. "
                f"Received instead an object of type '{type(resource)}'. "
                f"Object received: {resource}"
            )
        if not resource.built:
            raise ValueError(
                "The layer provided has not yet been built. It must be built before export."
            )
        if resource not in self._tracked:
            self._tracked.append(resource)

    def add_endpoint(self, name, fn, input_signature=None, **kwargs):
        """Registers ``fn`` as endpoint ``name``, traced on ``input_signature`` (a structure of
        ``InputSpec``/``KerasTensor``; by default the inputs of the model ``fn`` is a method
        of). Returns a callable running the endpoint on numpy inputs."""
        del kwargs  # Keras' backend-specific options (jax2tf_kwargs, is_static)
        if name in self._endpoints:
            raise ValueError(f"Endpoint name '{name}' is already taken.")
        signature = input_signature or _default_signature(fn)
        inputs = tree.map_structure(_symbolic_input, list(signature))
        owner = getattr(fn, "__self__", None)
        if isinstance(owner, Layer) and getattr(fn, "__name__", "") == "call":
            fn = owner  # a layer's call, through __call__ so the graph records it
        outputs = fn(*inputs)
        from kgraph.models.functional import Functional

        model = Functional(inputs[0] if len(inputs) == 1 else inputs, outputs, name=name)
        self._endpoints[name] = model
        return lambda *args: model.predict(args[0] if len(args) == 1 else list(args), verbose=0)

    def track_and_add_endpoint(self, name, resource, input_signature, **kwargs):
        """``track(resource)``, then ``add_endpoint(name, resource.__call__, ...)``."""
        self.track(resource)
        return self.add_endpoint(name, resource.__call__, input_signature, **kwargs)

    def add_variable_collection(self, name, variables) -> None:
        """Saves ``variables`` (a list of Variables) under ``name`` (``<name>.npz``)."""
        if not isinstance(variables, (list, tuple, set)):
            raise ValueError(
                "Expected `variables` to be a list/tuple/set. "
                f"Received instead object of type '{type(variables)}'."
            )
        variables = list(variables)
        if not all(isinstance(v, Variable) for v in variables):
            raise ValueError(
                "Expected all elements in `variables` to be `Variable` instances. "
                f"Received instead the following types: {[type(v) for v in variables]}"
            )
        self._collections[name] = variables

    def write_out(self, filepath, options=None, verbose=True) -> None:
        """Writes the directory ``filepath``: ``<endpoint>.onnx`` and ``<collection>.npz``."""
        del options  # tf.saved_model.SaveOptions
        if not self._endpoints:
            raise ValueError(
                "No endpoints have been set yet. Call add_endpoint() to add an endpoint."
            )
        os.makedirs(filepath, exist_ok=True)
        for name, model in self._endpoints.items():
            model.export(os.path.join(filepath, f"{name}.onnx"), verbose=False)
        for name, variables in self._collections.items():
            arrays = {v.path.replace("/", "__"): v.numpy() for v in variables}
            np.savez(os.path.join(filepath, f"{name}.npz"), **arrays)
        if verbose:
            endpoints = ", ".join(f"{name}.onnx" for name in self._endpoints)
            print(f"Saved artifact at '{filepath}': {endpoints}")


def _symbolic_input(spec):
    if isinstance(spec, InputSpec):
        if spec.shape is None:
            raise ValueError(f"An InputSpec of an endpoint needs a `shape`. Received: {spec}")
        return Input(batch_shape=tuple(spec.shape), dtype=spec.dtype or "float32")
    if isinstance(spec, KerasTensor):
        return Input(batch_shape=tuple(spec.shape), dtype=spec.dtype)
    if hasattr(spec, "shape") and hasattr(spec, "dtype"):  # an array as an example
        return Input(batch_shape=(None, *np.shape(spec)[1:]), dtype=str(np.asarray(spec).dtype))
    raise ValueError(
        "Each element of `input_signature` must be a keras.InputSpec, a KerasTensor or an "
        f"array. Received: {spec}"
    )


def _default_signature(fn) -> list:
    """The inputs of the built model ``fn`` is a bound method of (``model.call``)."""
    owner = getattr(fn, "__self__", None)
    inputs = getattr(owner, "inputs", None)
    if not inputs:
        raise ValueError(
            "The `input_signature` argument must be provided: kgraph traces the endpoint "
            "from it (only the methods of a model with Inputs can leave it out)."
        )
    specs = [KerasTensor(t.shape, t.dtype) for t in inputs]
    return [specs] if len(specs) > 1 else specs  # call takes the list as one argument
