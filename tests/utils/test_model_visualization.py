"""``kgraph.utils.plot_model`` / ``model_to_dot``: the dot graph's nodes, edges and labels, a
rendered file when Graphviz is installed, and one clear message (no failure) without pydot or
Graphviz."""

from __future__ import annotations

import builtins
import shutil

import numpy as np
import pytest

import kgraph as keras
from kgraph.utils import model_visualization as viz

pydot = pytest.importorskip("pydot")


def _model():
    inner = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, activation="relu", name="d1"),
         keras.layers.Dense(2, name="d2")],
        name="inner",
    )  # fmt: skip
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    h = keras.layers.Add(name="add")([inner(a), keras.layers.Dense(2, name="skip")(b)])
    return keras.Model([a, b], keras.layers.Dense(1, name="head")(h))


def _labels(dot):
    return {n.get_name(): n.get("label") for n in dot.get_nodes() if n.get("label")}


def _edge_names(dot, model_layers):
    name_of = {str(id(layer)): layer.name for layer in model_layers}
    edges = [*dot.get_edges(), *(e for g in dot.get_subgraphs() for e in g.get_edges())]
    return {(name_of[e.get_source()], name_of[e.get_destination()]) for e in edges}


def test_functional_graph_nodes_and_edges():
    model = _model()
    dot = viz.model_to_dot(model, show_shapes=True, show_dtype=True, rankdir="LR", dpi=96)
    labels = _labels(dot)
    assert len(labels) == 6  # two inputs, the nested model, skip, add, head
    assert dot.get("rankdir") == "LR" and dot.get("dpi") == 96
    layers = model._functional_layers
    assert _edge_names(dot, layers) == {
        ("a", "inner"), ("b", "skip"), ("inner", "add"), ("skip", "add"), ("add", "head")
    }  # fmt: skip
    head = labels[str(id(model.get_layer("head")))]
    assert "<b>head</b> (Dense)" in head
    assert "Input shape: <b>(None, 2)</b>" in head and "Output shape: <b>(None, 1)</b>" in head
    assert "Output dtype: <b>float32</b>" in head
    add = labels[str(id(model.get_layer("add")))]
    assert "[(None, 2), (None, 2)]" in add


def test_expand_nested_draws_a_cluster_and_reaches_inside():
    model = _model()
    dot = viz.model_to_dot(model, expand_nested=True, show_layer_names=False)
    (cluster,) = dot.get_subgraphs()
    assert cluster.get("label") == "inner"
    inner = model.get_layer("inner")
    layers = [*model._functional_layers, *inner.layers]
    edges = _edge_names(dot, layers)
    assert ("a", "d1") in edges and ("d2", "add") in edges and ("d1", "d2") in edges
    assert all("(Dense)" not in label for label in _labels(dot).values())  # class names only


def test_sequential_chain_and_options():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="tanh")])
    model.add(keras.layers.Dense(1, trainable=False))
    dot = viz.model_to_dot(model, show_layer_activations=True, show_trainable=True)
    assert len(dot.get_edges()) == 1 and len(_labels(dot)) == 2
    text = " ".join(_labels(dot).values())
    assert "Activation: <b>tanh</b>" in text
    assert "<b>Trainable</b>" in text and "<b>Non-trainable</b>" in text


def test_errors():
    with pytest.raises(ValueError, match="not yet been built"):
        viz.model_to_dot(keras.Sequential([keras.layers.Dense(2)]))
    with pytest.raises(ValueError, match="Unrecognized keyword"):
        viz.model_to_dot(_model(), colour=True)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_plot_model_writes_the_image(tmp_path, suffix, magic):
    path = tmp_path / f"model{suffix}"
    keras.utils.plot_model(_model(), to_file=path, show_shapes=True, expand_nested=True, dpi=60)
    assert path.read_bytes().startswith(magic)
    if suffix == ".svg":
        assert "Output shape" in path.read_text() and "inner" in path.read_text()


def test_without_graphviz_one_message_and_no_failure(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    assert keras.utils.plot_model(_model(), to_file=tmp_path / "m.png") is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "install graphviz" in out
    assert not (tmp_path / "m.png").exists()


def test_without_pydot_one_message_and_no_failure(monkeypatch, capsys, tmp_path):
    real_import = builtins.__import__

    def no_pydot(name, *args, **kwargs):
        if name == "pydot":
            raise ImportError("No module named 'pydot'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pydot)
    assert keras.utils.plot_model(_model(), to_file=tmp_path / "m.png") is None
    assert capsys.readouterr().out == (
        "You must install pydot (`pip install pydot`) for `plot_model` to work.\n"
    )
    with pytest.raises(ImportError, match="pip install pydot"):
        keras.utils.model_to_dot(_model())


def test_predicting_still_works_after_plotting(tmp_path):
    model = _model()
    keras.utils.model_to_dot(model)
    x = np.ones((2, 4), np.float32)
    assert model.predict([x, x], verbose=0).shape == (2, 1)
