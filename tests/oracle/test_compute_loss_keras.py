"""Oracle: models overriding ``compute_loss`` train in kgraph as in real Keras (JAX backend).

Two of Keras' documented patterns, built alike in both libraries from the same weights (Keras'
copied into kgraph's sub-models) and fit with ``shuffle=False`` on batches of unequal size:

- a VAE trained without targets, whose ``compute_loss`` calls its own encoder and decoder and
  updates ``Mean`` trackers listed by its ``metrics`` property. Its sampling is made
  deterministic in both libraries the same way: ``z = z_mean + exp(z_log_var / 2) * eps`` with
  one fixed ``eps`` array instead of a random draw.
- a model adding a term to ``super().compute_loss`` (compiled ``mse`` and ``mae`` metric).

``history.history`` (keys, their values, validation included), ``evaluate`` and the final
weights match.
"""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS]

RNG = np.random.default_rng(3)
IMAGES = RNG.uniform(size=(40, 4, 4, 1)).astype("float32")
EPS = RNG.normal(size=(2,)).astype("float32")
X = RNG.normal(size=(40, 5)).astype("float32")
Y = RNG.normal(size=(40, 3)).astype("float32")


def _vae(lib):
    ops = lib.ops

    class FixedSampling(lib.layers.Layer):
        def call(self, inputs):
            z_mean, z_log_var = inputs
            return z_mean + ops.exp(0.5 * z_log_var) * EPS

    inputs = lib.Input((4, 4, 1))
    h = lib.layers.Dense(8, activation="relu")(lib.layers.Flatten()(inputs))
    z_mean, z_log_var = lib.layers.Dense(2)(h), lib.layers.Dense(2)(h)
    z = FixedSampling()([z_mean, z_log_var])
    encoder = lib.Model(inputs, [z_mean, z_log_var, z], name="encoder")
    code = lib.Input((2,))
    image = lib.layers.Reshape((4, 4, 1))(lib.layers.Dense(16, activation="sigmoid")(code))
    decoder = lib.Model(code, image, name="decoder")

    class VAE(lib.Model):
        def __init__(self, encoder, decoder, **kw):
            super().__init__(**kw)
            self.encoder, self.decoder = encoder, decoder
            self.total_loss_tracker = lib.metrics.Mean(name="total_loss")
            self.kl_loss_tracker = lib.metrics.Mean(name="kl_loss")

        @property
        def metrics(self):
            return [self.total_loss_tracker, self.kl_loss_tracker]

        def call(self, x):
            return self.decoder(self.encoder(x)[2])

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            z_mean, z_log_var, z = self.encoder(x)
            bce = lib.losses.binary_crossentropy(x, self.decoder(z))
            rec = ops.mean(ops.sum(bce, axis=(1, 2)))
            kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl = ops.mean(ops.sum(kl, axis=1))
            total = rec + kl
            self.total_loss_tracker.update_state(total)
            self.kl_loss_tracker.update_state(kl)
            return total

    return VAE(encoder, decoder)


def _penalized(lib):
    ops = lib.ops

    class Penalized(lib.Model):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.hidden = lib.layers.Dense(4, activation="tanh")
            self.out = lib.layers.Dense(3)

        def call(self, x):
            return self.out(self.hidden(x))

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            loss = super().compute_loss(x, y, y_pred, sample_weight, training)
            return loss + 0.01 * ops.sum(ops.square(y_pred))

    return Penalized()


def _assert_history(ours, theirs):
    assert set(ours) == set(theirs)
    for key, values in theirs.items():
        np.testing.assert_allclose(ours[key], values, rtol=1e-5, atol=1e-6, err_msg=key)


def test_vae_without_targets_matches_keras():
    theirs = _vae(keras)
    theirs(IMAGES[:1])
    ours = _vae(kgraph)
    ours(IMAGES[:1])
    ours.encoder.set_weights(theirs.encoder.get_weights())
    ours.decoder.set_weights(theirs.decoder.get_weights())
    for model, lib in ((ours, kgraph), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.Adam(0.01))
    kwargs = dict(batch_size=16, epochs=2, shuffle=False, verbose=0, validation_split=0.25)
    got = ours.fit(IMAGES, **kwargs).history
    want = theirs.fit(IMAGES, **kwargs).history
    assert list(got) == ["total_loss", "kl_loss", "val_total_loss", "val_kl_loss"]
    _assert_history(got, want)
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, keras_weight, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        ours.evaluate(IMAGES, batch_size=16, verbose=0),
        theirs.evaluate(IMAGES, batch_size=16, verbose=0),
        rtol=1e-5,
    )
    for mine, keras_metric in zip(ours.metrics, theirs.metrics):  # evaluate's state
        np.testing.assert_allclose(float(mine.result()), float(keras_metric.result()), rtol=1e-5)
        np.testing.assert_allclose(float(mine.count.numpy()), float(keras_metric.count.numpy()))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_term_on_top_of_compiled_loss_matches_keras(optimizer):
    theirs = _penalized(keras)
    theirs(X[:1])
    ours = _penalized(kgraph)
    ours(X[:1])
    for mine, keras_layer in ((ours.hidden, theirs.hidden), (ours.out, theirs.out)):
        mine.set_weights(keras_layer.get_weights())
    for model in (ours, theirs):
        model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    kwargs = dict(batch_size=16, epochs=2, shuffle=False, verbose=0, validation_split=0.2)
    _assert_history(ours.fit(X, Y, **kwargs).history, theirs.fit(X, Y, **kwargs).history)
    for mine, keras_layer in ((ours.hidden, theirs.hidden), (ours.out, theirs.out)):
        for got, want in zip(mine.get_weights(), keras_layer.get_weights()):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    got = ours.evaluate(X, Y, batch_size=16, verbose=0, return_dict=True)
    want = theirs.evaluate(X, Y, batch_size=16, verbose=0, return_dict=True)
    assert got == pytest.approx(want, rel=1e-5)


def _reported(lib):
    ops = lib.ops

    class Reported(lib.Model):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.out = lib.layers.Dense(3)
            self.size_tracker = lib.metrics.Mean(name="size")

        def call(self, x):
            return self.out(x)

        def compute_metrics(self, x, y, y_pred, sample_weight=None):
            results = super().compute_metrics(x, y, y_pred, sample_weight)
            self.size_tracker.update_state(ops.abs(y_pred))
            results["size"] = self.size_tracker.result()
            results["batch_gap"] = ops.mean(ops.abs(y - y_pred))
            return results

    return Reported()


def test_compute_metrics_override_matches_keras():
    theirs = _reported(keras)
    theirs(X[:1])
    ours = _reported(kgraph)
    ours(X[:1])
    ours.out.set_weights(theirs.out.get_weights())
    for model in (ours, theirs):
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    kwargs = dict(batch_size=16, epochs=2, shuffle=False, verbose=0, validation_split=0.2)
    _assert_history(ours.fit(X, Y, **kwargs).history, theirs.fit(X, Y, **kwargs).history)
    np.testing.assert_allclose(
        ours.evaluate(X, Y, batch_size=16, verbose=0),
        theirs.evaluate(X, Y, batch_size=16, verbose=0),
        rtol=1e-5,
    )
