"""Oracle: Keras masks between layers against real Keras (JAX) with shared weights: masked
models predict the same (in kgraph and through the exported ONNX graph in onnxruntime), and a
model whose per-timestep output carries a mask trains with the same SGD losses."""

from __future__ import annotations

import warnings

import numpy as np
import onnxruntime as ort
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [
    *MARKS,
    pytest.mark.usefixtures("numpy_initial_weights"),
    pytest.mark.filterwarnings("ignore:Layer 'global_max_pooling1d':UserWarning"),
    pytest.mark.filterwarnings("ignore:Layer 'flatten':UserWarning"),
]

RNG = np.random.default_rng(11)
STEPS = 6


def _ids(rows=4):
    """Token ids 1..11 right-padded with zeros to different lengths (one row fully used)."""
    ids = RNG.integers(1, 12, (rows, STEPS)).astype(np.int32)
    for row, length in enumerate([2, STEPS, 4, 1, 5, 3, 6, 2][:rows]):
        ids[row, length:] = 0
    return ids


def _features():
    x = RNG.standard_normal((4, STEPS, 3)).astype(np.float32)
    x[0, 3:] = 0.0
    x[2, 1:3] = 0.0
    x[3, 5] = 0.0
    return x


def _embedding_average(lib):
    L = lib.layers
    ids = lib.Input((STEPS,), dtype="int32")
    x = L.GlobalAveragePooling1D()(L.Embedding(12, 4, mask_zero=True)(ids))
    return lib.Model(ids, L.Dense(3)(x))


def _masking_max(lib):
    """GlobalMaxPooling1D does not support masking in Keras: it warns and pools every step."""
    L = lib.layers
    x = lib.Input((STEPS, 3))
    return lib.Model(x, L.GlobalMaxPooling1D()(L.Dense(4)(L.Masking()(x))))


def _concatenate(axis):
    def build(lib):
        L = lib.layers
        ids = lib.Input((STEPS,), dtype="int32")
        masked = L.Embedding(12, 4, mask_zero=True)(ids)
        plain = L.Dense(4)(L.Embedding(12, 4)(ids))
        joined = L.Concatenate(axis=axis)([masked, plain])
        return lib.Model(ids, L.GlobalAveragePooling1D()(L.Dense(3)(joined)))

    return build


def _attention(lib):
    L = lib.layers
    ids = lib.Input((STEPS,), dtype="int32")
    x = L.Embedding(12, 4, mask_zero=True)(ids)
    x = L.LayerNormalization()(L.Add()([x, L.MultiHeadAttention(2, 3)(x, x)]))
    return lib.Model(ids, L.Dense(2)(L.GlobalAveragePooling1D()(x)))


def _lstm(lib):
    L = lib.layers
    ids = lib.Input((STEPS,), dtype="int32")
    return lib.Model(ids, L.Dense(2)(L.LSTM(3)(L.Embedding(12, 4, mask_zero=True)(ids))))


def _time_distributed(lib):
    """TimeDistributed gives its inner layer the folded mask: each sentence of a document is
    averaged over its own unpadded words."""
    L = lib.layers
    ids = lib.Input((3, STEPS), dtype="int32")
    sentences = L.TimeDistributed(L.GlobalAveragePooling1D())(
        L.Embedding(12, 4, mask_zero=True)(ids)
    )
    return lib.Model(ids, L.Dense(2)(L.Flatten()(sentences)))


def _documents():
    ids = np.stack([_ids(3) for _ in range(4)])
    ids[0, 1, 1:] = 0
    return ids


CASES = {
    "embedding-average": (_embedding_average, _ids),
    "masking-max": (_masking_max, _features),
    "concatenate-features": (_concatenate(-1), _ids),
    "concatenate-steps": (_concatenate(1), _ids),
    "multi-head-attention": (_attention, _ids),
    "embedding-lstm": (_lstm, _ids),
    "time-distributed": (_time_distributed, _documents),
}


def _matched(build):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GlobalMaxPooling1D's and Flatten's lost-mask warning
        ours, theirs = build(kgraph), build(keras)
    weights = [RNG.uniform(-0.6, 0.6, tuple(w.shape)).astype(np.float32) for w in theirs.weights]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return ours, theirs


