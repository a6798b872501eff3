"""Training on raw string inputs: a model that starts with ``StringLookup`` fits, evaluates
and predicts on arrays of ``str`` / objects and on string datasets (IOBinding binds no string
tensor, so the engine runs those steps as plain Runs). The reference is the same model without
the lookup, fed the token ids a numpy dict lookup gives, which trains through IOBinding."""

import numpy as np
import pytest

import kgraph as keras

VOCAB = ["a", "b", "c", "d", "e"]


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.choice([*VOCAB, "zz", "?"], size=(n, 4))
    y = (np.isin(x, ["a", "b"]).sum(axis=1) >= 2).astype("float32")[:, None]
    return x, y


def _ids(x):
    """Keras' StringLookup layout with one OOV index: OOV is 0, the vocabulary starts at 1."""
    table = {token: i + 1 for i, token in enumerate(VOCAB)}
    return np.vectorize(lambda t: table.get(t, 0), otypes=[np.int64])(x)


def _head(inputs, embedded_from):
    h = keras.layers.Embedding(len(VOCAB) + 1, 3, name="embed")(embedded_from)
    h = keras.layers.GlobalAveragePooling1D()(h)
    out = keras.layers.Dense(1, activation="sigmoid", name="out")(h)
    model = keras.Model(inputs, out)
    model.compile(keras.optimizers.SGD(0.5), "binary_crossentropy", metrics=["accuracy"])
    return model


def _models():
    keras.utils.clear_session()
    text = keras.Input((4,), dtype="string")
    lookup = keras.layers.StringLookup(vocabulary=VOCAB, name="lookup")
    indices = lookup(text)
    strings = _head(text, indices)
    ids = keras.Input((4,), dtype="int64")
    reference = _head(ids, ids)
    reference.set_weights(strings.get_weights())
    return strings, reference, keras.Model(text, indices)


def test_lookup_indices_match_numpy():
    _, _, lookup = _models()
    x, _ = _data()
    np.testing.assert_array_equal(lookup.predict(x, verbose=0), _ids(x))


@pytest.mark.parametrize("as_objects", [False, True])
def test_fit_evaluate_predict_on_string_arrays(as_objects):
    strings, reference, _ = _models()
    x, y = _data()
    x_in = x.astype(object) if as_objects else x  # numpy str ('<U2') or Python strings
    kwargs = dict(batch_size=16, epochs=3, shuffle=False, verbose=0)
    history = strings.fit(x_in, y, **kwargs).history
    expected = reference.fit(_ids(x), y, **kwargs).history
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-5)
    assert history["loss"][-1] < history["loss"][0]  # it learns
    for got, want in zip(strings.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    x_test, y_test = _data(20, seed=1)
    np.testing.assert_allclose(
        strings.evaluate(x_test, y_test, verbose=0),
        reference.evaluate(_ids(x_test), y_test, verbose=0),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        strings.predict(x_test, verbose=0), reference.predict(_ids(x_test), verbose=0), rtol=1e-5
    )


def test_string_datasets_and_single_batches():
    strings, reference, _ = _models()
    x, y = _data(32)
    ds = keras.utils.Dataset.from_tensor_slices((x, y)).batch(8)
    strings.fit(ds, epochs=2, verbose=0, validation_data=ds)
    reference.fit(_ids(x), y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for got, want in zip(strings.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    got = strings.train_on_batch(x[:8], y[:8])
    want = reference.train_on_batch(_ids(x[:8]), y[:8])
    np.testing.assert_allclose(got, want, rtol=1e-5)
    np.testing.assert_allclose(
        strings.test_on_batch(x[8:16], y[8:16]),
        reference.test_on_batch(_ids(x[8:16]), y[8:16]),
        rtol=1e-5,
    )


def test_text_dataset_from_directory_trains(tmp_path):
    keras.utils.clear_session()
    for label, words in (("neg", "bad awful"), ("pos", "good great")):
        (tmp_path / label).mkdir()
        for i in range(6):
            (tmp_path / label / f"{i}.txt").write_text(f"{words.split()[i % 2]}")
    ds = keras.utils.text_dataset_from_directory(tmp_path, batch_size=4, shuffle=False)
    text = keras.Input((), dtype="string")
    ids = keras.layers.StringLookup(vocabulary=["good", "great", "bad", "awful"])(text)
    hidden = keras.layers.Flatten()(keras.layers.Embedding(5, 2)(ids))
    model = keras.Model(text, keras.layers.Dense(1, activation="sigmoid")(hidden))
    model.compile(keras.optimizers.SGD(1.0), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(ds, epochs=8, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    loss, accuracy = model.evaluate(ds, verbose=0)
    labels = np.concatenate([y for _, y in ds]).astype(np.float64)
    predicted = model.predict(ds, verbose=0).ravel().astype(np.float64)
    p = np.clip(predicted, 1e-7, 1 - 1e-7)
    bce = -np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p))
    np.testing.assert_allclose(loss, bce, rtol=1e-4)
    assert accuracy == np.mean((predicted > 0.5) == (labels == 1)) == 1.0
