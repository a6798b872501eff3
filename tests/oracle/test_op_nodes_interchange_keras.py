"""Oracle: ops applied between layers (``x + inputs``, ``ops.relu(x)``, ``x[:, :2]``…) cross
``.keras`` files between kgraph and real Keras 3 (JAX) both ways.

kgraph writes them as Keras' own op nodes (``keras.src.ops.numpy.Add``…), so Keras' loader
rebuilds the model; the reference is the same program built natively in Keras with the same
weights, and the kgraph model that saved the file."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

RNG = np.random.default_rng(3)
A = RNG.normal(size=(3, 4, 3)).astype(np.float32)
B = RNG.normal(size=(3, 4, 3)).astype(np.float32)

#: name -> program on (ops, x, y): x is a Dense output and y an Input, both (batch, 4, 3).
PROGRAMS = {
    "residual_add": lambda ops, x, y: x + y,
    "relu": lambda ops, x, y: ops.relu(x),
    "slice": lambda ops, x, y: x[:, 1:],
    "concatenate": lambda ops, x, y: ops.concatenate([x, y], axis=-1),
    "reshape": lambda ops, x, y: ops.reshape(x, (-1, 3, 4)),
    "transpose": lambda ops, x, y: ops.transpose(x, (0, 2, 1)),
    "mean_axis": lambda ops, x, y: ops.mean(x, axis=1),
    "scalar_multiply": lambda ops, x, y: x * 0.5,
    "scalar_first_subtract": lambda ops, x, y: 2.0 - x,
}
SLOW_PROGRAMS = {
    "divide_power": lambda ops, x, y: (x / (ops.abs(y) + 1.0)) ** 2,
    "max_min_maximum": lambda ops, x, y: ops.maximum(ops.max(x, axis=-1), ops.min(y, axis=-1)),
    "sum_keepdims": lambda ops, x, y: ops.sum(x * y, axis=(1, 2), keepdims=True),
    "stack": lambda ops, x, y: ops.stack([x, y], axis=1),
    "expand_squeeze": lambda ops, x, y: ops.squeeze(ops.expand_dims(x, 2), 2) - y,
    "matmul": lambda ops, x, y: ops.matmul(x, ops.transpose(y, (0, 2, 1))),
    "cast": lambda ops, x, y: ops.cast(ops.cast(x * 4.0, "int32"), "float32"),
    "where": lambda ops, x, y: ops.where(x > y, x, y),
    "where_scalar": lambda ops, x, y: ops.where(x > 0, x, 0.0),
    "integer_and_step_index": lambda ops, x, y: x[:, 0, ::2] + y[:, -1, 1:],
    "newaxis_ellipsis_index": lambda ops, x, y: x[..., None, 1] * y[:, None, :, 2],
    "activations": lambda ops, x, y: ops.sigmoid(x) + ops.tanh(y) + ops.softmax(x, axis=1),
    "gelu_silu": lambda ops, x, y: kgraph_or_keras(ops).activations.gelu(x) + ops.silu(y),
    "leaky_elu_clip": lambda ops, x, y: ops.leaky_relu(x) + ops.elu(y) + ops.clip(x, -0.5, 0.5),
    "exp_log_sqrt": lambda ops, x, y: ops.exp(-ops.square(x)) + ops.log1p(ops.sqrt(ops.abs(y))),
    "argmax_any": lambda ops, x, y: (
        ops.cast(ops.argmax(x, axis=-1), "float32") + ops.cast(ops.any(y > 1.0, axis=-1), "float32")
    ),
    "comparisons": lambda ops, x, y: ops.cast(ops.logical_and(x >= 0, y < 0.5), "float32"),
    "tile_flip_cumsum": lambda ops, x, y: ops.cumsum(ops.flip(ops.tile(x, (1, 2, 1)), 1), 1),
    "var": lambda ops, x, y: ops.var(x, axis=1),
    "negative_steps": lambda ops, x, y: x[:, ::-1] + y[:, -2::-2][:, :1] - x[:, :, -1:],
    "one_item_key": lambda ops, x, y: ops.transpose(x, (1, 0, 2))[2],
    "softmax_family": lambda ops, x, y: (
        ops.log_softmax(x, axis=1) + ops.logsumexp(y, axis=-1, keepdims=True) + ops.hard_sigmoid(x)
    ),
    "erf_stop_gradient_tril": lambda ops, x, y: ops.erf(ops.stop_gradient(x)) + ops.tril(y),
    "einsum_take_repeat": lambda ops, x, y: (
        ops.einsum("bij,bkj->bik", x, y)[:, :, :3]
        + ops.take(x, np.array([0, 2, 1]), axis=2)
        + ops.repeat(y, 2, axis=1)[:, ::2]
    ),
    "split_round_take_along": lambda ops, x, y: (
        ops.split(x, 2, axis=1)[1]
        + ops.round(y[:, :2], 1)
        + ops.take_along_axis(x, ops.cast(ops.abs(y[:, :2]) > 0.5, "int32"), axis=1)
    ),
    "one_hot": lambda ops, x, y: ops.one_hot(ops.argmax(x, axis=-1), 3) * y,
    "numpy_constants": lambda ops, x, y: x * np.array([1.0, -2.0, 0.5], np.float32) + y**2 + 1,
    "unary_operators": lambda ops, x, y: -abs(x) + ops.cast(~(y > 0), "float32"),
    "resize_top_k": lambda ops, x, y: (
        ops.image.resize(x[..., None], (8, 3))[..., 0][:, :4] + ops.top_k(y, 3)[0]
    ),
    "bool_arithmetic": lambda ops, x, y: ops.cast((x > 0) + (y > 0), "float32"),
}


def kgraph_or_keras(ops):
    return keras if ops is keras.ops else kgraph


def build(k, program):
    x_in = k.Input((4, 3), name="x_in")
    y_in = k.Input((4, 3), name="y_in")
    x = k.layers.Dense(3, name="dense")(x_in)
    out = program(k.ops, x, y_in)
    return k.Model([x_in, y_in], k.layers.Dense(2, name="head")(out))


def op_entries(path) -> list[dict]:
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    return [
        item
        for item in config["config"]["layers"]
        if item["class_name"] not in ("InputLayer", "Dense")
    ]


def check_kgraph_file_in_keras(tmp_path, program):
    ours = build(kgraph, program)
    theirs = build(keras, program)  # the independent reference: Keras' own graph
    weights = [RNG.normal(size=w.shape).astype(np.float32) * 0.5 for w in ours.weights]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    want = theirs.predict([A, B], verbose=0)
    ours.save(tmp_path / "ops.keras")
    entries = op_entries(tmp_path / "ops.keras")
    assert entries and all(e["module"].startswith("keras.src.ops.") for e in entries), entries
    loaded = keras.saving.load_model(tmp_path / "ops.keras")
    np.testing.assert_allclose(loaded.predict([A, B], verbose=0), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.predict([A, B], verbose=0), want, rtol=1e-4, atol=1e-5)
    again = kgraph.models.load_model(tmp_path / "ops.keras")  # and kgraph reads its own file
    np.testing.assert_allclose(again.predict([A, B], verbose=0), want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_kgraph_op_nodes_load_in_keras(tmp_path, name):
    check_kgraph_file_in_keras(tmp_path, PROGRAMS[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW_PROGRAMS))
def test_more_kgraph_op_nodes_load_in_keras(tmp_path, name):
    check_kgraph_file_in_keras(tmp_path, SLOW_PROGRAMS[name])


def test_op_nodes_are_spelled_as_keras_spells_them(tmp_path):
    """Module, class and arguments of each op node are those of Keras' own file."""

    def program(ops, x, y):
        z = ops.concatenate([ops.relu(x + y)[:, 1:], y[:, :3]], axis=1)
        return ops.mean(ops.transpose(ops.reshape(z, (-1, 3, 6)), (0, 2, 1)), axis=1) * 0.5

    spelled = []
    for k in (kgraph, keras):
        build(k, program).save(tmp_path / f"{k.__name__}.keras")
        entries = op_entries(tmp_path / f"{k.__name__}.keras")
        spelled.append(
            sorted(
                (e["module"], e["class_name"], json.dumps(e["inbound_nodes"][0]["args"][1:]))
                + tuple(sorted((key, str(v)) for key, v in e["config"].items() if key != "name"))
                for e in entries
            )
        )
    assert spelled[0] == spelled[1]