@pytest.mark.parametrize("name", list(CASES))
def test_masked_model_predicts_as_keras_and_through_onnx(name):
    build, data = CASES[name]
    ours, theirs = _matched(build)
    x = data()
    expected = np.asarray(theirs(x))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    session = ort.InferenceSession(ours.to_onnx_bytes(), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def _tagger(lib):
    """A per-timestep tagger: its output carries the embedding's mask (through Dense), so the
    loss skips the padding."""
    L = lib.layers
    ids = lib.Input((STEPS,), dtype="int32")
    x = L.Dense(5, activation="tanh")(L.Embedding(12, 4, mask_zero=True)(ids))
    model = lib.Model(ids, L.Dense(3)(x))
    model.compile(
        optimizer=lib.optimizers.SGD(0.2),
        loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def _masked_regressor(lib):
    """Masking -> LSTM(return_sequences) -> Dense: a masked per-timestep regression."""
    L = lib.layers
    x = lib.Input((STEPS, 3))
    h = L.LSTM(4, return_sequences=True)(L.Masking()(x))
    model = lib.Model(x, L.Dense(2)(h))
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    return model


def _user_loss_regressor(lib):
    """A user's loss function on a masked per-timestep output: Keras' wrapper weights its
    per-step values by the mask, as a built-in loss."""
    L = lib.layers
    ids = lib.Input((STEPS,), dtype="int32")
    model = lib.Model(ids, L.Dense(2)(L.Embedding(12, 4, mask_zero=True)(ids)))

    def squared(y_true, y_pred):
        return lib.ops.mean(lib.ops.square(y_pred - y_true), axis=-1)

    model.compile(optimizer=lib.optimizers.SGD(0.1), loss=squared)
    return model


def _batch_norm_classifier(lib):
    """BatchNormalization reads the embedding's mask: its training moments (and so its moving
    statistics) skip the padding."""
    L = lib.layers
    ids = lib.Input((STEPS,), dtype="int32")
    h = L.BatchNormalization()(L.Dense(4)(L.Embedding(12, 4, mask_zero=True)(ids)))
    model = lib.Model(ids, L.Dense(2)(L.GlobalAveragePooling1D()(h)))
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    return model


@pytest.mark.parametrize(
    "build",
    [_tagger, _masked_regressor, _user_loss_regressor, _batch_norm_classifier],
    ids=["tagger", "masking-lstm", "user-loss", "batch-norm"],
)
def test_fit_on_masked_outputs_loses_what_keras_loses(build):
    ours, theirs = _matched(build)
    if build is _tagger:
        x, y = _ids(8), RNG.integers(0, 3, (8, STEPS)).astype(np.int32)
    elif build is _user_loss_regressor:
        x, y = _ids(8), RNG.standard_normal((8, STEPS, 2)).astype(np.float32)
    elif build is _batch_norm_classifier:
        x, y = _ids(8), RNG.standard_normal((8, 2)).astype(np.float32)
    else:
        x = np.concatenate([_features(), _features()])
        y = RNG.standard_normal((8, STEPS, 2)).astype(np.float32)
    kwargs = dict(batch_size=4, epochs=2, shuffle=False, verbose=0)
    got = ours.fit(x, y, **kwargs).history["loss"]
    want = theirs.fit(x, y, **kwargs).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):  # moving statistics too
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    # Keras' JAX train step loses the mask of the metrics' predictions (the mask of a traced
    # array does not survive jax.value_and_grad), so fit's metrics are compared by evaluate,
    # where Keras weights them by the mask.
    np.testing.assert_allclose(
        ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_a_saved_masked_model_loads_in_keras(tmp_path):
    """The mask's ops stay out of the saved config (both libraries compute masks again when
    they load it), so Keras loads kgraph's file and predicts the same."""
    ours, _ = _matched(_concatenate(1))
    path = str(tmp_path / "masked.keras")
    ours.save(path)
    loaded = keras.saving.load_model(path)
    x = _ids()
    np.testing.assert_allclose(
        np.asarray(loaded(x)), ours.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in ours.layers]
