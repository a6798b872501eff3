"""A Model subclass built as ``Subclass(inputs, outputs)`` is a Functional model with the
subclass's own methods (Keras swaps ``Model`` for ``Functional`` among its bases), and fit /
evaluate take datasets of inputs alone (``x`` or ``(x,)``, Keras' ``unpack_x_y_sample_weight``),
as an autoencoder trained through ``compute_loss`` needs."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers, ops

RNG = np.random.default_rng(0)


def _graph():
    inputs = kgraph.Input((4,), name="x")
    return inputs, layers.Dense(4, name="d")(inputs)


class Plain(kgraph.Model):
    pass


class Reconstruction(kgraph.Model):
    """An autoencoder whose loss is its own: the mean squared reconstruction error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error = kgraph.metrics.Mean(name="error")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = ops.mean(ops.square(x - y_pred))
        self.error.update_state(loss)
        return loss


@pytest.mark.parametrize("by_keyword", [False, True])
def test_subclass_given_inputs_and_outputs_is_functional(by_keyword):
    inputs, outputs = _graph()
    model = Plain(inputs=inputs, outputs=outputs) if by_keyword else Plain(inputs, outputs)
    assert isinstance(model, kgraph.Model) and type(model).__name__ == "Plain"
    assert [layer.name for layer in model.layers] == ["x", "d"]
    x = RNG.random((3, 4), dtype=np.float32)
    kernel, bias = model.get_layer("d").get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ kernel + bias, rtol=1e-5)


def test_autoencoder_fits_on_inputs_alone_and_keeps_its_methods():
    inputs, outputs = _graph()
    model = Reconstruction(inputs, outputs)
    model.compile(optimizer=kgraph.optimizers.SGD(0.1))
    x = RNG.random((16, 4), dtype=np.float32)
    data = kgraph.utils.Dataset.from_tensor_slices(x).batch(8)  # elements are x alone
    history = model.fit(data, validation_data=(x[:8],), epochs=2, verbose=0)
    assert sorted(history.history) == ["error", "loss", "val_error", "val_loss"]
    kernel, bias = model.get_layer("d").get_weights()
    want = np.mean(np.square(x - (x @ kernel + bias)))
    got = model.evaluate(kgraph.utils.Dataset.from_tensor_slices((x,)).batch(8), verbose=0)
    np.testing.assert_allclose(got[0] if isinstance(got, list) else got, want, rtol=1e-5)


def test_registered_subclass_saves_and_loads_as_itself(tmp_path):
    registered = kgraph.saving.register_keras_serializable(package="tests")(
        type("SavedPlain", (kgraph.Model,), {})
    )
    inputs, outputs = _graph()
    model = registered(inputs, outputs)
    model.save(tmp_path / "m.keras")
    loaded = kgraph.saving.load_model(tmp_path / "m.keras")
    assert type(loaded) is registered
    x = RNG.random((2, 4), dtype=np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_dataset_element_of_four_is_refused_as_keras():
    model = Plain(*_graph())
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((2, 4), np.float32)
    with pytest.raises(ValueError, match=r"Data is expected to be in format `x`, `\(x,\)`"):
        model.fit((item for item in [(x, x, np.ones(2), x)]), verbose=0)


def test_metrics_names_follow_an_overridden_metrics_property():
    class Listed(Reconstruction):
        @property
        def metrics(self):
            return [self.error]

    model = Listed(*_graph())
    model.compile(optimizer="sgd")
    assert model.metrics_names == ["error"]  # Keras: the listed trackers, no "loss"
