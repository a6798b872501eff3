"""The ``Layer`` base class: Keras' contract (``__init__`` validates, ``build`` creates weights
with ``add_weight``, ``call`` computes with ``kgraph.ops``, ``get_config`` round-trips).

A layer call runs in one of three modes, decided by its arguments (see ``kgraph.ops.core``):
symbolic KerasTensors record a node of the functional DAG; traced tensors emit IR under a name
scope equal to the layer name; numpy values run eagerly.
"""

from __future__ import annotations

import inspect

import numpy as np

from kgraph import regularizers, trace
from kgraph.layers import autocast, masking_support
from kgraph.layers.auto_config import (
    constructor_arguments,
    default,
    marking_built,
    wants_auto_config,
    with_arguments,
)
from kgraph.layers.input_spec import InputSpec, check_input_spec
from kgraph.layers.layer_dtypes import LayerDTypes
from kgraph.layers.layer_weights import LayerWeights
from kgraph.tensor import KerasTensor, Variable
from kgraph.utils import naming, tree


class Node:
    """One call of a layer on symbolic tensors: an edge bundle of the functional DAG."""

    def __init__(self, layer: Layer, args: tuple, kwargs: dict, outputs):
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs
        self.input_tensors = [t for t in tree.flatten((args, kwargs)) if isinstance(t, KerasTensor)]
        self.output_tensors = tree.flatten(outputs)


