"""Dtype policies (kgraph.dtype_policies, kgraph.mixed_precision, kgraph.config) against the
values Keras 3 documents: names parse to (compute, variable) dtypes, configs round-trip, the
global policy reaches new layers, and the debugging caps and flags of ``keras.config``."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import config, dtype_policies, layers, mixed_precision


@pytest.fixture(autouse=True)
def float32_policy():
    yield
    config.set_dtype_policy("float32")


@pytest.mark.parametrize(
    ("name", "compute", "variable"),
    [
        ("float32", "float32", "float32"),
        ("float16", "float16", "float16"),
        ("bfloat16", "bfloat16", "bfloat16"),
        ("mixed_float16", "float16", "float32"),
        ("mixed_bfloat16", "bfloat16", "float32"),
        ("int32", "int32", "int32"),
    ],
)
def test_policy_names_give_compute_and_variable_dtypes(name, compute, variable):
    policy = kgraph.DTypePolicy(name)
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (name, compute, variable)
    assert policy.quantization_mode is None
    assert repr(policy) == f'<DTypePolicy "{name}">'
    assert policy.get_config() == {"name": name}
    assert kgraph.DTypePolicy.from_config(policy.get_config()) == policy


def test_bad_names_raise_keras_errors():
    with pytest.raises(ValueError, match="Cannot convert 'mixed_float8' to a mixed precision"):
        kgraph.DTypePolicy("mixed_float8")
    with pytest.raises(TypeError, match="'name' must be a string"):
        kgraph.DTypePolicy(16)
    with pytest.raises(ValueError, match="Invalid `policy` argument"):
        config.set_dtype_policy(16)
    with pytest.raises(ValueError, match="Cannot convert 'floaty'"):
        layers.Dense(2, dtype="floaty")


def test_float_policy_is_an_equal_alias_and_legacy_names_are_the_same():
    assert kgraph.FloatDTypePolicy("float16") == kgraph.DTypePolicy("float16")
    assert repr(kgraph.FloatDTypePolicy("float16")) == '<DTypePolicy "float16">'
    assert kgraph.DTypePolicy("float16") != kgraph.DTypePolicy("mixed_float16")
    assert mixed_precision.Policy is mixed_precision.DTypePolicy is kgraph.DTypePolicy
    assert dtype_policies.FloatDTypePolicy is kgraph.FloatDTypePolicy


def test_get_serialize_deserialize():
    policy = dtype_policies.get("mixed_float16")
    config_dict = dtype_policies.serialize(policy)
    assert config_dict == {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": "mixed_float16"},
        "registered_name": None,
    }
    assert dtype_policies.deserialize(config_dict) == policy
    assert dtype_policies.get(config_dict) == policy
    assert dtype_policies.get(policy) is policy
    assert dtype_policies.get(np.float16).name == "float16"
    assert dtype_policies.get(None).name == "float32"
    with pytest.raises(ValueError, match="Cannot interpret `dtype` argument"):
        dtype_policies.get(object())


def test_global_policy_reaches_new_layers_only():
    before = layers.Dense(2)
    mixed_precision.set_global_policy("mixed_float16")
    assert mixed_precision.global_policy() == kgraph.DTypePolicy("mixed_float16")
    assert config.dtype_policy().name == "mixed_float16"
    dense = layers.Dense(2)
    assert (dense.dtype, dense.compute_dtype, dense.variable_dtype) == (
        "float32",
        "float16",
        "float32",
    )
    assert dense.dtype_policy.name == "mixed_float16" and dense.input_dtype == "float16"
    assert before.dtype_policy.name == "float32"
    assert layers.Dense(2, dtype="float32").compute_dtype == "float32"
    config.set_dtype_policy(kgraph.DTypePolicy("bfloat16"))
    assert layers.Dense(2).dtype == "bfloat16"


def test_layer_config_round_trips_the_policy():
    dense = layers.Dense(3, dtype="mixed_float16")
    assert dense.get_config()["dtype"] == "mixed_float16"
    again = layers.Dense.from_config(dense.get_config())
    assert again.dtype_policy == dense.dtype_policy
    keras_style = {**dense.get_config(), "dtype": dtype_policies.serialize(dense.dtype_policy)}
    assert layers.Dense.from_config(keras_style).compute_dtype == "float16"


def test_dtype_policy_map_matches_paths():
    policy_map = dtype_policies.DTypePolicyMap(default_policy="float32")
    policy_map["encoder/dense"] = "bfloat16"
    policy_map["encoder/.*"] = "float16"
    assert policy_map["encoder/dense"].name == "bfloat16"
    assert policy_map["encoder/attention"].name == "float16"
    assert policy_map["decoder"].name == "float32"
    assert len(policy_map) == 2 and "encoder/.*" in policy_map
    with pytest.raises(ValueError, match="already exist"):
        policy_map["encoder/dense"] = "float32"
    policy_map["encoder/att.*"] = "float32"
    with pytest.raises(ValueError, match="matches multiple dtype policy"):
        policy_map["encoder/attention"]
    restored = dtype_policies.DTypePolicyMap.from_config(policy_map.get_config())
    assert restored == policy_map
    named = dtype_policies.DTypePolicyMap("float32", {"head": "mixed_float16"})
    assert layers.Dense(2, name="head", dtype=named).compute_dtype == "float16"
    assert layers.Dense(2, name="body", dtype=named).compute_dtype == "float32"


def test_max_epochs_and_steps_caps(monkeypatch):
    assert config.max_epochs() is None and config.max_steps_per_epoch() is None
    config.set_max_epochs(2)
    config.set_max_steps_per_epoch(3)
    try:
        assert (config.max_epochs(), config.max_steps_per_epoch()) == (2, 3)
        with pytest.warns(UserWarning, match="Limiting epochs to 2"):
            assert config.capped_epochs(5) == 2
        assert config.capped_epochs(1) == 1
        with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
            assert config.capped_steps(None) == 3
        assert config.capped_steps(2) == 2
    finally:
        config.set_max_epochs(None)
        config.set_max_steps_per_epoch(None)
    assert config.capped_epochs(5) == 5 and config.capped_steps(None) is None


def test_flash_attention_flag_and_nnx():
    assert config.is_flash_attention_enabled() is None  # Keras' default
    config.disable_flash_attention()
    assert config.is_flash_attention_enabled() is False
    config.enable_flash_attention()
    assert config.is_flash_attention_enabled() is None
    assert config.is_nnx_enabled() is False


def test_config_has_keras_names():
    keras_names = {
        "backend", "disable_flash_attention", "disable_interactive_logging",
        "disable_traceback_filtering", "dtype_policy", "enable_flash_attention",
        "enable_interactive_logging", "enable_traceback_filtering",
        "enable_unsafe_deserialization", "epsilon", "floatx", "image_data_format",
        "is_flash_attention_enabled", "is_interactive_logging_enabled", "is_nnx_enabled",
        "is_traceback_filtering_enabled", "max_epochs", "max_steps_per_epoch", "set_backend",
        "set_dtype_policy", "set_epsilon", "set_floatx", "set_image_data_format",
        "set_max_epochs", "set_max_steps_per_epoch",
    }  # fmt: skip
    assert keras_names <= set(config.__all__)
    assert all(callable(getattr(config, name)) for name in keras_names)
    assert {"DTypePolicy", "DTypePolicyMap", "FloatDTypePolicy", "get", "serialize"} <= set(
        dir(kgraph.dtype_policies)
    )


def test_convert_input_casts_floats_only():
    policy = kgraph.DTypePolicy("mixed_float16")
    half = policy.convert_input(np.ones(2), True, "float16")
    assert half.dtype == np.float16 and np.all(half == 1)
    assert policy.convert_input(np.ones(2), False, "float16").dtype == np.float32
    assert policy.convert_input(np.arange(2, dtype=np.int32), True, "float16").dtype == np.int32
    assert policy.convert_input(3.0, True, "float16") == 3.0
    symbolic = kgraph.Input((2,))
    assert policy.convert_input(symbolic, True, "float16").dtype == "float16"
    assert policy.convert_input(symbolic, False, "float16") is symbolic
