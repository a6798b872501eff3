"""``Functional``: a model defined by calling layers on symbolic tensors from ``Input``s.

The layer DAG is recovered from the outputs' histories; calling the model replays the DAG in
topological order, so the same code computes shapes (symbolic), emits IR (tracing) or runs eagerly.
"""

from __future__ import annotations

import inspect
import warnings

from kgraph.layers.core.input_layer import InputLayer
from kgraph.models import graph_cut
from kgraph.models.model import Model
from kgraph.saving.object_registration import get_registered_name
from kgraph.tensor import KerasTensor
from kgraph.utils import tree


def _producer(tensor: KerasTensor):
    layer, node_index, _ = tensor._history
    return layer._inbound_nodes[node_index]


def node_depths(nodes) -> dict[int, int]:
    """``{id(node): depth}``: a node's largest distance from an output (outputs are 0), as
    Keras counts it. A layer called at several depths lifts its later nodes to its deepest.
    ``nodes`` is the post-order (inputs first) list of the graph's nodes."""
    node_depth, layer_depth = {}, {}
    for node in reversed(nodes):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(node.layer, 0))
        layer_depth[node.layer] = node_depth[id(node)] = depth
        for t in node.input_tensors:
            parent = id(_producer(t))
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    return node_depth


def _keras_layer_order(inputs: list[KerasTensor], outputs: list[KerasTensor], nodes) -> list:
    """Layers in Keras' order, which fixes ``model.layers``, the weight order and the config.

    As Keras does: a layer's depth is its largest distance (in nodes) from an output; layers go
    from the deepest to depth 0, ties broken by when a depth-first walk from the outputs first
    meets them. ``nodes`` is the post-order (inputs first) list of the graph's nodes.
    """
    first_seen, finished = {}, set()

    def walk(tensor):
        node = _producer(tensor)
        if id(node) in finished:
            return
        first_seen.setdefault(node.layer, len(first_seen))
        for t in node.input_tensors:
            walk(t)
        finished.add(id(node))

    for t in outputs:
        walk(t)
    depths, layer_depth = node_depths(nodes), {}
    for node in nodes:
        layer_depth[node.layer] = max(layer_depth.get(node.layer, 0), depths[id(node)])
    for t in inputs:  # an input no output depends on still counts, at depth 0
        layer = t._history[0]
        if layer not in layer_depth:
            layer_depth[layer], first_seen[layer] = 0, -1
    return sorted(layer_depth, key=lambda layer: (-layer_depth[layer], first_seen[layer]))


def _refs_of(structure, ref):
    """Keras' ``input_layers``/``output_layers``: one ``[layer, node, index]`` for a single
    tensor, else a list (or dict) of them."""
    if isinstance(structure, KerasTensor):
        return ref(structure)
    if isinstance(structure, dict):
        return {key: ref(structure[key]) for key in sorted(structure)}
    return [ref(t) for t in tree.flatten(structure)]


def _saved_nodes(nodes, outputs) -> list:
    """The nodes a config lists: those the outputs reach through call arguments, leaving out
    the ops that only compute a Keras mask (see ``masking_support.add_mask_edges``)."""
    kept = {id(_producer(t)) for t in outputs}
    for node in reversed(nodes):  # consumers before producers
        if id(node) in kept:
            kept.update(id(_producer(t)) for t in _argument_tensors(node))
    return [n for n in nodes if id(n) in kept or isinstance(n.layer, InputLayer)]


def _argument_tensors(node) -> list:
    return [t for t in tree.flatten((node.args, node.kwargs)) if isinstance(t, KerasTensor)]


def _warn_on_renamed_inputs(inputs: dict) -> None:
    """Keras' warning when a dict key differs from its Input's name (data is still read by key)."""
    for key, tensor in inputs.items():
        history = tensor._history if isinstance(tensor, KerasTensor) else None
        name = history[0].name if history else None
        if name is not None and key != name:
            warnings.warn(
                "When providing `inputs` as a dict, all keys in the dict must match the names "
                f"of the corresponding tensors. Received key '{key}' mapping to value {tensor} "
                f"which has name '{name}'. Change the tensor name to '{key}' (via "
                f"`Input(..., name='{key}')`)",
                stacklevel=4,
            )