class Layer(LayerDTypes, LayerWeights):
    """Base class of every layer.

    Args:
        trainable: Whether the layer's weights are updated by training.
        name: Layer name; unique automatic names (``dense``, ``dense_1``) when omitted.
        dtype: A dtype or dtype policy (``"float32"``, ``"mixed_float16"``...; the global
            policy by default): the dtype of the weights and of the computations.
        activity_regularizer: Regularizer of the layer's outputs: training adds
            ``regularizer(output) / batch_size`` to the loss.
    """

    _auto_config = None  # plain constructor arguments of a layer without its own get_config

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "build" in vars(cls):
            cls.build = marking_built(vars(cls)["build"])

    def __new__(cls, *args, **kwargs):
        instance = super().__new__(cls)
        if wants_auto_config(cls):  # Keras' automatic config (auto_config.py)
            object.__setattr__(instance, "_auto_config", constructor_arguments(cls, args, kwargs))
        return instance

    @default
    def __init__(
        self, *, trainable=True, name=None, dtype=None, activity_regularizer=None, **kwargs
    ):
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        self.autocast = bool(kwargs.pop("autocast", True))  # see kgraph.layers.autocast
        if kwargs.get("quantization_config") is None:  # in every Keras 3.10+ config
            kwargs.pop("quantization_config", None)
        if kwargs:  # a ValueError in Keras, not Python's TypeError
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}"
            )
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(f"Layer name must be a string without '/'. Received: name={name!r}")
        object.__setattr__(self, "_layers", [])
        self.name = name or naming.auto_name(naming.to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype_policy = dtype
        self._own_weights: list[Variable] = []
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._activity_losses: list = []  # penalties of the last eager call
        self._added_losses: list = []  # add_loss() terms of the last eager call
        self.built = False
        self.input_spec: InputSpec | list | None = None
        self._inbound_nodes: list[Node] = []
        self._input_shape_arg = tuple(input_shape) if input_shape is not None else None
        parameters = inspect.signature(self.call).parameters
        self._call_has_training = "training" in parameters
        # Keras drops ``training=`` for a call that does not take it (Rescaling(x, training=True))
        self._drops_training = not self._call_has_training and not any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
        )

    def __setattr__(self, name, value):
        if isinstance(value, Layer) and name != "_outer":
            self._layers.append(value)
        elif (
            isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value)
        ):
            self._layers.extend(v for v in value if v not in self._layers)
        elif isinstance(value, Variable) and _untracked(self, value):  # a keras.Variable
            if value.path == value.name:  # unscoped: named under the layer, as add_weight
                value.path = f"{self.name}/{value.name}"
            self._own_weights.append(value)
        object.__setattr__(self, name, value)

    # -- weights ----------------------------------------------------------------------------
    # -- building and calling ----------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Creates the weights for inputs of ``input_shape``; the base only marks it built."""
        self.built = True

    def call(self, *args, **kwargs):
        """The computation, written with ``kgraph.ops``."""
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call().")

    def __call__(self, *args, **kwargs):
        return self._call(args, kwargs, record=True)

    def _call(self, args: tuple, kwargs: dict, record: bool):
        first = args[0] if args else next(iter(kwargs.values()))
        first_shapes = tree.map_structure(
            lambda t: (
                tuple(np.shape(t)) if not isinstance(t, (KerasTensor, Variable)) else tuple(t.shape)
            ),
            first,
        )
        symbolic = [t for t in tree.flatten((args, kwargs)) if isinstance(t, KerasTensor)]
        check_input_spec(self, self.input_spec, first)
        if not self.built:
            self._build_for(first_shapes)
        active = trace.current()
        call_kwargs = dict(kwargs)
        if self._call_has_training and call_kwargs.get("training") is None:
            call_kwargs["training"] = bool(active.training) if active is not None else False
        elif self._drops_training:
            call_kwargs.pop("training", None)
        call_kwargs, first_arg, mask = masking_support.call_masks(self, args, call_kwargs)
        if symbolic and all(t._value is None for t in symbolic):
            try:
                with trace.layer_call():
                    outputs = self._converted_call(args, call_kwargs)
                outputs = tree.map_structure(masking_support.symbolic_like, outputs)
                masking_support.attach_output_masks(self, first_arg, outputs, mask)  # op nodes
            except (ValueError, TypeError) as e:  # the same type, as Keras re-raises
                raise type(e)(
                    f"Layer '{self.name}' ({type(self).__name__}) cannot be called "
                    f"on input of shape {_shape_str(first_shapes)}: {e}"
                ) from None
            if record:
                self._record(args, kwargs, outputs)
                masking_support.add_mask_edges(self._inbound_nodes[-1], kwargs, call_kwargs)
            return outputs
        if active is not None and symbolic:
            with active.builder.scope(self.name, type(self).__name__), trace.layer_call():
                outputs = self._converted_call(args, call_kwargs)
                regularizers.record_activity(self, outputs, active)
                masking_support.attach_output_masks(self, first_arg, outputs, mask)
            return outputs
        self._added_losses = []
        with trace.layer_call():
            outputs = self._converted_call(args, call_kwargs)
            masking_support.attach_output_masks(self, first_arg, outputs, mask)
        regularizers.record_activity(self, outputs, None)
        return outputs

    def _converted_call(self, args: tuple, call_kwargs: dict):
        args, call_kwargs = autocast.convert_inputs(self, args, call_kwargs)
        with autocast.weights_read_as_compute_dtype(self):
            return self.call(*args, **call_kwargs)

    @property
    def supports_masking(self) -> bool:
        """Whether ``compute_mask`` gives the outputs' masks; as in Keras, True by default
        only for a layer that overrides ``compute_mask`` (see ``masking_support``)."""
        found = vars(self).get("_supports_masking")
        return found if found is not None else type(self).compute_mask is not Layer.compute_mask

    @supports_masking.setter
    def supports_masking(self, value) -> None:
        object.__setattr__(self, "_supports_masking", bool(value))

    def compute_mask(self, inputs, previous_mask):
        """The outputs' mask: the previous mask, passed on (for a layer that supports it)."""
        return previous_mask

    def add_metric(self, *args, **kwargs):
        """Removed in Keras 3, which raises as here: add the metric in ``compile(metrics=...)``,
        or keep a metric object and call its ``update_state``."""
        raise NotImplementedError(
            "Layer `add_metric()` method is deprecated. Add your metric in "
            "`Model.compile(metrics=[...])`, or create metric trackers in init() or build() "
            "when subclassing the layer or model, then call `metric.update_state()` whenever "
            "necessary."
        )

    def add_loss(self, loss) -> None:
        """Adds a loss term computed in ``call`` with ``kgraph.ops`` (a scalar; a tensor is
        summed). In a traced training or evaluation graph it is added to the loss, as Keras
        adds it; on an eager call it is listed by ``losses`` until the next call. Calls that
        only build a Functional model (symbolic, no values) record nothing."""
        active = trace.current()
        if active is not None:
            if active.losses is not None:
                active.losses.append(regularizers.scalar_loss(loss))
            return
        if not (isinstance(loss, KerasTensor) and loss._value is None):
            self._added_losses.append(regularizers.scalar_loss(loss))

    def _build_for(self, input_shapes) -> None:
        try:
            self.build(input_shapes)
        except (ValueError, TypeError) as e:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) cannot be built for "
                f"input shape {_shape_str(input_shapes)}: {e}"
            ) from None
        self.built = True
        self._build_input_shape = input_shapes

    def _record(self, args, kwargs, outputs) -> None:
        node = Node(self, args, kwargs, outputs)
        for i, t in enumerate(node.output_tensors):
            t._history = (self, len(self._inbound_nodes), i)
        self._inbound_nodes.append(node)

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape``, found by a symbolic call."""
        if _is_shape(input_shape):
            inputs = KerasTensor(input_shape, self.compute_dtype)
        else:
            inputs = [KerasTensor(s, self.compute_dtype) for s in input_shape]
        outputs = self._call((inputs,), {}, record=False)
        return tree.map_structure(lambda t: t.shape, outputs)

    # -- introspection -------------------------------------------------------------------------
    @property
    def input(self):
        return self._inbound_nodes[0].args[0] if self._inbound_nodes else None

    @property
    def output(self):
        return self._inbound_nodes[0].outputs if self._inbound_nodes else None

    @default
    def get_config(self) -> dict:
        """Constructor arguments that recreate this layer (without weights)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype_policy.name}
        if self._input_shape_arg is not None:
            config["input_shape"] = self._input_shape_arg
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if self._auto_config is not None:
            return with_arguments(self, config, self._auto_config)
        return config

    @classmethod
    def from_config(cls, config: dict):
        """Creates a layer from ``get_config()`` output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _untracked(layer, variable) -> bool:
    own = vars(layer).get("_own_weights")
    return own is not None and all(variable is not w for w in own)


def _is_shape(value) -> bool:
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


def _shape_str(shapes) -> str:
    return str(shapes)
