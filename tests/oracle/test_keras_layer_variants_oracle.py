"""Oracle: small programs around one everyday layer and its less common arguments (normalisation
variants, 1D/3D convolutions, cropping/padding, attention, recurrent states, TimeDistributed,
Lambda, ``keras.ops`` custom layers, regularizers and constraints) against real Keras 3 (JAX):
predictions, the exported ONNX file and SGD training, plus shapes and configs of the layers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_layer_programs import check_program
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

RNG = np.random.default_rng(11)

SINGLE = [
    ("LayerNormalization", dict(rms_scaling=True), (4, 5, 6)),
    ("LayerNormalization", dict(rms_scaling=True, axis=(1, 2), center=False), (4, 5, 6)),
    ("LayerNormalization", dict(scale=False, axis=1), (4, 5, 6)),
    ("GroupNormalization", dict(groups=2, epsilon=1e-3, center=False), (4, 5, 6)),
    ("GroupNormalization", dict(groups=3, axis=1), (4, 6, 5)),
    ("Conv1D", dict(filters=3, kernel_size=3, strides=2, padding="same"), (4, 9, 2)),
    ("Conv1D", dict(filters=4, kernel_size=2, groups=2, dilation_rate=2), (4, 9, 4)),
    ("Conv1D", dict(filters=3, kernel_size=3, data_format="channels_first"), (4, 2, 9)),
    ("Conv3D", dict(filters=2, kernel_size=2, strides=(1, 2, 1), padding="same"), (2, 4, 5, 3, 2)),
    ("Cropping1D", dict(cropping=(1, 2)), (4, 7, 3)),
    ("Cropping3D", dict(cropping=((1, 0), (0, 1), (1, 1))), (2, 4, 4, 4, 2)),
    ("ZeroPadding1D", dict(padding=(2, 1)), (4, 7, 3)),
    ("ZeroPadding2D", dict(padding=(1, 2), data_format="channels_first"), (2, 3, 4, 5)),
    ("UpSampling1D", dict(size=3), (2, 4, 3)),
    ("Conv1DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same"), (2, 5, 3)),
]


def _single(name, kwargs, shape):
    def build(lib):
        inputs = lib.Input(shape[1:])
        with warnings.catch_warnings():  # rms_scaling's deprecation warning, in both
            warnings.simplefilter("ignore", UserWarning)
            x = getattr(lib.layers, name)(**kwargs)(inputs)
        return lib.Model(inputs, [x, lib.layers.Dense(2)(lib.layers.Flatten()(x))])

    return build


@pytest.mark.parametrize(
    "name, kwargs, shape", SINGLE, ids=[f"{c[0]}-{i}" for i, c in enumerate(SINGLE)]
)
def test_layer_program_matches_keras(name, kwargs, shape, tmp_path):
    """The layer's outputs, and a Dense head on them trained by SGD through the layer."""
    x = RNG.standard_normal((8, *shape[1:])).astype("float32")
    build = _single(name, kwargs, shape)
    ours, theirs = check_program(build, x, tmp_path=tmp_path, atol=1e-4)
    y = [np.zeros(o.shape, "float32") for o in ours.predict(x, verbose=0)]
    y[1] = RNG.standard_normal(y[1].shape).astype("float32")
    check_program(build, x, y, tmp_path=None, atol=1e-4)
    ours_layer, theirs_layer = ours.layers[1], theirs.layers[1]
    for input_shape in (shape, (None, *shape[1:])):
        assert tuple(ours_layer.compute_output_shape(input_shape)) == tuple(
            theirs_layer.compute_output_shape(input_shape)
        )
    expected = theirs_layer.get_config()
    rebuilt = type(ours_layer).from_config(expected).get_config()  # Keras' config loads
    for config in (ours_layer.get_config(), rebuilt):
        assert set(config) <= set(expected)
        for key, value in config.items():
            if key not in ("name", "dtype") and not key.endswith(("_initializer", "_regularizer")):
                assert _plain(value) == _plain(expected[key]), key


def _plain(value):
    """Config values as JSON keeps them (tuples are lists), an int axis as a one-item list
    (built Keras normalisation layers list it; kgraph keeps a layer's config as given)."""
    if isinstance(value, (list, tuple)):
        return [list(v) if isinstance(v, tuple) else v for v in value]
    return [value] if isinstance(value, int) and not isinstance(value, bool) else value


def test_layer_normalization_rms_scaling_warns_and_skips_beta():
    """Keras 3 keeps the deprecated ``rms_scaling=True`` (with a warning): gamma only."""
    with pytest.warns(UserWarning, match="rms_scaling"):
        layer = kgraph.layers.LayerNormalization(rms_scaling=True)
    layer.build((None, 3))
    assert [w.path.split("/")[-1] for w in layer.weights] == ["gamma"]
    assert layer.get_config()["rms_scaling"] is True
    x = RNG.standard_normal((2, 3)).astype("float32")
    want = x / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-3)  # not centred
    np.testing.assert_allclose(kgraph.ops.convert_to_numpy(layer(x)), want, rtol=1e-5)


