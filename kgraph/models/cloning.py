"""``clone_model``: the same architecture with new layers, hence new (freshly initialised)
weights, as Keras' ``keras.models.clone_model``. Copy weights with
``clone.set_weights(model.get_weights())``."""

from __future__ import annotations

from kgraph.layers.core.input_layer import Input, InputLayer
from kgraph.layers.core.op_layer import OpLayer
from kgraph.models.functional import Functional
from kgraph.models.sequential import Sequential
from kgraph.tensor import KerasTensor
from kgraph.utils import tree


def _from_config(layer):
    return layer.__class__.from_config(layer.get_config())


def clone_model(
    model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs
):
    """Clones a Sequential or Functional model (any model through its config).

    Args:
        model: The model to clone.
        input_tensors: Optional ``kgraph.Input`` tensors (a structure like the model's inputs)
            to build the clone on; new Inputs of the same shapes by default.
        clone_function: ``fn(layer) -> layer`` making each new layer; by default
            ``layer.__class__.from_config(layer.get_config())``.
        call_function: ``fn(layer, *args, **kwargs)`` calling each new layer in a Functional
            model; the layer's own call by default.
        recursive: Whether nested Sequential/Functional models are cloned layer by layer with
            ``clone_function`` (else ``clone_function`` clones them whole).
    """
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {sorted(kwargs)}")
    custom = clone_function is not None or call_function is not None or input_tensors is not None
    clone_function = clone_function or _from_config
    if recursive:
        outer = clone_function

        def clone_function(layer):
            if isinstance(layer, (Sequential, Functional)):
                return clone_model(layer, clone_function=outer, recursive=True)
            return outer(layer)

    if isinstance(model, (Sequential, Functional)):
        if isinstance(model, Sequential):
            clone = _clone_sequential(model, input_tensors, clone_function)
        else:
            clone = _clone_functional(model, input_tensors, clone_function, call_function)
        if getattr(model, "compiled", False):  # Keras compiles the clone alike (new optimizer)
            clone.compile_from_config(model.get_compile_config())
        return clone
    if custom:
        raise ValueError(
            "Arguments `clone_function`, `call_function` and `input_tensors` are only "
            f"supported for Sequential or Functional models. Received: model={model}"
        )
    return _from_config(model)  # a subclassed model, through its get_config


def _clone_sequential(model, input_tensors, clone_function):
    layers = [clone_function(layer) for layer in model.layers]
    if input_tensors is not None:
        start = tree.flatten(input_tensors)
        if len(start) != 1:
            raise ValueError(
                f"A Sequential model takes one input tensor. Received: {input_tensors}"
            )
        layers = [start[0], *layers]
    elif model.built and model.inputs:
        spec = model.inputs[0]
        layers = [Input(shape=spec.shape[1:], dtype=spec.dtype), *layers]
    return Sequential(layers, trainable=model.trainable, name=model.name)


def _clone_functional(model, input_tensors, clone_function, call_function):
    if input_tensors is None:
        new_inputs = [
            Input(shape=t.shape[1:], dtype=t.dtype, name=t._history[0].name) for t in model.inputs
        ]
    else:
        new_inputs = tree.flatten(input_tensors)
        if len(new_inputs) != len(model.inputs):
            raise ValueError(
                f"The model has {len(model.inputs)} input(s). Received: input_tensors="
                f"{input_tensors}"
            )
    values = {id(t): x for t, x in zip(model.inputs, new_inputs)}
    clones: dict[int, object] = {}
    for node in model._nodes:
        if isinstance(node.layer, InputLayer):
            continue
        layer = clones.get(id(node.layer))
        if layer is None:  # a shared layer is cloned once and shared again
            maker = _from_config if isinstance(node.layer, OpLayer) else clone_function
            layer = clones[id(node.layer)] = maker(node.layer)
        args, call_kwargs = tree.map_structure(
            lambda v: values[id(v)] if isinstance(v, KerasTensor) else v, (node.args, node.kwargs)
        )
        if call_function is not None and not isinstance(layer, OpLayer):
            out = call_function(layer, *args, **call_kwargs)
        else:
            out = layer(*args, **call_kwargs)
        for old, new in zip(node.output_tensors, tree.flatten(out)):
            values[id(old)] = new
    inputs = tree.pack_like(model._inputs_struct, new_inputs)
    outputs = tree.pack_like(model._outputs_struct, [values[id(t)] for t in model.outputs])
    return Functional(inputs, outputs, name=model.name, trainable=model.trainable)
