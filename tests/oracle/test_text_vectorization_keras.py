"""Oracle: kgraph's ``TextVectorization``, eager and compiled into a model, against Keras.

Keras' ``TextVectorization`` needs TensorFlow, which this venv lacks (constructing it raises
ImportError), so most references here are Keras' own: the outputs its docstring records, the
punctuation regex and the ``tf.strings.lower`` call read from its installed source (the regex
is applied with Python's ``re``, the same character class as TensorFlow's RE2), and
TensorFlow's documented string semantics (``lower`` without an encoding changes ASCII letters
only; ``split`` splits on runs of C ``isspace`` characters). Where TensorFlow is installed,
``test_against_real_keras`` compares with the real layer directly.
"""

from __future__ import annotations

import importlib.util
import inspect
import re

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS

HAS_TF = importlib.util.find_spec("tensorflow") is not None


def _compiled(layer, shape=(1,)):
    inputs = kgraph.Input(shape=shape, dtype="string")
    return kgraph.Model(inputs, layer(inputs))


def _keras_source() -> str:
    from keras.src.layers.preprocessing import text_vectorization

    return inspect.getsource(text_vectorization)


def test_keras_needs_tensorflow_here():
    if HAS_TF:
        pytest.skip("TensorFlow is installed: test_against_real_keras compares directly")
    with pytest.raises(ImportError, match="requires TensorFlow"):
        keras.layers.TextVectorization()


def test_docstring_examples_of_keras():
    """The two examples of Keras' TextVectorization docstring, with their recorded outputs."""
    layer = kgraph.layers.TextVectorization(
        max_tokens=5000, output_mode="int", output_sequence_length=4
    )
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    input_data = [["foo qux bar"], ["qux baz"]]
    want = [[4, 1, 3, 0], [1, 2, 0, 0]]  # recorded in Keras' docstring
    np.testing.assert_array_equal(layer(np.array(input_data)), want)
    np.testing.assert_array_equal(_compiled(layer).predict(np.array(input_data), verbose=0), want)
    assert "array([[4, 1, 3, 0],\n           [1, 2, 0, 0]])" in _keras_source()
    vocab_layer = kgraph.layers.TextVectorization(
        max_tokens=5000,
        output_mode="int",
        output_sequence_length=4,
        vocabulary=["earth", "wind", "and", "fire"],
    )
    assert vocab_layer.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    assert "['', '[UNK]', 'earth', 'wind', 'and', 'fire']" in _keras_source()


def test_punctuation_is_keras_regex():
    """Every ASCII character and a few Unicode punctuation marks through the compiled strip,
    against Keras' own regex (read from its source) applied with ``re.sub``."""
    found = re.search(r"regex_replace\(\s*inputs,\s*r'(.+?)',\s*\"\"", _keras_source(), re.S)
    assert found is not None, "Keras' strip regex moved"
    keras_strip = re.compile(found.group(1))
    unicode_marks = "\u00bf\u00a1\u00ab\u00bb\u2013\u2014\u2026\u00b7\u00a7"  # ¿ ¡ « » dashes …
    chars = [chr(c) for c in range(33, 127)] + list(unicode_marks)
    texts = np.array(["x" + c + "y" for c in chars])
    layer = kgraph.layers.TextVectorization(
        standardize="strip_punctuation", split=None, vocabulary=["xy"]
    )
    got = _compiled(layer).predict(texts[:, None], verbose=0)[:, 0]
    want = [2 if keras_strip.sub("", t) == "xy" else 1 for t in texts]
    np.testing.assert_array_equal(got, want)
    assert sum(w == 2 for w in want) == 32  # the 32 ASCII punctuation marks only


def test_lowercase_and_split_follow_tensorflow():
    """Keras calls ``tf.strings.lower(inputs)`` with no encoding: ASCII letters only (TF's
    own test keeps "ÓÓSSCHLOË" for encoding="utf-8"); ``tf.strings.split`` splits on runs
    of space, tab, newline, carriage return, vertical tab and form feed."""
    assert "tf.strings.lower(inputs)" in _keras_source()
    assert "tf.strings.split(inputs)" in _keras_source()
    vocab = ["pigs", "on", "the", "wing", "óósschloë", "ÓÓsschloË", "world", "a\xa0b"]
    layer = kgraph.layers.TextVectorization(vocabulary=vocab, output_sequence_length=5)
    texts = np.array(["pigS on THE wIng", "ÓÓSSCHLOË", " \n\tWorld! \r \n", "A\xa0B\x0bwing"])
    want = [[2, 3, 4, 5, 0], [7, 0, 0, 0, 0], [8, 0, 0, 0, 0], [9, 5, 0, 0, 0]]
    np.testing.assert_array_equal(layer(texts), want)
    np.testing.assert_array_equal(_compiled(layer, ()).predict(texts, verbose=0), want)


def test_ngrams_follow_tensorflow():
    """``tf.strings.ngrams(["A", "B", "C", "D"], 2)`` is documented as ["A B", "B C", "C D"];
    with several widths Keras lists each width's ngrams in turn."""
    vocab = ["a b", "b c", "c d", "a", "b", "c", "d"]
    layer = kgraph.layers.TextVectorization(
        standardize=None, ngrams=(2,), vocabulary=vocab, output_sequence_length=4
    )
    texts = np.array([["a b c d"], ["a"], ["d c"]])
    want = [[2, 3, 4, 0], [0, 0, 0, 0], [1, 0, 0, 0]]
    np.testing.assert_array_equal(layer(texts), want)
    np.testing.assert_array_equal(_compiled(layer).predict(texts, verbose=0), want)
    layer = kgraph.layers.TextVectorization(standardize=None, ngrams=2, vocabulary=vocab)
    want = [[5, 6, 7, 8, 2, 3, 4], [5, 0, 0, 0, 0, 0, 0], [8, 7, 1, 0, 0, 0, 0]]
    np.testing.assert_array_equal(_compiled(layer).predict(texts, verbose=0), want)


CASES = [
    {},
    {"output_sequence_length": 3, "max_tokens": 6},
    {"ngrams": 2, "output_mode": "count"},
    {"ngrams": 3, "output_sequence_length": 10},
    {"output_mode": "multi_hot", "pad_to_max_tokens": True, "max_tokens": 9},
]


@pytest.mark.skipif(not HAS_TF, reason="Keras' TextVectorization needs TensorFlow")
@pytest.mark.parametrize("case", CASES)
def test_against_real_keras(case):
    texts = np.array(
        ["Great movie!", " It's a GREAT,\tgreat film.\n", "", "awful...plot?!", "ÉCOLE über x"]
    )
    ours = kgraph.layers.TextVectorization(**case)
    theirs = keras.layers.TextVectorization(**case)
    ours.adapt(texts[:4])
    theirs.adapt(texts[:4])
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    want = np.asarray(theirs(texts[:, None]))
    np.testing.assert_array_equal(_compiled(ours).predict(texts[:, None], verbose=0), want)
