"""``TextVectorization`` inside compiled models (``text_lowering``'s ONNX string ops): outputs
of ``predict`` and of the exported ONNX file run by onnxruntime equal a numpy reference written
here from Keras' documented rules (ASCII lowercase, ASCII punctuation deleted, split on runs of
C ``isspace`` characters, ngrams joined by spaces, vocabulary by frequency), and so does the
layer's eager numpy path; an end-to-end model from raw strings predicts, saves, exports and
fits like the integer model fed the reference ids."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import onnxruntime as ort
import pytest

import kgraph as keras
from kgraph.layers.preprocessing import text_lowering

TEXTS = [
    "Great movie!",
    "  It's a  GREAT, great\tfilm.\n",
    "",
    "   ",
    "awful...plot?!",
    "(don't) [stop] {me} <now> @home #1 $5 50% a&b a*b a+b a/b a:b a;b a=b a\\b a^b a_b `x` "
    'a|b ~x "q"',
    "ÉCOLE Über STRASSE ΟΔΟΣ great",  # only ASCII letters are lowercased
    "x\xa0y a\u2003b great",  # non-ASCII spaces do not split
    "one two three four five six seven eight nine ten great movie",
    "tab\tnew\nline\rcr\x0bvt\x0cff movie",
    "OOV-words zebra qux!",
]
PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


# -- the reference ---------------------------------------------------------------------------
def ref_tokens(text, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None):
    if standardize in ("lower", "lower_and_strip_punctuation"):
        text = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)
    if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
        text = "".join(c for c in text if c not in PUNCTUATION)
    words = [text] if split is None else [w for w in re.split("[ \t\n\x0b\x0c\r]", text) if w]
    if ngrams is None:
        return words
    widths = range(1, ngrams + 1) if isinstance(ngrams, int) else ngrams
    return [" ".join(words[i : i + n]) for n in widths for i in range(len(words) - n + 1)]


def ref_vocabulary(texts, max_tokens=None, output_mode="int", **kwargs):
    counts = Counter(t for text in texts for t in ref_tokens(text, **kwargs))
    counts.pop("", None)
    specials = ["", "[UNK]"] if output_mode == "int" else ["[UNK]"]
    counts.pop("[UNK]", None)
    ordered = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
    if max_tokens is not None:
        ordered = ordered[: max_tokens - len(specials)]
    return specials + ordered


def ref_outputs(texts, vocabulary, output_mode="int", length=None, depth=None, **kwargs):
    index = {t: i for i, t in enumerate(vocabulary)}
    oov = 1 if output_mode == "int" else 0
    rows = [[index.get(t, oov) for t in ref_tokens(text, **kwargs)] for text in texts]
    if output_mode == "int":
        width = max(map(len, rows)) if length is None else length
        return np.array([(row + [0] * width)[:width] for row in rows], dtype=np.int64)
    out = np.zeros((len(rows), depth or len(vocabulary)), dtype=np.float32)
    for i, row in enumerate(rows):
        for j in row:
            out[i, j] += 1
    return np.minimum(out, 1) if output_mode == "multi_hot" else out


CASES = [
    {},
    {"max_tokens": 10, "output_sequence_length": 3},
    {"output_sequence_length": 14},
    {"ngrams": 2, "output_sequence_length": 12},
    {"ngrams": 3},
    {"ngrams": (2, 3), "max_tokens": 30},
    {"output_mode": "count", "ngrams": 2},
    {"output_mode": "multi_hot", "max_tokens": 8, "pad_to_max_tokens": True},
    {"output_mode": "multi_hot", "standardize": "strip_punctuation"},
    {"standardize": "lower", "output_sequence_length": 5},
    {"standardize": None},
    {"standardize": "lower", "split": None},
]


def _reference_kwargs(case):
    keys = ("standardize", "split", "ngrams")
    return {k: case[k] for k in keys if k in case}


def _expected(layer, case, texts):
    mode = case.get("output_mode", "int")
    depth = case["max_tokens"] if case.get("pad_to_max_tokens") else None
    length = case.get("output_sequence_length")
    return ref_outputs(
        texts, layer.get_vocabulary(), mode, length, depth, **_reference_kwargs(case)
    )


def _adapted(case):
    layer = keras.layers.TextVectorization(**case)
    layer.adapt(np.array(TEXTS[:6]))
    mode = case.get("output_mode", "int")
    want = ref_vocabulary(TEXTS[:6], case.get("max_tokens"), mode, **_reference_kwargs(case))
    assert layer.get_vocabulary() == want
    return layer


@pytest.mark.parametrize("case", CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
@pytest.mark.parametrize("shape", [(1,), ()], ids=["N1", "N"])
def test_compiled_and_exported_equal_the_reference(case, shape, tmp_path):
    layer = _adapted(case)
    inputs = keras.Input(shape=shape, dtype="string")
    model = keras.Model(inputs, layer(inputs))
    x = np.array(TEXTS, dtype=object).reshape(-1, *shape)
    want = _expected(layer, case, TEXTS)
    np.testing.assert_array_equal(layer(x), want)  # the eager numpy path
    got = model.predict(x, verbose=0)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    model.export(str(tmp_path / "m.onnx"), verbose=False)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    (exported,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_array_equal(exported, want)


def test_batches_of_one_and_a_fixed_batch_export():
    layer = _adapted({"ngrams": 2, "output_sequence_length": 6})
    inputs = keras.Input(shape=(1,), dtype="string")
    model = keras.Model(inputs, layer(inputs))
    for text in TEXTS:
        x = np.array([[text]], dtype=object)
        np.testing.assert_array_equal(model.predict(x, verbose=0), _expected(layer, {
            "ngrams": 2, "output_sequence_length": 6}, [text]))  # fmt: skip
    session = ort.InferenceSession(model.to_onnx_bytes(batch_size=3))
    x = np.array(TEXTS[:3], dtype=object)[:, None]
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_array_equal(got, layer(x))


def test_string_ops_on_empty_batches_and_empty_strings():
    tokens, counts = text_lowering.text_tokens(np.array([], dtype=object), True, True, True)
    assert tokens.shape == (0, 0) and counts.shape == (0,)
    tokens, counts = text_lowering.text_tokens(np.array(["", "!!", " , "], object), 1, 1, 1)
    assert tokens.shape == (3, 0)
    np.testing.assert_array_equal(counts, [0, 0, 0])
    texts = np.array(["a,,b. C", "D!"], object)
    tokens, counts = text_lowering.text_tokens(texts, True, True, True)
    np.testing.assert_array_equal(tokens, [["ab", "c"], ["d", ""]])
    grams, valid = text_lowering.text_ngrams(tokens, counts, (1, 2, 3))
    np.testing.assert_array_equal(grams[0][valid[0]], ["ab", "c", "ab c"])
    np.testing.assert_array_equal(grams[1][valid[1]], ["d"])
    ids = np.array([[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(
        text_lowering.arrange_ids(ids, valid, None, 0, True), [[1, 2, 3], [4, 0, 0]]
    )
    np.testing.assert_array_equal(
        text_lowering.arrange_ids(ids, valid, 2, -1, True), [[1, 2], [4, -1]]
    )


def _int_model():
    model = keras.Sequential(
        [
            keras.Input((5,), dtype="int64"),
            keras.layers.Embedding(12, 4),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy")
    return model


def test_end_to_end_model_predicts_saves_exports_and_fits(tmp_path):
    texts = np.array(["A great, GREAT movie!", "Awful plot.", "great acting", "awful, awful film"])
    texts, labels = np.repeat(texts, 4), np.tile([1, 0, 1, 0], 4)
    layer = keras.layers.TextVectorization(max_tokens=12, output_sequence_length=5)
    layer.adapt(texts)
    ids = ref_outputs(texts, layer.get_vocabulary(), length=5)
    model, reference = _int_model(), _int_model()
    reference.set_weights(model.get_weights())
    inputs = keras.Input(shape=(1,), dtype="string")
    end_to_end = keras.Model(inputs, model(layer(inputs)))
    x = np.array([["great movie"], ["awful, awful!"]])
    want = reference.predict(ref_outputs(x[:, 0], layer.get_vocabulary(), length=5), verbose=0)
    np.testing.assert_allclose(end_to_end.predict(x, verbose=0), want, rtol=1e-6)
    end_to_end.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-6)
    end_to_end.export(str(tmp_path / "m.onnx"), verbose=False)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    (exported,) = session.run(None, {session.get_inputs()[0].name: x.astype(object)})
    np.testing.assert_allclose(exported, want, rtol=1e-6)
    # training from raw strings: no gradient reaches the lookup, the head learns as on ids
    end_to_end.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy")
    kwargs = dict(batch_size=8, epochs=3, shuffle=False, verbose=0)
    history = end_to_end.fit(texts[:, None], labels, **kwargs).history
    expected = reference.fit(ids, labels, **kwargs).history
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-5)
    assert history["loss"][-1] < history["loss"][0]
    for got, wanted in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, wanted, rtol=1e-5, atol=1e-6)


def test_model_built_before_adapt():
    layer = keras.layers.TextVectorization(output_sequence_length=4)
    inputs = keras.Input(shape=(), dtype="string")
    outputs = layer(inputs)
    assert tuple(outputs.shape) == (None, 4) and outputs.dtype == "int64"
    layer.adapt(np.array(["b b a", "c"]))
    model = keras.Model(inputs, outputs)
    np.testing.assert_array_equal(
        model.predict(np.array(["A c zz b"]), verbose=0), [[4, 3, 1, 2]]
    )  # b, c, a


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"standardize": lambda x: x}, "standardize"),
        ({"split": lambda t: t.split(",")}, "split"),
        ({"split": "character"}, "split"),
    ],
)
def test_numpy_only_options_refuse_to_compile_but_run_eagerly(kwargs, name):
    layer = keras.layers.TextVectorization(**kwargs)
    layer.adapt(np.array(["ab,c", "b"]))
    eager = layer(np.array(["ab,c"]))
    if kwargs.get("split") == "character":
        np.testing.assert_array_equal(eager, [[4, 2, 3]])  # b(2) then a, c (ties: larger)
    with pytest.raises(ValueError, match=f"{name}=.* runs on numpy only"):
        layer(keras.Input(shape=(1,), dtype="string"))


def test_inputs_with_a_last_dimension_other_than_one_are_refused():
    layer = keras.layers.TextVectorization(vocabulary=["a"])
    with pytest.raises(ValueError, match="the last shape dimension must be 1"):
        layer(keras.Input(shape=(2,), dtype="string"))
    with pytest.raises(ValueError, match="the last shape dimension must be 1"):
        layer(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="takes strings"):
        layer(keras.Input(shape=(1,), dtype="int64"))
