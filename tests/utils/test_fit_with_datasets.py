"""``fit``, ``evaluate`` and ``predict`` take the loaders' datasets and ``PyDataset`` directly,
with the same results as the same batches given as numpy arrays."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import kgraph
from kgraph import layers
from kgraph.utils import Dataset, PyDataset, image_dataset_from_directory

X = np.random.default_rng(0).normal(size=(24, 4)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int32)


def _model():
    kgraph.utils.set_random_seed(1)
    model = kgraph.Sequential([kgraph.Input((4,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class Batches(PyDataset):
    def __init__(self, size=8, **kwargs):
        super().__init__(**kwargs)
        self.size, self.ends, self.begins = size, 0, 0

    def __len__(self):
        return len(X) // self.size

    def __getitem__(self, index):
        part = slice(index * self.size, (index + 1) * self.size)
        return X[part], Y[part]

    def on_epoch_begin(self):
        self.begins += 1

    def on_epoch_end(self):
        self.ends += 1


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


def test_dataset_trains_like_the_same_numpy_batches():
    reference = _model()
    reference.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    model = _model()
    ds = Dataset.from_tensor_slices((X, Y)).batch(8).prefetch(2)
    history = model.fit(ds, validation_data=ds, epochs=2, verbose=0)
    for a, b in zip(_weights(model), _weights(reference)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert "val_loss" in history.history and len(history.history["loss"]) == 2
    np.testing.assert_allclose(model.evaluate(ds, verbose=0), reference.evaluate(X, Y, verbose=0))
    np.testing.assert_allclose(model.predict(ds, verbose=0), reference.predict(X, verbose=0))
    np.testing.assert_allclose(
        model.predict(ds.map(lambda x, y: x), verbose=0), reference.predict(X, verbose=0)
    )


def test_endless_dataset_with_steps_per_epoch():
    model = _model()
    ds = Dataset.from_tensor_slices((X, Y)).shuffle(24, seed=0).batch(8).repeat()
    history = model.fit(ds, steps_per_epoch=2, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    assert model.predict(ds, steps=2, verbose=0).shape == (16, 2)


@pytest.mark.parametrize("kwargs", [{}, {"workers": 3}])
def test_py_dataset_trains_like_numpy_and_calls_epoch_hooks(kwargs):
    check_py_dataset(kwargs)


def check_py_dataset(kwargs):
    """A PyDataset built with ``kwargs`` trains, calls its epoch hooks and predicts like the
    same batches as numpy arrays."""
    reference = _model()
    reference.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    model = _model()
    data = Batches(**kwargs)
    model.fit(data, validation_data=Batches(), epochs=2, shuffle=False, verbose=0)
    for a, b in zip(_weights(model), _weights(reference)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert (data.begins, data.ends) == (2, 2)
    np.testing.assert_allclose(model.predict(data, verbose=0), reference.predict(X, verbose=0))


class RecordedBatches(Batches):
    """Batches of 4 that record the order ``fit`` asks for them."""

    def __init__(self):
        super().__init__(size=4)
        self.asked = []

    def __getitem__(self, index):
        self.asked.append(index)
        return super().__getitem__(index)


def test_fit_shuffles_a_py_dataset_batch_order_per_epoch():
    """As Keras' fit(shuffle=True): each epoch reads every batch once, in a fresh order; the
    weights are those of numpy fits over the batches in that order. evaluate keeps the order."""
    model, data = _model(), RecordedBatches()
    model.fit(data, epochs=2, verbose=0)
    epochs = [data.asked[:6], data.asked[6:]]
    assert len(data.asked) == 12 and all(sorted(e) == list(range(6)) for e in epochs)
    assert epochs[0] != list(range(6)) and epochs[0] != epochs[1]
    reference = _model()
    for order in epochs:
        rows = np.concatenate([np.arange(i * 4, i * 4 + 4) for i in order])
        reference.fit(X[rows], Y[rows], batch_size=4, shuffle=False, verbose=0)
    for a, b in zip(_weights(model), _weights(reference)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    data.asked.clear()
    model.evaluate(data, verbose=0)
    assert data.asked == list(range(6))


@pytest.mark.parametrize(
    "source, kind",
    [
        (lambda: Dataset.from_tensor_slices((X, Y)).batch(8), "dataset"),
        (lambda: Batches(), "PyDataset"),
        (lambda: ((X[i : i + 8], Y[i : i + 8]) for i in range(0, 24, 8)), "generator"),
    ],
)
def test_targets_beside_a_dataset_are_refused_as_keras(source, kind):
    model = _model()
    with pytest.raises(ValueError, match=f"When providing `x` as a {kind}, `y` should not be"):
        model.fit(source(), Y, verbose=0)
    with pytest.raises(ValueError, match=f"as a {kind}, `sample_weight` should not be passed"):
        model.evaluate(source(), sample_weight=np.ones(24), verbose=0)


def test_py_dataset_with_worker_processes_trains_like_numpy():
    """``use_multiprocessing=True`` forks workers. Run in a fresh interpreter, as a user's
    script would be: in this test process JAX (from the oracle tests) runs threads, and a
    child forked from a process with JAX's threads can deadlock (JAX warns about it)."""
    script = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parents[2])!r})