def test_keras_transformer_residual_round_trips(tmp_path):
    """keras.io's timeseries Transformer block (``res = x + inputs``) saved by kgraph loads in
    Keras and predicts the same; Keras' file loads back in kgraph."""

    def block(k):
        inputs = k.Input((6, 4), name="seq")
        x = k.layers.LayerNormalization(epsilon=1e-6)(inputs)
        x = k.layers.MultiHeadAttention(key_dim=4, num_heads=2, dropout=0.1)(x, x)
        res = x + inputs
        x = k.layers.LayerNormalization(epsilon=1e-6)(res)
        x = k.layers.Conv1D(filters=3, kernel_size=1, activation="relu")(x)
        x = k.layers.Conv1D(filters=4, kernel_size=1)(x)
        return k.Model(inputs, x + res)

    ours, theirs = block(kgraph), block(keras)
    ours.set_weights([w * 1.5 + 0.1 for w in ours.get_weights()])
    theirs.set_weights(ours.get_weights())
    seq = RNG.normal(size=(2, 6, 4)).astype(np.float32)
    want = theirs.predict(seq, verbose=0)
    ours.save(tmp_path / "block.keras")
    loaded = keras.saving.load_model(tmp_path / "block.keras")
    np.testing.assert_allclose(loaded.predict(seq, verbose=0), want, rtol=1e-4, atol=1e-5)
    theirs.save(tmp_path / "keras_block.keras")
    back = kgraph.models.load_model(tmp_path / "keras_block.keras")
    np.testing.assert_allclose(back.predict(seq, verbose=0), want, rtol=1e-4, atol=1e-5)


