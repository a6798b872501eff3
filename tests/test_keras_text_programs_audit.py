"""keras.io's text-preprocessing programs run with ``import kgraph as keras``:
``TextVectorization`` adapted on a corpus and used in ``Dataset.map`` and inside end-to-end
string models (saved and reloaded), its modes (tf-idf bigrams, characters, multi-hot), the OCR
example's ``StringLookup`` pair, and pre-trained embeddings behind a vectorizer."""

from __future__ import annotations

import string

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers
from tests.sequence_programs import round_trip

RNG = np.random.default_rng(5)


def setup_function():
    keras.utils.clear_session()
    keras.utils.set_random_seed(1)


def test_end_to_end_string_model_with_text_vectorization(tmp_path):
    """TextVectorization inside the model (raw strings in), and outside through Dataset.map."""
    texts = np.array(["good fun film", "bad dull film", "good good plot", "dull bad plot"] * 6)
    labels = np.array([1, 0, 1, 0] * 6)
    vectorize_layer = layers.TextVectorization(
        max_tokens=10, output_mode="int", output_sequence_length=5
    )
    vectorize_layer.adapt(texts)
    assert vectorize_layer.vocabulary_size() == 8  # '', [UNK] and six words
    ds = keras.utils.Dataset.from_tensor_slices((texts, labels)).batch(6)
    int_ds = ds.map(lambda x, y: (vectorize_layer(x), y))
    first, _ = next(iter(int_ds))
    assert tuple(first.shape) == (6, 5)
    body = keras.Sequential(
        [
            keras.Input((None,), dtype="int64"),
            layers.Embedding(10, 4, mask_zero=True),
            layers.GRU(4),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    body.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    history = body.fit(int_ds, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    string_input = keras.Input(shape=(1,), dtype="string")
    end_to_end = keras.Model(string_input, body(vectorize_layer(string_input)))
    end_to_end.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    raw = texts[:4, None]
    np.testing.assert_allclose(
        end_to_end.predict(raw, verbose=0),
        body.predict(vectorize_layer(texts[:4]), verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )
    end_to_end.evaluate(ds, verbose=0)
    loaded = round_trip(end_to_end, raw, tmp_path)
    assert loaded.layers[1].get_vocabulary() == vectorize_layer.get_vocabulary()


def strip_html_and_punctuation(input_data):
    """keras.io's custom_standardization, on the numpy strings kgraph hands a callable."""
    lowercase = np.char.lower(input_data)
    stripped_html = np.char.replace(lowercase, "<br />", " ")
    return np.char.translate(stripped_html, str.maketrans("", "", string.punctuation))


def test_text_vectorization_modes_and_lookups(tmp_path):
    """A custom standardize in Dataset.map, a bigram tf-idf end-to-end model saved and
    reloaded, character splitting, multi_hot with a given vocabulary, and the OCR example's
    StringLookup pair (characters to ids and back with invert=True)."""
    texts = np.array(
        ["The movie was GREAT!<br />Loved it", "terrible, terrible plot", "great fun", "bad plot"]
    )
    labels = np.array([1, 0, 1, 0])
    vec = layers.TextVectorization(
        standardize=strip_html_and_punctuation, max_tokens=20, output_sequence_length=6
    )
    ds = keras.utils.Dataset.from_tensor_slices((texts, labels)).batch(2)
    vec.adapt(ds.map(lambda x, y: x))
    assert vec.get_vocabulary()[:5] == ["", "[UNK]", "terrible", "plot", "great"]
    first, _ = next(iter(ds.map(lambda x, y: (vec(x), y))))
    np.testing.assert_array_equal(first[1], [2, 2, 3, 0, 0, 0])
    string_input = keras.Input(shape=(1,), dtype="string")
    with pytest.raises(ValueError, match="data pipeline"):
        vec(string_input)  # a Python standardize cannot run inside the compiled model

    tfidf = layers.TextVectorization(ngrams=2, max_tokens=30, output_mode="tf_idf")
    tfidf.adapt(texts)
    vocab = tfidf.get_vocabulary()
    row = np.asarray(tfidf(["great fun plot plot"]))[0]
    # count * log(1 + documents / (1 + documents with the term)): "plot" is in 2 of 4
    np.testing.assert_allclose(row[vocab.index("plot")], 2 * np.log(1 + 4 / 3), rtol=1e-5)
    np.testing.assert_allclose(row[vocab.index("great fun")], np.log(1 + 4 / 2), rtol=1e-5)
    assert row[vocab.index("bad")] == 0 and "greatbr" in vocab  # "GREAT!<br" loses "!<"
    outputs = layers.Dense(1, activation="sigmoid")(tfidf(string_input))
    model = keras.Model(string_input, outputs)
    model.compile("rmsprop", "binary_crossentropy", metrics=["accuracy"])
    model.fit(texts[:, None], labels, epochs=2, verbose=0)
    round_trip(model, texts[:, None], tmp_path)

    chars = layers.TextVectorization(split="character", output_sequence_length=6)
    chars.adapt(["hello", "world"])
    assert chars.get_vocabulary() == ["", "[UNK]", "l", "o", "w", "r", "h", "e", "d"]
    np.testing.assert_array_equal(chars(["Hold!"]), [[6, 3, 2, 8, 0, 0]])
    multi_hot = layers.TextVectorization(
        vocabulary=["great", "bad", "plot"], output_mode="multi_hot", pad_to_max_tokens=True,
        max_tokens=6,
    )  # fmt: skip
    np.testing.assert_array_equal(
        multi_hot(["great plot plot", "meh"]), [[0, 1, 0, 1, 0, 0], [1, 0, 0, 0, 0, 0]]
    )
    characters = sorted(set("ab1c" + "c2ba"))
    char_to_num = layers.StringLookup(vocabulary=list(characters), mask_token=None)
    num_to_char = layers.StringLookup(
        vocabulary=char_to_num.get_vocabulary(), mask_token=None, invert=True
    )
    ids = char_to_num(np.array(list("ab1c")))
    np.testing.assert_array_equal(ids, [3, 4, 1, 5])
    assert "".join(np.asarray(num_to_char(ids)).astype(str)) == "ab1c"


def test_pretrained_embeddings_conv1d_classifier(tmp_path):
    """keras.io's pretrained word embeddings: a frozen Embedding initialised from a matrix
    (Constant), Conv1D / MaxPooling1D / GlobalMaxPooling1D, and an end-to-end string model."""
    texts = np.array(["the cat sat", "a dog ran far", "cats sit", "dogs run fast"] * 6)
    y = np.array([0, 1, 0, 1] * 6)
    vectorizer = layers.TextVectorization(max_tokens=20, output_sequence_length=6)
    vectorizer.adapt(texts)
    voc = vectorizer.get_vocabulary()
    embedding_matrix = RNG.normal(size=(len(voc), 5)).astype("float32")
    embedding_layer = layers.Embedding(
        len(voc),
        5,
        embeddings_initializer=keras.initializers.Constant(embedding_matrix),
        trainable=False,
    )
    int_sequences_input = keras.Input(shape=(None,), dtype="int32")
    embedded_sequences = embedding_layer(int_sequences_input)
    x = layers.Conv1D(8, 2, activation="relu")(embedded_sequences)
    x = layers.MaxPooling1D(2)(x)
    x = layers.Conv1D(8, 2, activation="relu", padding="same")(x)
    x = layers.GlobalMaxPooling1D()(x)
    preds = layers.Dense(2, activation="softmax")(x)
    model = keras.Model(int_sequences_input, preds)
    assert model.count_params() - len(model.trainable_weights[0].numpy().ravel()) > 0
    assert len(model.non_trainable_weights) == 1
    model.compile(loss="sparse_categorical_crossentropy", optimizer="rmsprop", metrics=["acc"])
    x_train = np.asarray(vectorizer(texts))
    model.fit(x_train, y, batch_size=8, epochs=2, validation_data=(x_train, y), verbose=0)
    np.testing.assert_array_equal(embedding_layer.get_weights()[0], embedding_matrix)
    string_input = keras.Input(shape=(1,), dtype="string")
    end_to_end = keras.Model(string_input, model(vectorizer(string_input)))
    probabilities = end_to_end.predict(np.array([["the cat sat"], ["dogs run fast"]]), verbose=0)
    np.testing.assert_allclose(probabilities, model.predict(x_train[[0, 3]], verbose=0), atol=1e-6)
    round_trip(end_to_end, texts[:4, None], tmp_path)


def test_multi_label_text_classification_with_term_lists(tmp_path):
    """keras.io's multi-label classifier: a multi_hot StringLookup binarizes lists of subject
    terms (of different lengths), bigram tf-idf features feed a sigmoid output, and the
    predicted vocabulary indices map back to terms."""
    abstracts = np.array(
        ["deep nets learn", "image nets see", "learn image features", "stats of nets"] * 6
    )
    terms = [["cs.LG"], ["cs.CV"], ["cs.LG", "cs.CV"], ["stat.ML", "cs.LG"]] * 6
    lookup = layers.StringLookup(output_mode="multi_hot")
    lookup.adapt(np.array(terms, dtype=object))
    vocab = lookup.get_vocabulary()
    assert vocab == ["[UNK]", "cs.LG", "cs.CV", "stat.ML"]

    def invert_multi_hot(encoded_labels):
        hot_indices = np.argwhere(encoded_labels == 1.0)[..., 0]
        return np.take(vocab, hot_indices)

    labels = np.asarray(lookup(terms))
    assert labels.shape == (24, 4)
    assert list(invert_multi_hot(labels[3])) == ["cs.LG", "stat.ML"]
    text_vectorizer = layers.TextVectorization(max_tokens=40, ngrams=2, output_mode="tf_idf")
    text_vectorizer.adapt(keras.utils.Dataset.from_tensor_slices(abstracts).batch(8))
    train = keras.utils.Dataset.from_tensor_slices((abstracts, labels)).batch(8)
    train = train.map(lambda text, label: (text_vectorizer(text), label))
    shallow_mlp_model = keras.Sequential(
        [
            layers.Dense(16, activation="relu"),
            layers.Dense(8, activation="relu"),
            layers.Dense(lookup.vocabulary_size(), activation="sigmoid"),
        ]
    )
    shallow_mlp_model.compile(
        loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.02),
        metrics=["binary_accuracy"],
    )  # fmt: skip
    history = shallow_mlp_model.fit(train, epochs=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model_for_inference = keras.Sequential([text_vectorizer, shallow_mlp_model])
    predicted = model_for_inference.predict(abstracts[:4], verbose=0)
    assert predicted.shape == (4, 4)
    top = [list(np.take(vocab, np.argsort(p)[-1:])) for p in predicted]
    assert top[0] == ["cs.LG"] and top[1] == ["cs.CV"]


def test_sequential_without_input_fits_a_dataset():
    """keras.io's multi-label MLP is a Sequential with no Input, fit on a Dataset."""
    x = RNG.random((8, 5)).astype("float32")
    y = x.sum(1, keepdims=True)
    model = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(keras.utils.Dataset.from_tensor_slices((x, y)).batch(4), verbose=0)
    assert model.count_params() == 5 * 4 + 4 + 5 and len(history.history["loss"]) == 1


def test_sequential_without_input_predicts_from_strings():
    """keras.io's inference model: ``Sequential([text_vectorizer, model])`` on raw text."""
    vectorizer = layers.TextVectorization(output_mode="multi_hot")
    vectorizer.adapt(["a b", "b c"])
    model = keras.Sequential([vectorizer, layers.Dense(1, kernel_initializer="ones")])
    np.testing.assert_allclose(model.predict(np.array(["a b", "c"]), verbose=0), [[2], [1]])
