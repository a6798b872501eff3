"""``Hashing``: Keras' bins (FarmHash Fingerprint64 of the string form, or salted SipHash)
checked against ``pyfarmhash`` and TensorFlow's documented outputs, eagerly, in
``Dataset.map`` and (integers) compiled into a model's ONNX graph."""

import numpy as np
import pytest

import kgraph as keras
from kgraph.layers.preprocessing.hashing_functions import siphash24

farmhash = pytest.importorskip("farmhash")

LETTERS = [["A"], ["B"], ["C"], ["D"], ["E"]]
# Edge integers: every decimal length 1-20 (each FarmHash path), signs, int64's extremes.
INTS = np.array(
    [0, 7, -1, 12, -99, 123, 1234, -1234, 99999, 10**6, 10**7, -(10**8), 123456789012]
    + [10**15, -(10**15), 10**16, 10**17, -(10**18), 2**62, 2**63 - 1, -(2**63)],
    dtype=np.int64,
)


def _farm_bins(values, n):
    return np.array([farmhash.fingerprint64(str(v)) % n for v in np.ravel(values)]).reshape(
        np.shape(values)
    )


def test_tensorflow_docstring_examples():
    np.testing.assert_array_equal(keras.layers.Hashing(3)(LETTERS).ravel(), [1, 0, 1, 1, 2])
    masked = keras.layers.Hashing(3, mask_value="")([["A"], ["B"], [""], ["C"], ["D"]])
    np.testing.assert_array_equal(masked.ravel(), [1, 1, 0, 2, 2])
    salted = keras.layers.Hashing(3, salt=[133, 137])(LETTERS)
    np.testing.assert_array_equal(salted.ravel(), [1, 2, 1, 0, 2])
    np.testing.assert_array_equal(
        keras.layers.Hashing(3, salt=133)(LETTERS).ravel(), [0, 0, 2, 1, 0]
    )


def test_string_bins_match_farmhash():
    rng = np.random.default_rng(0)
    words = np.array(["".join(rng.choice(list("abcé日"), n)) for n in range(1, 80)])
    words = words.reshape(-1, 1)
    out = keras.layers.Hashing(97)(words)
    assert out.dtype == np.int64 and out.shape == words.shape
    want = [farmhash.fingerprint64(w.encode("utf-8")) % 97 for w in words.ravel()]
    np.testing.assert_array_equal(out.ravel(), want)
    as_bytes = np.array([w.encode("utf-8") for w in words.ravel()], dtype=object)
    np.testing.assert_array_equal(keras.layers.Hashing(97)(as_bytes), want)


def test_numbers_hash_their_decimal_form():
    np.testing.assert_array_equal(keras.layers.Hashing(1000)(INTS), _farm_bins(INTS, 1000))
    floats = np.array([1.9, -2.7, 30.0], dtype=np.float32)  # truncated to int64 first
    np.testing.assert_array_equal(keras.layers.Hashing(50)(floats), _farm_bins([1, -2, 30], 50))
    np.testing.assert_array_equal(
        keras.layers.Hashing(50)(INTS.astype(np.int32)[:12]), _farm_bins(INTS[:12], 50)
    )
    bools = keras.layers.Hashing(50)(np.array([True, False]))
    np.testing.assert_array_equal(bools, _farm_bins(["true", "false"], 50))


def test_salted_integers_use_siphash_of_the_decimal_string():
    out = keras.layers.Hashing(11, salt=(5, 9))(INTS[:6])
    np.testing.assert_array_equal(out, [siphash24(str(v), (5, 9)) % 11 for v in INTS[:6]])


def test_mask_value_takes_bin_zero_and_shifts_the_rest():
    values = np.array([[3, 0, 5], [0, 42, 3]])
    out = keras.layers.Hashing(4, mask_value=0)(values)
    want = np.where(values == 0, 0, _farm_bins(values, 3) + 1)
    np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_output_modes_encode_the_bins(mode):
    values = np.array([["a", "b", "a"], ["c", "c", "d"]])
    bins = _farm_bins(values, 6)
    out = keras.layers.Hashing(6, output_mode=mode)(values)
    hot = np.eye(6, dtype=np.float32)[bins]
    want = {"one_hot": hot, "multi_hot": hot.max(axis=1), "count": hot.sum(axis=1)}[mode]
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, want)
    column = keras.layers.Hashing(6, output_mode="one_hot")(values[:, :1])  # (n, 1) -> (n, 6)
    np.testing.assert_array_equal(column, np.eye(6, dtype=np.float32)[bins[:, 0]])


