"""kgraph's ops between layers written as Keras 3 op nodes, so Keras loads the saved model.

A kgraph ``OpLayer`` records one ``kgraph.ops.core`` op, its call template and attributes.
Keras 3 saves ``x + y`` or ``ops.mean(x, axis=1)`` between layers as an operation entry: the
class in ``keras.src.ops.<module>``, the class's constructor arguments as its config
(``{"name": "mean", "axis": 1, "keepdims": false}``), and the call's tensors and constants as
the inbound node's ``args`` (``[x, 0.5]``, ``[[a, b]]`` for ``concatenate``, ``[x, key]`` for
``x[key]``). :func:`keras_spelling` gives that spelling for the ops Keras has; an op without one
(kgraph's own helpers, ``slice_runtime``…) stays an ``OpLayer``, which only kgraph loads.
A public kgraph function that is several internal ops (``ops.max`` with its NaN check,
``ops.stack``) becomes several Keras nodes that compute the same values.
"""

from __future__ import annotations

from kgraph.saving import op_spellers

_NUMPY, _NN, _MATH, _CORE = (f"keras.src.ops.{m}" for m in ("numpy", "nn", "math", "core"))

_NUMPY_PLAIN = """abs add subtract multiply divide matmul power maximum minimum equal not_equal
greater greater_equal less less_equal logical_and logical_or logical_xor logical_not negative
reciprocal sign sqrt square exp exp2 expm1 log log2 log10 log1p sin cos tan tanh sinh cosh arcsin
arccos arctan arcsinh arccosh arctanh arctan2 floor ceil trunc isnan isinf isfinite floor_divide
mod copy where deg2rad rad2deg""".split()  # noqa: SIM905
_NN_PLAIN = "relu sigmoid softplus softsign selu hard_sigmoid hard_silu".split()  # noqa: SIM905

#: Ops whose Keras class takes no argument but ``name`` and whose call takes the same
#: operands in the same order.
_PLAIN = {
    **dict.fromkeys(_NUMPY_PLAIN, _NUMPY),
    **dict.fromkeys(_NN_PLAIN, _NN),
    **dict.fromkeys(["erf", "erfc", "erfinv", "rsqrt"], _MATH),
    "stop_gradient": _CORE,
}
_PLAIN_CLASS = {"log1p": "Log1p", "deg2rad": "Deg2rad", "rad2deg": "Rad2deg"}  # not CamelCase
#: Boolean arithmetic: Keras' classes take bools too (``x + y`` of bools is their ``or``).
_BOOL = {
    "add_bool": "Add",
    "multiply_bool": "Multiply",
    "maximum_bool": "Maximum",
    "minimum_bool": "Minimum",
}

#: Reductions: kgraph's ``axes`` / ``keepdims`` are the Keras class's ``axis`` / ``keepdims``.
#: ``ops.max`` / ``ops.min`` check for NaN with a max over a uint8 flag (``*_nan_flag``).
_REDUCTIONS = {
    "mean": "Mean",
    "sum": "Sum",
    "max": "Max",
    "min": "Min",
    "prod": "Prod",
    "var": "Var",
    "max_nan_flag": "Max",
    "min_nan_flag": "Max",
    "nan_flag": "Max",
}
_ONNX_REDUCTIONS = {"ReduceMax": "Any", "ReduceMin": "All", "ArgMax": "Argmax", "ArgMin": "Argmin"}


def _camel(op: str) -> str:
    return "".join(part.title() for part in op.split("_"))


def _axis(axes):
    """kgraph's axes tuple as Keras writes an ``axis`` argument (an int when there is one)."""
    if axes is None:
        return None
    axes = [int(a) for a in axes]
    return axes[0] if len(axes) == 1 else axes


def _ints(values):
    return None if values is None else [int(v) for v in values]


def _reduction(class_name: str):
    def spell(attrs, args):
        if set(attrs) != {"axes", "keepdims"}:
            return None
        arguments = {"axis": _axis(attrs["axes"]), "keepdims": bool(attrs["keepdims"])}
        if class_name in ("Max", "Min"):
            arguments["initial"] = None
        return _NUMPY, class_name, arguments, args

    return spell


def _one(key: str, argument: str, module: str, class_name: str, convert=lambda v: v):
    """An op with one attribute, Keras' constructor argument ``argument``."""

    def spell(attrs, args):
        if set(attrs) != {key}:
            return None
        return module, class_name, {argument: convert(attrs[key])}, args

    return spell


def _by_onnx_op(attrs, args):
    """``ops.any`` / ``ops.all`` (``truth_reduction``) and ``ops.argmax`` / ``ops.argmin``
    (``arg_extremum``): the ONNX op they lower to names Keras' class."""
    class_name = _ONNX_REDUCTIONS.get(attrs.pop("onnx_op", None))
    if class_name is None:
        return None
    if "axes" in attrs:
        return _reduction(class_name)(attrs, args)
    if set(attrs) != {"axis", "keepdims"}:
        return None
    arguments = {"axis": _axis(None if attrs["axis"] is None else [attrs["axis"]])}
    return _NUMPY, class_name, {**arguments, "keepdims": bool(attrs["keepdims"])}, args


def _clip(attrs, args):
    if set(attrs) != {"x_min", "x_max", "dtype"}:
        return None
    return _NUMPY, "Clip", {"x_min": attrs["x_min"], "x_max": attrs["x_max"]}, args


def _attributes(module: str, class_name: str, renamed: dict):
    """An op whose attributes are all constructor arguments of Keras' class (``renamed``
    maps kgraph's attribute to Keras' argument)."""

    def spell(attrs, args):
        if set(attrs) != set(renamed):
            return None
        return module, class_name, {renamed[k]: v for k, v in attrs.items()}, args

    return spell


