"""The graph builder that ``kgraph.ops`` emit into.

A :class:`GraphBuilder` owns one ``onnx_ir.Graph`` under construction. It gives every node a
deterministic name scoped by the layer that emitted it (``conv2d/Conv``), keeps model parameters as
named values (``conv2d/kernel``) so a training graph can later turn them into graph inputs, and
turns numpy constants into named initializers.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import onnx_ir as ir

DEFAULT_OPSET = 21


def ir_dtype(dtype: Any) -> ir.DataType:
    """Returns the ONNX element type for a numpy-compatible dtype (or ``"string"``)."""
    if isinstance(dtype, str) and dtype == "string":
        return ir.DataType.STRING
    return ir.DataType.from_numpy(np.dtype(dtype))


def ir_shape(shape: Sequence[int | str | None], owner: str | None = None) -> ir.Shape:
    """Returns an ``ir.Shape`` whose unknown first dim is the symbol ``batch``.

    Other unknown dims are named after ``owner`` (a graph input: ``x_dim1``) or left
    anonymous. A symbol tells onnxruntime that every dim carrying it has one size: a shared
    ``dim1`` made two inputs of different lengths (cross-attention's query and value) equal,
    and its memory planner refused to run them.
    """
    dims: list[int | str | None] = []
    for axis, dim in enumerate(shape):
        if dim is None and axis == 0:
            dims.append("batch")
        elif dim is None:
            dims.append(None if owner is None else f"{owner}_dim{axis}")
        else:
            dims.append(dim)
    return ir.Shape(dims)


def typed_like(value: ir.Value, reference: ir.Value) -> ir.Value:
    """Gives ``value`` the type and shape of ``reference`` (graph outputs need them), e.g. a
    state update those of the state it replaces; returns ``value``."""
    if reference.type is not None:
        value.type = reference.type
    if reference.shape is not None:
        value.shape = ir.Shape(list(reference.shape))
    return value


def attributes_of(attrs: Mapping[str, Any]) -> list[ir.Attr]:
    """``ir.convenience.convert_attributes`` with a fast path for non-empty lists of ints,
    floats or strings: onnx_ir first tests a list against its Graph and Tensor protocols, and
    ``isinstance`` against a Protocol costs about 0.3 ms on Python 3.11 (a tenth of tracing a
    ResNet50). The ``Attr`` built is the one onnx_ir would build. (``ir.Tensor`` rather than
    ``ir.tensor`` for numpy arrays below saves the same protocol tests.)"""
    result = []
    for name, value in attrs.items():
        if isinstance(value, (list, tuple)) and value:
            if all(isinstance(v, int) for v in value):
                result.append(ir.AttrInt64s(name, value))
                continue
            if all(isinstance(v, float) for v in value):
                result.append(ir.AttrFloat32s(name, value))
                continue
            if all(isinstance(v, str) for v in value):
                result.append(ir.AttrStrings(name, value))
                continue
        result.append(ir.convenience.convert_attribute(name, value))
    return result


def _contiguous(array: np.ndarray) -> np.ndarray:
    """``array`` made C-contiguous, keeping 0-d shapes (``ascontiguousarray`` returns 1-d)."""
    return np.ascontiguousarray(array).reshape(array.shape)


class GraphBuilder:
    """Builds one ONNX graph through onnx_ir, with scoped names and named parameters.

    Args:
        name: Graph name shown by viewers.
        opset: The default-domain opset the emitted nodes target.
    """

    def __init__(self, name: str = "kgraph", opset: int = DEFAULT_OPSET) -> None:
        self.opset = opset
        self.graph = ir.Graph([], [], nodes=[], opset_imports={"": opset}, name=name)
        self.parameters: dict[str, ir.Value] = {}
        self.trainable: dict[str, bool] = {}
        self._scopes: list[str] = []
        self._classes: list[str | None] = []  # the layer class of each scope, when one
        self._calls: list[str] = []  # ``name:n`` for the n-th call of a layer at this path
        self._used: Counter[str] = Counter()
        self._constants: dict[tuple, ir.Value] = {}

    @classmethod
    def wrap(cls, graph: ir.Graph, opset: int | None = None) -> GraphBuilder:
        """Returns a builder that appends to an existing ``graph`` (e.g. to add a backward pass).

        Names already used by the graph's nodes, values and initializers are reserved, so the
        new nodes never collide with them. ``opset`` defaults to the graph's default-domain opset.
        """
        builder = cls(
            name=graph.name or "kgraph", opset=opset or graph.opset_imports.get("", DEFAULT_OPSET)
        )
        builder.graph = graph
        names = [v.name for v in [*graph.inputs, *graph.initializers.values()]]
        for node in graph:
            names.append(node.name)
            names.extend(v.name for v in node.outputs)
        builder._used.update(name for name in names if name)
        return builder

    # -- naming -------------------------------------------------------------------------
    @contextlib.contextmanager
    def scope(
        self, name: str, layer_class: str | None = None, *, root: bool = False
    ) -> Iterator[None]:
        """Prefixes the names of nodes emitted inside the block with ``name/``; a layer's scope
        also names its class, recorded in each node's metadata (viewers show who emitted it).

        ``root`` marks the traced model's own scope: its name leads every node name and
        ``layer_path`` (``model/block_1/conv2d/Conv``), but the model is the graph itself, not a
        layer call in it, so ``layer_call`` and ``layer_classes`` list only the layers inside
        (``kgraph compile --functions`` outlines those, not the whole model)."""
        self._scopes.append(name)
        self._classes.append(layer_class)
        path = "/".join(self._scopes)
        self._calls.append("" if root else f"{name}:{self._used[path + '/#call']}")
        self._used[path + "/#call"] += 1
        try:
            yield
        finally:
            self._scopes.pop()
            self._classes.pop()
            self._calls.pop()

    def _layer_metadata(self) -> dict[str, str]:
        """``layer``, ``layer_class`` and ``layer_path`` of the innermost layer scope, and
        ``layer_call`` (the path with each layer's call number: shared layers' calls differ)."""
        for depth in range(len(self._scopes) - 1, -1, -1):
            if self._classes[depth] is not None:
                scopes = zip(self._calls[: depth + 1], self._classes[: depth + 1])
                calls = [(call, c or "") for call, c in scopes if call]  # the root is no call
                found = {
                    "layer": self._scopes[depth],
                    "layer_class": self._classes[depth],
                    "layer_path": "/".join(self._scopes[: depth + 1]),
                }
                if calls:
                    found["layer_call"] = "/".join(call for call, _ in calls)
                    found["layer_classes"] = "/".join(c for _, c in calls)
                return found
        return {}

    def unique_name(self, base: str) -> str:
        """Returns ``scope/base``, suffixed ``_1``, ``_2`` … when already taken."""
        full = "/".join([*self._scopes, base])
        count = self._used[full]
        self._used[full] += 1
        return full if count == 0 else f"{full}_{count}"

    # -- graph interface ----------------------------------------------------------------
    def input(self, name: str, shape: Sequence[int | str | None], dtype: Any) -> ir.Value:
        """Declares a graph input."""
        shape = ir_shape(shape, owner=name)
        value = ir.Value(name=name, type=ir.TensorType(ir_dtype(dtype)), shape=shape)
        self.graph.inputs.append(value)
        return value

    def output(self, value: ir.Value, name: str) -> ir.Value:
        """Marks ``value`` as a graph output called ``name`` (through Identity if needed)."""
        if value.is_graph_input() or value.is_graph_output() or value.is_initializer():
            value = self.op("Identity", [value], name=name)
        value.name = name
        self.graph.outputs.append(value)
        return value

    def parameter(self, path: str, array: np.ndarray, trainable: bool = True) -> ir.Value:
        """Returns the value for the parameter called ``path``, registering it once."""
        if path not in self.parameters:
            value = ir.Value(
                name=path,
                type=ir.TensorType(ir_dtype(array.dtype)),
                shape=ir.Shape(array.shape),
                const_value=ir.Tensor(_contiguous(array), name=path),
            )
            self.graph.register_initializer(value)
            self.parameters[path] = value
            self.trainable[path] = trainable
        return self.parameters[path]

    def constant(self, array: Any, dtype: Any = None) -> ir.Value:
        """Returns an initializer holding ``array``; equal small constants are shared."""
        array = np.asarray(array, dtype=dtype)
        key = (array.dtype.str, array.shape, array.tobytes()) if array.size <= 64 else None
        if key is not None and key in self._constants:
            return self._constants[key]
        name = self.unique_name("const")
        value = ir.Value(
            name=name,
            type=ir.TensorType(ir_dtype(array.dtype)),
            shape=ir.Shape(array.shape),
            const_value=ir.Tensor(_contiguous(array), name=name),
        )
        self.graph.register_initializer(value)
        if key is not None:
            self._constants[key] = value
        return value

    def op(
        self,
        op_type: str,
        inputs: Sequence[ir.Value | None],
        attributes: Mapping[str, Any] | None = None,
        *,
        num_outputs: int = 1,
        name: str | None = None,
        dtype: Any = None,
        shape: Sequence[int | str | None] | None = None,
    ) -> Any:
        """Appends one node and returns its output value (a tuple when ``num_outputs > 1``).

        Args:
            op_type: ONNX operator in the default domain.
            inputs: Input values; ``None`` for an omitted optional input.
            attributes: Python values, converted to ONNX attributes.
            num_outputs: Number of outputs to create.
            name: Base name of the node inside the current scope (default: ``op_type``).
            dtype: Element type of the (first) output when known.
            shape: Static shape of the (first) output when known.
        """
        attrs = {k: v for k, v in (attributes or {}).items() if v is not None}
        node_name = self.unique_name(name or op_type)
        outputs = [
            ir.Value(name=node_name if num_outputs == 1 else f"{node_name}:{i}")
            for i in range(num_outputs)
        ]
        node = ir.Node(
            "",
            op_type,
            inputs,
            attributes_of(attrs),
            outputs=outputs,
            name=node_name,
            metadata_props=self._layer_metadata() or None,
        )
        self.graph.append(node)
        if dtype is not None:
            outputs[0].type = ir.TensorType(ir_dtype(dtype))
        if shape is not None:
            outputs[0].shape = ir_shape(shape)
        return outputs[0] if num_outputs == 1 else tuple(outputs)
