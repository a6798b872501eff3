"""The small ``keras.utils`` helpers: data packing, Config, tensor/dtype checks, source inputs,
clear_session, interactive logging, and the registry names re-exported from saving."""

from __future__ import annotations

import io

import numpy as np
import pytest

import kgraph as keras
from kgraph import utils


def test_pack_and_unpack():
    x, y, w = np.ones(2), np.zeros(2), np.full(2, 0.5)
    assert utils.pack_x_y_sample_weight(x) is x
    assert utils.pack_x_y_sample_weight([x, x]) == ([x, x],)
    assert utils.pack_x_y_sample_weight(x, y) == (x, y)
    assert utils.pack_x_y_sample_weight(x, y, w) == (x, y, w)
    assert utils.unpack_x_y_sample_weight(x)[1:] == (None, None)
    assert utils.unpack_x_y_sample_weight((x, y)) == (x, y, None)
    assert utils.unpack_x_y_sample_weight([x, y, w]) == (x, y, w)
    with pytest.raises(ValueError, match="format"):
        utils.unpack_x_y_sample_weight((x, y, w, w))


def test_config():
    config = utils.Config(learning_rate=0.1, layers=2)
    config.dropout = 0.5
    assert config.learning_rate == 0.1 and config["dropout"] == 0.5 and len(config) == 3
    assert "layers" in config and config.as_dict() == dict(config.items())
    assert config.to_json() == '{"learning_rate": 0.1, "layers": 2, "dropout": 0.5}'
    config.freeze()
    with pytest.raises(ValueError, match="frozen"):
        config.layers = 3
    config.unfreeze()
    config.update(layers=3)
    assert config.pop("layers") == 3 and config.get("layers", "x") == "x"
    with pytest.raises(AttributeError):
        _ = config.missing


def test_tensors_dtypes_and_source_inputs():
    a, b = keras.Input((3,)), keras.Input((3,))
    out = keras.layers.Dense(2)(keras.layers.Add()([a, b]))
    assert utils.is_keras_tensor(out) and not utils.is_keras_tensor(np.ones(2))
    sources = utils.get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert utils.get_source_inputs(a) == [a]
    assert utils.standardize_dtype(np.float32) == "float32"
    assert utils.standardize_dtype("int64") == "int64"


def test_clear_session_restarts_names():
    keras.layers.Dense(1)
    utils.clear_session()
    assert keras.layers.Dense(1).name == "dense"
    assert keras.layers.Dense(1).name == "dense_1"


def test_registry_names_and_sequence():
    assert utils.register_keras_serializable is keras.saving.register_keras_serializable
    assert utils.get_custom_objects() is keras.saving.get_custom_objects()
    assert utils.Sequence is utils.PyDataset
    with pytest.raises(AttributeError):
        _ = utils.not_a_name


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_interactive_logging_switch():
    stream = _Terminal()
    utils.disable_interactive_logging()
    try:
        assert not utils.is_interactive_logging_enabled()
        bar = utils.Progbar(3, stream=stream, interval=0)
        bar.update(1, [("loss", 1.0)])
        assert stream.getvalue() == ""  # no in-place redraws
    finally:
        utils.enable_interactive_logging()
    bar.update(2, [("loss", 1.0)])
    assert stream.getvalue().startswith("\r2/3")