_SPELLERS = {
    **{op: _reduction(name) for op, name in _REDUCTIONS.items()},
    "logsumexp": lambda attrs, args: _retag(_reduction("Logsumexp")(attrs, args), _MATH),
    "truth_reduction": _by_onnx_op,
    "arg_extremum": _by_onnx_op,
    "argmax": lambda attrs, args: _by_onnx_op({**attrs, "onnx_op": "ArgMax"}, args),
    "clip": _clip,
    "concatenate": op_spellers.concatenate,
    "image.resize": op_spellers.resize,
    "top_k": op_spellers.top_k,
    "split": op_spellers.split,
    "einsum": _attributes(_NUMPY, "Einsum", {"equation": "subscripts"}),
    "take": _attributes(_NUMPY, "Take", {"axis": "axis"}),
    "take_along_axis": _attributes(_NUMPY, "TakeAlongAxis", {"axis": "axis"}),
    "repeat": _attributes(_NUMPY, "Repeat", {"repeats": "repeats", "axis": "axis"}),
    "round": _attributes(_NUMPY, "Round", {"decimals": "decimals"}),
    "one_hot": op_spellers.one_hot,
    "where_scalar": op_spellers.where_scalar,
    "get_item": op_spellers.get_item,
    "reshape": lambda attrs, args: (
        None
        if None in (attrs.get("newshape") or ())  # kgraph's None keeps the batch dim; Keras' fails
        else _one("newshape", "newshape", _NUMPY, "Reshape", _ints)(attrs, args)
    ),
    "transpose": _one("axes", "axes", _NUMPY, "Transpose", _ints),
    "expand_dims": _one("axes", "axis", _NUMPY, "ExpandDims", _axis),
    "squeeze": _one("axes", "axis", _NUMPY, "Squeeze", _axis),
    "flip": _one("axes", "axis", _NUMPY, "Flip", _axis),
    "tile": _one("repeats", "repeats", _NUMPY, "Tile", _ints),
    "tril": _one("k", "k", _NUMPY, "Tril", int),
    "triu": _one("k", "k", _NUMPY, "Triu", int),
    "cumsum": _one("axis", "axis", _NUMPY, "Cumsum"),
    "cast": _one("dtype", "dtype", _CORE, "Cast", str),
    "softmax": _one("axis", "axis", _NN, "Softmax", int),
    "log_softmax": _one("axis", "axis", _NN, "LogSoftmax", int),
    "celu": _one("alpha", "alpha", _NN, "Celu", float),
    "elu": _one("alpha", "alpha", _NN, "Elu", float),
    "leaky_relu": _one("alpha", "negative_slope", _NN, "LeakyRelu", float),
}


def _retag(spelling, module):
    return None if spelling is None else (module, *spelling[1:])


def keras_spelling(op: str, args: list, attrs: dict):
    """``(module, class_name, arguments, call_args)`` of Keras' op node for kgraph's ``op``
    called on ``args`` (tensors and constants, in call order) with ``attrs``; None when Keras
    has no such op (the node then stays a kgraph ``OpLayer``)."""
    if op in _PLAIN or op in _BOOL:
        module, class_name = _PLAIN.get(op, _NUMPY), _BOOL.get(op) or _PLAIN_CLASS.get(op)
        return (module, class_name or _camel(op), {}, list(args)) if not attrs else None
    speller = _SPELLERS.get(op)
    return speller(dict(attrs), list(args)) if speller is not None else None


def keras_node_entry(layer, nodes: list, encode) -> dict | None:
    """A functional config's entry for an op between layers, as Keras writes its op nodes
    (``module`` / ``class_name`` / ``config`` / ``registered_name``, ``name`` and
    ``inbound_nodes``); None for a layer, or for an ``OpLayer`` whose op Keras lacks.

    ``nodes`` are the layer's calls in the config; ``encode`` writes one tensor
    (``__keras_tensor__`` with its history).
    """
    from kgraph.layers.core.op_layer import OpLayer
    from kgraph.saving.keras_ops import KerasOpNode, keras_item
    from kgraph.saving.serialization_lib import serialize_keras_object

    if not isinstance(layer, OpLayer):
        return None
    if isinstance(layer, KerasOpNode):  # loaded from Keras' spelling: written back in it
        item = keras_item(serialize_keras_object(layer.get_config()))
        calls = [(list(n.args), dict(n.kwargs)) for n in nodes]
    else:
        if len(nodes) != 1 or nodes[0].kwargs:
            return None
        call_args = layer.call_arguments(list(nodes[0].args))
        spelling = keras_spelling(layer.op, call_args, layer.attrs)
        if spelling is None:
            return None
        module, class_name, arguments, call_args = spelling
        config = {"name": layer.name, "module": module, "class_name": class_name, **arguments}
        item = keras_item(serialize_keras_object(config))
        calls = [(call_args, {})]
    inbound = [{"args": _write(a, encode), "kwargs": _write(k, encode)} for a, k in calls]
    return {**item, "name": layer.name, "inbound_nodes": inbound}


def _write(value, encode):
    """Call arguments as Keras writes them: tensors by history, constants serialized."""
    from kgraph.saving.serialization_lib import serialize_keras_object
    from kgraph.tensor import KerasTensor

    if isinstance(value, KerasTensor):
        return encode(value)
    if isinstance(value, (list, tuple)) and any(isinstance(v, KerasTensor) for v in value):
        return [_write(v, encode) for v in value]
    if isinstance(value, dict):
        return {key: _write(v, encode) for key, v in value.items()}
    if isinstance(value, list):
        return [_write(v, encode) for v in value]
    return serialize_keras_object(value)