def test_initializer_fan_axes_match_keras():
    """Keras 3's ``input_axes``/``output_axes`` pick the fans of einsum-shaped kernels: the
    values' standard deviation is sqrt(scale / fan) with the fans Keras computes."""
    from keras.src.initializers.random_initializers import compute_fans

    shape, axes = (30, 40, 50), dict(input_axes=[0, 1], output_axes=[2])
    fan_in, fan_out = compute_fans(shape, **axes)
    for name, scale, fan in (
        ("GlorotUniform", 1.0, (fan_in + fan_out) / 2),
        ("HeNormal", 2.0, fan_in),
        ("LecunUniform", 1.0, fan_in),
        ("VarianceScaling", 1.0, fan_in),
    ):
        ours = getattr(kgraph.initializers, name)(seed=1, **axes)
        assert ours.get_config() == getattr(keras.initializers, name)(seed=1, **axes).get_config()
        np.testing.assert_allclose(ours(shape).std(), np.sqrt(scale / fan), rtol=0.02)
    normal = kgraph.initializers.VarianceScaling(distribution="normal").get_config()
    assert normal == keras.initializers.VarianceScaling(distribution="normal").get_config()
    with pytest.raises(ValueError, match="scale=0"):
        kgraph.initializers.VarianceScaling(scale=0.0)


def test_dot_axes_errors_have_keras_types():
    for bad, error in (((1, 2, 3), ValueError), ((1, "a"), ValueError), ("1", TypeError)):
        with pytest.raises(error, match="axes"):
            keras.layers.Dot(axes=bad)
        with pytest.raises(error, match="axes"):
            kgraph.layers.Dot(axes=bad)


ATTENTION = [
    ("Attention", dict(), {}),
    ("Attention", dict(use_scale=True, score_mode="concat"), {}),
    ("Attention", dict(), dict(use_causal_mask=True)),
    ("AdditiveAttention", dict(use_scale=False), {}),
    ("AdditiveAttention", dict(), {}),
]


@pytest.mark.parametrize("name, kwargs, call_kwargs", ATTENTION)
def test_attention_program_trains_as_keras(name, kwargs, call_kwargs, tmp_path):
    def build(lib):
        query, value = lib.Input((5, 3)), lib.Input((6, 3))
        attended = getattr(lib.layers, name)(**kwargs)([query, value], **call_kwargs)
        return lib.Model([query, value], lib.layers.Dense(2)(attended))

    x = [RNG.standard_normal((8, 5, 3)).astype("float32") for _ in range(2)]
    x[1] = RNG.standard_normal((8, 6, 3)).astype("float32")
    check_program(build, x, RNG.standard_normal((8, 5, 2)).astype("float32"), tmp_path=tmp_path)


RECURRENT = [
    ("GRU", dict(units=4, return_sequences=True, return_state=True)),
    ("GRU", dict(units=4, reset_after=False, go_backwards=True)),
    ("LSTM", dict(units=4, return_state=True)),
    ("LSTM", dict(units=4, return_sequences=True, unit_forget_bias=False)),
    ("SimpleRNN", dict(units=4, return_sequences=True, activation="relu")),
]


@pytest.mark.parametrize("name, kwargs", RECURRENT)
def test_recurrent_outputs_and_states_match_keras(name, kwargs, tmp_path):
    def build(lib):
        inputs = lib.Input((5, 3))
        outputs = getattr(lib.layers, name)(**kwargs)(inputs)
        return lib.Model(inputs, list(outputs) if isinstance(outputs, list) else outputs)

    x = RNG.standard_normal((4, 5, 3)).astype("float32")
    check_program(build, x, tmp_path=tmp_path)


def test_initializer_seed_generators_as_keras():
    """A SeedGenerator seed draws fresh values at every call; its config is Keras' and loads
    in both libraries."""
    import json

    for name in ("GlorotUniform", "RandomNormal", "TruncatedNormal", "Orthogonal"):
        ours = getattr(kgraph.initializers, name)(seed=kgraph.random.SeedGenerator(3))
        first, second = ours((4, 4)), ours((4, 4))
        assert not np.allclose(first, second)
        config = json.loads(json.dumps(ours.get_config()))
        theirs = getattr(keras.initializers, name)(seed=keras.random.SeedGenerator(3))
        assert config["seed"]["class_name"] == theirs.get_config()["seed"]["class_name"]
        assert config["seed"]["config"]["seed"] == theirs.get_config()["seed"]["config"]["seed"]
        getattr(keras.initializers, name).from_config(config)
        np.testing.assert_array_equal(
            getattr(kgraph.initializers, name).from_config(config)((4, 4)), first
        )
    with pytest.raises(ValueError, match="seed=a"):
        kgraph.initializers.RandomNormal(seed="a")


def test_unnamed_weights_are_named_as_keras_names_them():
    def names(lib):
        class Scales(lib.layers.Layer):
            def build(self, input_shape):
                self.a = self.add_weight(shape=(2,))
                self.b = self.add_weight(shape=(3,))
                self.c = self.add_weight(shape=(1,), name="c")
                self.d = self.add_weight(shape=(1,))

            def call(self, x):
                return x

        lib.utils.clear_session()
        layers = [Scales(), Scales()]
        for layer in layers:
            layer.build((None, 1))
        return [w.path for layer in layers for w in layer.weights]

    assert names(kgraph) == names(keras)
