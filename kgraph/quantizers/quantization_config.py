"""Keras 3's quantization configs: which quantizer ``quantize`` applies to the weights and
which one the quantized layer applies to its inputs at call time."""

from __future__ import annotations

from kgraph.dtype_policies import QUANTIZATION_MODES
from kgraph.dtype_policies.quantized_policy import SUPPORTED_MODES


class QuantizationConfig:
    """Base class of the configs (its ``mode`` is the subclass').

    Args:
        weight_quantizer: Quantizer of the weights (None: the layer's default).
        activation_quantizer: Quantizer of the inputs at call time (None: weight-only).
    """

    def __init__(self, weight_quantizer=None, activation_quantizer=None):
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self):
        raise NotImplementedError(
            "Subclasses must implement this property. Do not instantiate "
            "QuantizationConfig directly."
        )

    def get_config(self):
        from kgraph.quantizers import serialize

        return {
            "weight_quantizer": _maybe(serialize, self.weight_quantizer),
            "activation_quantizer": _maybe(serialize, self.activation_quantizer),
        }

    @classmethod
    def from_config(cls, config):
        from kgraph.quantizers import deserialize

        def load(value):
            return deserialize(value) if isinstance(value, dict) else value

        return cls(
            weight_quantizer=load(config.get("weight_quantizer")),
            activation_quantizer=load(config.get("activation_quantizer")),
        )

    @staticmethod
    def weight_quantizer_or_default(config, default):
        if config is not None and config.weight_quantizer is not None:
            return config.weight_quantizer
        return default

    @staticmethod
    def activation_quantizer_or_default(config, default):
        return config.activation_quantizer if config is not None else default


def _maybe(fn, value):
    return None if value is None else fn(value)


class Int8QuantizationConfig(QuantizationConfig):
    """The int8 config; ``activation_quantizer="default"`` is ``AbsMaxQuantizer()`` (per row
    of the last axis), None quantizes the weights only."""

    def __init__(self, weight_quantizer=None, activation_quantizer="default"):
        from kgraph.quantizers.quantizers import AbsMaxQuantizer

        if activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        if weight_quantizer is not None and weight_quantizer.output_dtype != "int8":
            raise ValueError(
                "Int8QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                f"Received: output_dtype={weight_quantizer.output_dtype}"
            )

    @property
    def mode(self):
        return "int8"


def validate_and_resolve_config(mode, config):
    """``config`` for ``quantize(mode, config)`` with Keras' errors; a mode Keras knows but
    kgraph does not lower (int4, float8, gptq, awq) raises one line saying so."""
    if isinstance(config, str):
        mode, config = config, None
    _validate_mode(mode)
    if config is None:
        if mode is None:
            raise ValueError("You must provide either `mode` or `config` to `quantize`.")
        _check_supported(mode)
        return Int8QuantizationConfig()
    if not isinstance(config, QuantizationConfig):
        raise ValueError(
            "Argument `config` must be an instance of `QuantizationConfig`. "
            f"Received: config={config} (of type {type(config)})"
        )
    if mode is not None and config.mode != mode:
        raise ValueError(f"Contradictory arguments: mode='{mode}' but config.mode='{config.mode}'")
    _validate_mode(config.mode)
    _check_supported(config.mode)
    return config


def _validate_mode(mode):
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(
            f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
            f"Received: mode={mode}"
        )


def _check_supported(mode):
    if mode not in SUPPORTED_MODES:
        raise NotImplementedError(
            f"kgraph quantizes with mode='int8' only (ONNX int8 kernels); mode='{mode}' of "
            "Keras is not supported."
        )