def test_int32_output_and_validation():
    out = keras.layers.Hashing(5, dtype="int32")(LETTERS)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out.ravel(), _farm_bins(list("ABCDE"), 5))
    with pytest.raises(ValueError, match="num_bins"):
        keras.layers.Hashing(0)
    with pytest.raises(ValueError, match="output_mode"):
        keras.layers.Hashing(3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="salt"):
        keras.layers.Hashing(3, salt="abc")
    with pytest.raises(ValueError, match="dtype"):
        keras.layers.Hashing(3, dtype="float32")


def test_config_round_trip():
    layer = keras.layers.Hashing(7, mask_value="", salt=3, output_mode="count", name="h")
    config = layer.get_config()
    assert config["salt"] == [3, 3] and config["num_bins"] == 7
    clone = keras.layers.Hashing.from_config(config)
    words = np.array([["x", "", "y"]])
    np.testing.assert_array_equal(clone(words), layer(words))


def test_in_dataset_map():
    words = np.array(["red", "green", "blue", "red", "cyan", "green"])
    ds = keras.utils.Dataset.from_tensor_slices((words, np.arange(6)))
    layer = keras.layers.Hashing(8)
    mapped = ds.batch(4).map(lambda x, y: (layer(x), y))
    got = np.concatenate([x for x, _ in mapped])
    np.testing.assert_array_equal(got, _farm_bins(words, 8))


def _model(layer, dtype, shape=(1,)):
    inp = keras.Input(shape, dtype=dtype)
    return keras.Model(inp, layer(inp))


def test_integers_compile_into_the_graph():
    keras.utils.clear_session()
    x = INTS.reshape(-1, 1)
    model = _model(keras.layers.Hashing(1000), "int64")
    np.testing.assert_array_equal(model.predict(x, verbose=0), _farm_bins(x, 1000))
    masked = _model(keras.layers.Hashing(9, mask_value=7, output_mode="multi_hot"), "int32", (3,))
    small = np.array([[7, 12, -99], [1234, 7, 7]], dtype=np.int32)
    bins = np.where(small == 7, 0, _farm_bins(small, 8) + 1)
    want = np.eye(9, dtype=np.float32)[bins].max(axis=1)
    np.testing.assert_array_equal(masked.predict(small, verbose=0), want)


@pytest.mark.parametrize("salt", [[5, 9], 2**64 - 3])
def test_salted_integers_compile_into_the_graph(salt):
    keras.utils.clear_session()
    x = INTS.reshape(-1, 1)
    model = _model(keras.layers.Hashing(1000, salt=salt), "int64")
    key = salt if isinstance(salt, list) else [salt, salt]
    want = [siphash24(str(v), key) % 1000 for v in INTS]
    np.testing.assert_array_equal(model.predict(x, verbose=0).ravel(), want)


def test_string_hashing_in_a_compiled_model_raises_naming_the_layer():
    keras.utils.clear_session()
    inp = keras.Input((1,), dtype="string")
    out = keras.layers.Hashing(5, name="my_hash")(inp)
    assert out.shape == (None, 1) and out.dtype == "int64"  # a model can still be defined
    model = keras.Model(inp, out)
    with pytest.raises(ValueError, match=r"'my_hash' \(Hashing\).*ds\.map"):
        model.predict(np.array([["a"]]), verbose=0)
    wide = keras.layers.Hashing(2**40, name="wide")
    np.testing.assert_array_equal(wide(INTS), _farm_bins(INTS, 2**40))  # eager: any num_bins
    with pytest.raises(ValueError, match=r"'wide' \(Hashing\).*2\*\*31"):
        _model(wide, "int64").predict(INTS[:2].reshape(-1, 1), verbose=0)


def test_saved_model_reloads_with_the_same_bins(tmp_path):
    keras.utils.clear_session()
    model = _model(keras.layers.Hashing(10, mask_value=0, salt=3), "int64", (2,))
    model.save(tmp_path / "hashing.keras")
    loaded = keras.models.load_model(tmp_path / "hashing.keras")
    x = np.array([[0, 5], [17, -3]])
    want = np.where(x == 0, 0, [[siphash24(str(v), (3, 3)) % 9 + 1 for v in row] for row in x])
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), want)
