"""The engine's copy of a training step computes what the portable step computes: frozen
Conv + BatchNormalization folded into one Conv, NCHWc convolutions, same losses and weights."""

import numpy as np
import pytest

import kgraph
from kgraph import layers
from kgraph.compiler.engine_graph import engine_bytes
from kgraph.models.programs import step_spec
from kgraph.runtime import TrainingEngine
from kgraph.runtime.nchwc import nchwc_block_for


def transfer_model():
    """A frozen conv base (Conv + BatchNormalization + ReLU, twice) under a trained head."""
    kgraph.utils.set_random_seed(3)
    base = kgraph.Sequential(
        [
            kgraph.Input((12, 12, 3)),
            layers.Conv2D(16, 3, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2D(16, 3, padding="same"),
            layers.BatchNormalization(),
            layers.ReLU(),
        ],
        name="base",
    )
    rng = np.random.default_rng(0)
    for bn in (base.layers[1], base.layers[4]):  # statistics that are not the identity
        bn.moving_mean.assign(rng.normal(size=16).astype("float32"))
        bn.moving_variance.assign(rng.uniform(0.5, 2.0, 16).astype("float32"))
        bn.gamma.assign(rng.uniform(0.5, 1.5, 16).astype("float32"))
    base.trainable = False
    inputs = kgraph.Input((12, 12, 3))
    features = layers.GlobalAveragePooling2D()(base(inputs))
    model = kgraph.Model(inputs, layers.Dense(4, activation="softmax")(features))
    model.compile(optimizer=kgraph.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    return model


def run_steps(data: bytes, step, state: dict, feed: dict, count: int = 3):
    engine = TrainingEngine(data, step_spec(step), dict(state), "cpu")
    losses = [
        float(np.ravel(engine.run_step(feed, {"lr": 1e-2, "step": float(i + 1)})["loss"])[0])
        for i in range(count)
    ]
    return losses, engine.get_state()


def node_names(data: bytes) -> list[str]:
    from kgraph.compiler import serde

    return [f"{n.op_type}:{n.name}" for n in serde.load(data).graph]


@pytest.mark.parametrize("nchwc", [False, True], ids=["plain", "nchwc"])
def test_frozen_base_folds_and_trains_alike(nchwc):
    block = nchwc_block_for("cpu") if nchwc else None
    if nchwc and block is None:
        pytest.skip("no NCHWc kernels in this onnxruntime build or CPU")
    model = transfer_model()
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (8, 12, 12, 3)).astype("float32")
    y = rng.integers(0, 4, 8)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # builds the programs
    trainer = model._trainer
    step = trainer.programs().step
    state = dict(step.initial_state)
    state.update({v.path: v.numpy() for v in trainer.optimizer.slot_variables})
    feed = trainer.feed(next(iter(trainer.iterate(trainer.prepare(x, y, None), 8, False))), step)

    folded = engine_bytes(step, block)
    names = node_names(folded)
    assert not [n for n in names if "batch_normalization" in n and n.split(":")[0] in "SubMul"]
    assert any(n.startswith("Sub:") for n in node_names(step.to_bytes()))  # BN was there

    reference_losses, reference_state = run_steps(step.to_bytes(), step, state, feed)
    losses, new_state = run_steps(folded, step, state, feed)
    np.testing.assert_allclose(losses, reference_losses, rtol=1e-5)
    assert reference_losses[0] != reference_losses[-1]  # the head trains
    for path, value in reference_state.items():
        np.testing.assert_allclose(new_state[path], value, rtol=1e-4, atol=1e-6, err_msg=path)


def test_assigning_a_frozen_weight_reaches_the_next_fit():
    """Frozen weights are constants of the step and eval graphs (and folded into their convs);
    assigning one after a fit (``load_weights`` into a frozen base) rebuilds the programs."""
    model = transfer_model()
    model.optimizer.learning_rate.assign(0.0)  # the loss then only depends on the weights
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (8, 12, 12, 3)).astype("float32")
    y = rng.integers(0, 4, 8)
    before = model.fit(x, y, batch_size=8, verbose=0).history["loss"][0]
    bn = model.layers[1].layers[1]
    bn.moving_mean.assign(bn.moving_mean.numpy() + 5.0)
    probabilities = model.predict(x, verbose=0)
    expected = -np.mean(np.log(probabilities[np.arange(8), y]))  # numpy cross-entropy
    after = model.fit(x, y, batch_size=8, verbose=0).history["loss"][0]
    assert abs(after - before) > 1e-3
    np.testing.assert_allclose(after, expected, rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), expected, rtol=1e-5)


def test_evaluate_runs_the_engine_copy_of_the_eval_graph():
    """evaluate goes through the folded eval graph and reports what the portable one does."""
    model = transfer_model()
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (16, 12, 12, 3)).astype("float32")
    y = rng.integers(0, 4, 16)
    model.fit(x, y, batch_size=8, verbose=0)
    folded = model.evaluate(x, y, batch_size=8, verbose=0)
    trainer = model._trainer
    assert trainer._eval_data is not None and trainer._eval_data != trainer._programs.eval_bytes
    assert not [n for n in node_names(trainer._eval_data) if n.startswith("Sub:")]
    trainer._eval_data = trainer._programs.eval_bytes  # the portable graph, as saved
    np.testing.assert_allclose(folded, model.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-5)
