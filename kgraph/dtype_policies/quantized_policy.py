"""Keras 3's quantized dtype policies: ``"<mode>_from_<source policy>"``.

A layer quantized by ``quantize("int8")`` takes ``QuantizedDTypePolicy("int8", "float32")``
(named ``int8_from_float32``): it still computes in the source policy's dtypes, and the policy
tells ``build`` to create the int8 kernel and its scale instead of the float kernel, which is
how a saved quantized model is rebuilt from its config. Keras' other modes parse to the same
class so that their names are understood; kgraph builds and runs ``"int8"`` layers only.
"""

from __future__ import annotations

from kgraph.dtype_policies.dtype_policy import DTypePolicy, _parse_name, dtype_policy

QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")
SUPPORTED_MODES = ("int8",)


class QuantizedDTypePolicy(DTypePolicy):
    """The policy of a quantized layer.

    Args:
        mode: The quantization mode (one of ``QUANTIZATION_MODES``).
        source_name: The float policy the layer had before quantization (the global
            policy's name when None).
    """

    def __init__(self, mode, source_name=None):
        if source_name is None:
            source_name = dtype_policy().name
        self._compute_dtype, self._variable_dtype = _parse_name(source_name)
        if mode not in QUANTIZATION_MODES:
            raise ValueError(
                f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
                f"Received: mode={mode}"
            )
        if self._compute_dtype == "float16" and mode == "int8":
            raise ValueError(
                f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'."
            )
        self._name = f"{mode}_from_{source_name}"
        self._source_name = source_name
        self._quantization_mode = mode

    def __eq__(self, other):
        return (
            isinstance(other, QuantizedDTypePolicy)
            and self._quantization_mode == other._quantization_mode
            and self._source_name == other._source_name
        )

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<QuantizedDTypePolicy "{self._name}">'

    def get_config(self) -> dict:
        return {"mode": self._quantization_mode, "source_name": self._source_name}


def quantized_policy_from_name(name: str) -> QuantizedDTypePolicy:
    """The policy a ``"<mode>_from_<source>"`` name describes, with Keras' errors."""
    parts = name.split("_from_")
    if len(parts) != 2:
        raise ValueError(
            "Cannot convert `policy` into a valid pair (`mode`, `source_name`) to instantiate "
            f"`QuantizedDTypePolicy`. Received: policy={name}"
        )
    return QuantizedDTypePolicy(*parts)