class Functional(Model):
    """A model built from ``inputs`` and ``outputs`` symbolic tensors."""

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._init_graph(inputs, outputs)

    def _init_graph(self, inputs, outputs) -> None:
        if isinstance(inputs, dict):
            _warn_on_renamed_inputs(inputs)
        graph_cut.check_outputs(outputs)
        if not all(graph_cut.is_input_tensor(t) for t in tree.flatten(inputs)):
            inputs, outputs = graph_cut.cut_at_inputs(inputs, outputs)  # as Keras
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self.inputs = tree.flatten(inputs)
        self.outputs = tree.flatten(outputs)
        self._nodes = graph_cut.topological_nodes(self.outputs)
        used = {id(t._history[0]) for t in self.inputs}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer) and id(node.layer) not in used:
                raise ValueError(
                    f"Output depends on Input '{node.layer.name}', which is not in "
                    "the model's inputs."
                )
        layers = _keras_layer_order(self.inputs, self.outputs, self._nodes)
        self._functional_layers = layers
        self._layers[:] = [layer for layer in layers if not isinstance(layer, InputLayer)]
        self.built = True

    @property
    def layers(self):
        """The model's layers in Keras' order; ops applied between layers are left out, as
        Keras leaves out its operation nodes (``summary()`` still shows them)."""
        from kgraph.layers.core.op_layer import OpLayer

        return [layer for layer in self._functional_layers if not isinstance(layer, OpLayer)]

    @property
    def input(self):
        """The model's Input tensor(s), structured as the model was built (one tensor, a list
        or a dict), as Keras' ``model.input``."""
        return getattr(self, "_inputs_struct", None)

    @property
    def output(self):
        """The model's output tensor(s), structured as the model was built."""
        return getattr(self, "_outputs_struct", None)

    @property
    def input_names(self) -> list[str]:
        return [t._history[0].name for t in self.inputs]

    def _input_keys(self) -> list[str] | None:
        """A model built with ``inputs={"a": x}`` reads dict data by ``"a"``, as Keras does;
        ``self.inputs`` is that dict flattened by sorted key, so the keys sort the same way."""
        if isinstance(self._inputs_struct, dict):
            return sorted(self._inputs_struct)
        return None

    @property
    def output_names(self) -> list[str]:
        """The output layers' names, made unique: a repeated one gets ``_<index>``, and an
        output that is a model input (returned as is) gets ``_output``, since an ONNX graph
        cannot have an input and an output of one name."""
        names, inputs = [], set(self.input_names)
        for t in self.outputs:
            name = t._history[0].name
            name = name if name not in inputs else f"{name}_output"
            names.append(name if name not in names else f"{name}_{len(names)}")
        return names

    def _target_names(self) -> list[str]:
        """The names ``compile``, targets and logs use for the outputs: a model built with
        ``outputs={"a": t}`` is addressed by its keys (sorted, as its outputs are flattened), as
        Keras does (``loss={"a": ...}``, ``y={"a": ...}``, ``a_loss``); else output_names."""
        if isinstance(self._outputs_struct, dict):
            return sorted(self._outputs_struct)
        return self.output_names

    def call(self, inputs, training=None):
        flat = tree.flatten(inputs) if not isinstance(inputs, KerasTensor) else [inputs]
        if len(flat) != len(self.inputs):
            raise ValueError(
                f"Model '{self.name}' expects {len(self.inputs)} input(s); received {len(flat)}."
            )
        values = {id(t): x for t, x in zip(self.inputs, flat)}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            args, kwargs = tree.map_structure(
                lambda v: values[id(v)] if isinstance(v, KerasTensor) else v,
                (node.args, node.kwargs),
            )
            if training is not None and node.layer._call_has_training:
                kwargs["training"] = training
            out = node.layer._call(tuple(args), dict(kwargs), record=False)
            for t, x in zip(node.output_tensors, tree.flatten(out)):
                values[id(t)] = x
        return tree.pack_like(self._outputs_struct, [values[id(t)] for t in self.outputs])

    def get_config(self):
        """Keras-style config: layers with their inbound nodes, input and output references."""
        from kgraph.saving.op_spelling import keras_node_entry
        from kgraph.saving.serialization_lib import serialize_keras_object

        local: dict[int, tuple[str, int]] = {}  # node id -> (layer name, index among its calls)
        counts: dict[int, int] = {}
        saved = _saved_nodes(self._nodes, self.outputs)
        for node in saved:
            local[id(node)] = (node.layer.name, counts.get(id(node.layer), 0))
            counts[id(node.layer)] = counts.get(id(node.layer), 0) + 1
        for t in self.inputs:  # an input no output uses is still listed, as Keras lists it
            local.setdefault(id(_producer(t)), (t._history[0].name, 0))

        def ref(t):
            layer, node_index, tensor_index = t._history
            name, index = local[id(layer._inbound_nodes[node_index])]
            return [name, index, tensor_index]

        def encode(v):  # Keras 3's spelling of a tensor argument, so configs interchange
            if not isinstance(v, KerasTensor):
                return v
            shape = list(v.shape)
            history = {"shape": shape, "dtype": v.dtype, "keras_history": ref(v)}
            return {"class_name": "__keras_tensor__", "config": history}

        layers = []
        for layer in self._functional_layers:
            nodes = [n for n in saved if n.layer is layer and not isinstance(layer, InputLayer)]
            if not nodes and not isinstance(layer, InputLayer):
                continue  # ops that only compute masks: a loaded model records them again
            keras_op = keras_node_entry(layer, nodes, encode)  # Keras' op nodes (x + y…)
            if keras_op is not None:
                layers.append(keras_op)
                continue
            registered = get_registered_name(type(layer))  # "package>Name" finds custom ones
            layers.append(
                {
                    "class_name": type(layer).__name__,
                    **({"registered_name": registered} if ">" in (registered or "") else {}),
                    "name": layer.name,
                    "config": serialize_keras_object(layer.get_config()),  # nested objects too
                    "inbound_nodes": [
                        {
                            "args": tree.map_structure(encode, list(n.args)),
                            "kwargs": tree.map_structure(encode, dict(n.kwargs)),
                        }
                        for n in nodes
                    ],
                }
            )
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layers,
            "input_layers": _refs_of(self._inputs_struct, ref),
            "output_layers": _refs_of(self._outputs_struct, ref),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The graph rebuilt as ``cls`` when ``cls`` takes Functional's arguments (a subclass
        built as ``Subclass(inputs, outputs)``), else ``cls(**config)``, as Keras decides."""
        from kgraph.saving.serialization import functional_from_config

        spec = inspect.getfullargspec(cls.__init__)
        revivable = (
            cls in (Functional, Model)
            or spec.args[1:] == inspect.getfullargspec(Functional.__init__).args[1:]
            or (spec.varargs is not None and spec.varkw is not None)
        )
        if revivable and "layers" in config:
            return functional_from_config(config, custom_objects, cls)
        return cls(**config)
