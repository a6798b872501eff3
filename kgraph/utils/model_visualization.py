"""``plot_model`` and ``model_to_dot``: a model's layer graph drawn through pydot and Graphviz,
as Keras draws it (one node per layer, an HTML table label with the name, shapes and dtype).

pydot (``pip install kgraph[plot]``) and Graphviz's ``dot`` program (``apt-get install
graphviz``, ``brew install graphviz``) are optional: without them ``plot_model`` prints one line
saying what to install and returns None, so a script that plots its model still runs.
"""

from __future__ import annotations

import itertools
import os
import shutil

from kgraph.utils import tree

_NO_PYDOT = "You must install pydot (`pip install pydot`) for `plot_model` to work."
_NO_GRAPHVIZ = (
    "You must install graphviz (see instructions at https://graphviz.gitlab.io/download/, "
    "e.g. `apt-get install graphviz`) for `plot_model` to work."
)


def _pydot():
    try:
        import pydot
    except ImportError:
        return None
    return pydot


def check_pydot() -> bool:
    """Whether pydot can be imported."""
    return _pydot() is not None


def check_graphviz() -> bool:
    """Whether pydot and Graphviz's ``dot`` program are both available."""
    pydot = _pydot()
    if pydot is None or shutil.which("dot") is None:
        return False
    try:
        pydot.Dot.create(pydot.Dot())
    except (OSError, pydot.PydotException):
        return False
    return True


def _shape_text(structure) -> str:
    if structure is None:
        return "?"
    shapes = tree.map_structure(lambda t: tuple(t.shape), structure)
    if isinstance(shapes, dict):
        return ", ".join(f"{k}: {v}" for k, v in shapes.items())
    return str(shapes)


def _cell(text: str, bgcolor: str = "white", color: str | None = None, size: int = 14) -> str:
    font = f'<font point-size="{size}"' + (f' color="{color}">' if color else ">")
    return f'<td bgcolor="{bgcolor}">{font}{text}</font></td>'


def _activation_name(layer) -> str:
    activation = layer.activation
    return getattr(activation, "__name__", None) or getattr(activation, "name", str(activation))


def layer_label(layer, options: dict) -> str:
    """The HTML-like table label of one layer's node."""
    class_name = type(layer).__name__
    title = (
        f"<b>{layer.name}</b> ({class_name})"
        if options["show_layer_names"]
        else f"<b>{class_name}</b>"
    )
    rows, cols = [], []
    if options["show_layer_activations"] and getattr(layer, "activation", None) is not None:
        rows.append(f"Activation: <b>{_activation_name(layer)}</b>")
    if options["show_shapes"]:
        if class_name != "InputLayer":
            cols.append(_cell(f"Input shape: <b>{_shape_text(layer.input)}</b>"))
        cols.append(_cell(f"Output shape: <b>{_shape_text(layer.output)}</b>"))
    if options["show_dtype"]:
        output = layer.output
        dtype = tree.map_structure(lambda t: t.dtype, output) if output is not None else "?"
        cols.append(_cell(f"Output dtype: <b>{dtype}</b>"))
    if options["show_trainable"] and layer.weights:
        trainable = (
            ("forestgreen", "Trainable") if layer.trainable else ("firebrick", "Non-trainable")
        )
        cols.append(_cell(f"<b>{trainable[1]}</b>", trainable[0], "white"))
    # the title spans the columns the options ask for (as Keras counts them), present or not
    wanted = 2 * options["show_shapes"] + options["show_dtype"] + options["show_trainable"]
    span = max(1, int(wanted))
    table = '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    title_cell = _cell(title, "black", "white", 16).replace("<td ", f'<td colspan="{span}" ')
    table += f"<tr>{title_cell}</tr>"
    for row in rows:
        font = f'<font point-size="14">{row}</font>'
        table += f'<tr><td bgcolor="white" colspan="{span}">{font}</td></tr>'
    if cols:
        table += f"<tr>{''.join(cols)}</tr>"
    return table + "</table>>"


def _node(pydot, layer, options):
    node = pydot.Node(str(id(layer)), label=layer_label(layer, options))
    node.set("fontname", "Helvetica")
    node.set("border", "0")
    node.set("margin", "0")
    return node


def _add_edge(pydot, dot, source, destination) -> None:
    src, dst = str(id(source)), str(id(destination))
    if not dot.get_edge(src, dst):
        edge = pydot.Edge(src, dst)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


def _graph(pydot, model, subgraph: bool, rankdir, dpi, splines):
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
        return dot
    dot = pydot.Dot()
    dot.set("rankdir", rankdir)
    dot.set("concentrate", True)
    dot.set("dpi", dpi)
    dot.set("splines", splines)
    dot.set_node_defaults(shape="record")
    return dot