from tests.utils.test_fit_with_datasets import check_py_dataset
check_py_dataset({{"workers": 2, "use_multiprocessing": True}})
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr


def test_py_dataset_properties_and_missing_super_init():
    data = Batches(workers=4, use_multiprocessing=False, max_queue_size=3)
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (4, False, 3)
    assert data.num_batches == 3

    class NoSuper(PyDataset):
        def __init__(self):
            pass

        def __len__(self):
            return 1

        def __getitem__(self, index):
            return X[:2], Y[:2]

    with pytest.warns(UserWarning, match="super"):
        assert NoSuper().workers == 1
    with pytest.raises(NotImplementedError):
        PyDataset()[0]


def test_images_from_a_folder_train_and_predict(image_dir):
    train, val = image_dataset_from_directory(
        image_dir, image_size=(6, 6), batch_size=4, validation_split=0.25, subset="both", seed=2
    )
    model = kgraph.Sequential(
        [kgraph.Input((6, 6, 3)), layers.Flatten(), layers.Dense(3, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(train.map(lambda x, y: (x / 255.0, y)), validation_data=val, verbose=0)
    assert np.isfinite(history.history["val_loss"][0])
    assert model.predict(val, verbose=0).shape == (3, 3)


def test_map_with_an_augmentation_model_called_eagerly():
    if not hasattr(layers, "RandomFlip"):
        pytest.skip("the augmentation layers are not built yet")
    kgraph.utils.set_random_seed(3)
    augment = kgraph.Sequential([layers.RandomFlip("horizontal")])
    images = np.arange(4 * 2 * 3, dtype=np.float32).reshape(4, 2, 3, 1)
    ds = Dataset.from_tensor_slices((images, np.arange(4))).batch(4)
    out = [x for x, _ in ds.map(lambda x, y: (augment(x, training=True), y)).repeat(8)]
    flips = [np.array_equal(o[i], images[i, :, ::-1]) for o in out for i in range(4)]
    for o in out:  # every image is itself or its mirror
        for i in range(4):
            assert np.array_equal(o[i], images[i]) or np.array_equal(o[i], images[i, :, ::-1])
    assert 0 < sum(flips) < len(flips)


def test_evaluate_takes_py_dataset_and_dataset_with_their_lengths(capsys):
    model = _model()
    expected = model.evaluate(X, Y, batch_size=8, verbose=0)
    np.testing.assert_allclose(model.evaluate(Batches(), verbose=0), expected, rtol=1e-6)
    ds = Dataset.from_tensor_slices((X, Y)).batch(8)
    np.testing.assert_allclose(model.evaluate(ds, verbose=2), expected, rtol=1e-6)
    assert "3/3" in capsys.readouterr().out