def test_ops_keras_lacks_stay_kgraph_op_layers(tmp_path):
    """A call Keras cannot express (here a reshape that keeps the batch size with kgraph's
    ``None``) is still saved as kgraph's ``OpLayer``: kgraph loads the file, Keras cannot."""
    inputs = kgraph.Input((4, 3), name="seq")
    ops = kgraph.ops
    flat = ops.reshape(inputs, (ops.shape(inputs)[0], -1)) + 1.0
    model = kgraph.Model(inputs, kgraph.layers.Dense(2, name="head")(flat))
    model.save(tmp_path / "flat.keras")
    classes = [e["class_name"] for e in op_entries(tmp_path / "flat.keras")]
    assert "OpLayer" in classes and "Add" in classes
    back = kgraph.models.load_model(tmp_path / "flat.keras")
    np.testing.assert_allclose(back.predict(A, verbose=0), model.predict(A, verbose=0))
    with pytest.raises(TypeError, match="OpLayer"):
        keras.saving.load_model(tmp_path / "flat.keras")


def test_op_nodes_of_a_nested_model_load_in_keras_after_a_kgraph_round_trip(tmp_path):
    """A model used as a layer keeps its op nodes in Keras' spelling, also once kgraph has
    loaded the file (its nodes are then Keras' op nodes) and saved it again."""

    def build_nested(k):
        a = k.Input((4,), name="ia")
        hidden = k.layers.Dense(4, name="d")(a)
        inner = k.Model(a, k.ops.relu(hidden) * 2.0 + a, name="inner")
        b = k.Input((4,), name="b")
        y = inner(b)
        return k.Model(b, y[:, :2] - k.ops.mean(y, axis=-1, keepdims=True))

    ours, theirs = build_nested(kgraph), build_nested(keras)
    weights = [RNG.normal(size=w.shape).astype(np.float32) for w in ours.weights]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    x = RNG.normal(size=(3, 4)).astype(np.float32)
    want = theirs.predict(x, verbose=0)
    ours.save(tmp_path / "nested.keras")
    kgraph.models.load_model(tmp_path / "nested.keras").save(tmp_path / "again.keras")
    for name in ("nested.keras", "again.keras"):
        loaded = keras.saving.load_model(tmp_path / name)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)


def test_in_memory_configs_interchange():
    """``get_config()`` spells op nodes as Keras does, so either library rebuilds the other's
    config (``Model.from_config``) and predicts the same."""
    program = SLOW_PROGRAMS["integer_and_step_index"]
    ours, theirs = build(kgraph, program), build(keras, program)
    weights = [RNG.normal(size=w.shape).astype(np.float32) for w in ours.weights]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    want = theirs.predict([A, B], verbose=0)
    for target, source in ((keras, ours), (kgraph, theirs), (kgraph, ours)):
        rebuilt = target.Model.from_config(source.get_config())
        rebuilt.set_weights(weights)
        np.testing.assert_allclose(rebuilt.predict([A, B], verbose=0), want, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted({**PROGRAMS, **SLOW_PROGRAMS}))
def test_keras_op_nodes_load_in_kgraph(tmp_path, name):
    theirs = build(keras, {**PROGRAMS, **SLOW_PROGRAMS}[name])
    theirs.set_weights([RNG.normal(size=w.shape).astype(np.float32) for w in theirs.weights])
    theirs.save(tmp_path / "keras_ops.keras")
    ours = kgraph.models.load_model(tmp_path / "keras_ops.keras")
    want = theirs.predict([A, B], verbose=0)
    np.testing.assert_allclose(ours.predict([A, B], verbose=0), want, rtol=1e-4, atol=1e-5)