def _is_graph_model(layer) -> bool:
    from kgraph.models.functional import Functional

    return isinstance(layer, Functional)


def _entry(model, input_index: int):
    """The drawn layer a nested model's ``input_index``-th input goes to."""
    from kgraph.models.sequential import Sequential

    while _is_graph_model(model):
        if isinstance(model, Sequential):
            model = model.layers[0]
        else:
            model = model.inputs[input_index]._history[0]
    return model


def _exit(model, output_index: int):
    """The drawn layer producing a nested model's ``output_index``-th output."""
    while _is_graph_model(model):
        model = model.outputs[output_index]._history[0]
    return model


def _edges(pydot, dot, model, expand_nested: bool) -> None:
    from kgraph.layers.core.input_layer import InputLayer
    from kgraph.models.sequential import Sequential

    layers = model.layers
    if isinstance(model, Sequential) and not expand_nested:
        for source, destination in itertools.pairwise(layers):
            _add_edge(pydot, dot, source, destination)
        return
    first = layers[0] if isinstance(model, Sequential) and layers else None
    for node in model._nodes:
        if node.layer is first or isinstance(node.layer, InputLayer):
            continue
        for input_index, tensor in enumerate(node.input_tensors):
            source, _, output_index = tensor._history
            destination = node.layer
            if isinstance(model, Sequential) and isinstance(source, InputLayer):
                continue
            if expand_nested:
                source, destination = _exit(source, output_index), _entry(destination, input_index)
            _add_edge(pydot, dot, source, destination)


def model_to_dot(
    model,
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    subgraph=False,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    **kwargs,
):
    """The model's layer graph as a ``pydot.Dot`` (a ``pydot.Cluster`` with ``subgraph``).

    Args:
        model: A built model.
        show_shapes: Show each layer's input and output shapes.
        show_dtype: Show each layer's output dtype.
        show_layer_names: Show layer names (with the class name).
        rankdir: ``"TB"`` (vertical) or ``"LR"`` (horizontal).
        expand_nested: Draw nested models' layers inside dashed clusters.
        dpi: Image resolution.
        subgraph: Return a cluster (for nesting).
        show_layer_activations: Show the ``activation`` of layers that have one.
        show_trainable: Mark layers with weights as trainable or not.
        splines: Graphviz edge style (``"ortho"``, ``"curved"``, ``"polyline"``, ...).

    Raises:
        ValueError: for a model that is not built, or an unknown keyword argument.
        ImportError: when pydot is not installed.
    """
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` "
            "or by calling the model on a batch of data."
        )
    pydot = _pydot()
    if pydot is None:
        raise ImportError("You must install pydot (`pip install pydot`) for model_to_dot to work.")
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    options = {
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_dtype": show_dtype,
        "show_shapes": show_shapes,
        "show_trainable": show_trainable,
    }
    dot = _graph(pydot, model, subgraph, rankdir, dpi, splines)
    if not _is_graph_model(model):  # a subclassed model: one node
        dot.add_node(_node(pydot, model, options))
        return dot
    from kgraph.models.sequential import Sequential

    layers = model.layers if isinstance(model, Sequential) else model._functional_layers
    for layer in layers:
        if expand_nested and _is_graph_model(layer):
            nested = model_to_dot(
                layer, show_shapes, show_dtype, show_layer_names, rankdir, expand_nested,
                subgraph=True, show_layer_activations=show_layer_activations,
                show_trainable=show_trainable,
            )  # fmt: skip
            dot.add_subgraph(nested)
        else:
            dot.add_node(_node(pydot, layer, options))
    _edges(pydot, dot, model, expand_nested)
    return dot


def plot_model(
    model,
    to_file="model.png",
    show_shapes=False,
    show_dtype=False,
    show_layer_names=False,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    **kwargs,
):
    """Draws the model's layer graph into ``to_file`` (``.png``, ``.svg``, ``.pdf``, ``.dot``...
    by its extension), as Keras does.

    Arguments as :func:`model_to_dot`, plus ``to_file``. Without pydot or Graphviz it prints
    what to install and returns None instead of failing.

    Returns:
        An ``IPython.display.Image`` of a PNG when IPython is installed, else None.
    """
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` "
            "or by calling the model on a batch of data."
        )
    if not check_pydot():
        print(_NO_PYDOT)
        return None
    if not check_graphviz():
        print(_NO_GRAPHVIZ)
        return None
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        splines=splines,
        **kwargs,
    )
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    dot.write(to_file, format="raw" if extension == "dot" else extension)
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
