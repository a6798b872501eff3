"""Oracle: ``kgraph.utils.model_to_dot`` draws the graph Keras' ``model_to_dot`` draws: the same
node labels (HTML tables) and edges, by layer name, and the same graph attributes."""

from __future__ import annotations

import re

import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS
pytest.importorskip("pydot")


def _build(lib):
    inner = lib.Sequential(
        [lib.Input((4,)), lib.layers.Dense(3, activation="relu", name="d1"),
         lib.layers.Dense(2, name="d2", trainable=False)],
        name="inner",
    )  # fmt: skip
    a, b = lib.Input((4,), name="a"), lib.Input((4,), name="b")
    h = lib.layers.Add(name="add")([inner(a), lib.layers.Dense(2, name="skip")(b)])
    x = lib.layers.Concatenate(name="cat")([h, a])
    return lib.Model([a, b], lib.layers.Dense(1, activation="sigmoid", name="head")(x))


def _graph(dot):
    """(sorted labels, sorted edges by layer name, graph attributes)."""
    nodes = {n.get_name(): n.get("label") for n in dot.get_nodes() if n.get("label")}
    edges = list(dot.get_edges())
    for sub in dot.get_subgraphs():
        nodes.update({n.get_name(): n.get("label") for n in sub.get_nodes() if n.get("label")})
        edges += sub.get_edges()

    def name(node_id):
        return re.search(r"<b>(.*?)</b>", nodes[node_id]).group(1)

    pairs = sorted((name(e.get_source()), name(e.get_destination())) for e in edges)
    return sorted(nodes.values()), pairs, dot.get_attributes()


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"show_shapes": True, "show_dtype": True},
        {"show_layer_activations": True, "show_trainable": True, "show_layer_names": False},
        {"expand_nested": True, "show_shapes": True, "rankdir": "LR", "dpi": 72},
    ],
    ids=["plain", "shapes_dtype", "activations_trainable", "nested"],
)
def test_model_to_dot_matches_keras(options):
    ours = _graph(kgraph.utils.model_to_dot(_build(kgraph), **options))
    theirs = _graph(keras.utils.model_to_dot(_build(keras), **options))
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]
    assert ours[2] == theirs[2]
