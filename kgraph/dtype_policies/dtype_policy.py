"""Keras 3's dtype policies: the dtype a layer keeps its weights in and the dtype it computes in.

A plain policy (``"float32"``, ``"float16"``, ``"bfloat16"``, ``"int32"``...) uses one dtype for
both. ``"mixed_float16"`` and ``"mixed_bfloat16"`` keep weights in float32 and compute in the
half type: the layer casts its floating inputs and reads its weights as the half type inside
``call``, so the ONNX graph carries ``Cast`` nodes at each layer's entry (see
``kgraph.layers.autocast``). The global policy is what a layer built with ``dtype=None`` gets.

Quantized policies (``int8_from_float32``...) are in ``quantized_policy``.
"""

from __future__ import annotations

import numpy as np

from kgraph import dtypes

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
_GLOBAL: list = [None]  # the global policy; None means "float32" (floatx)


class DTypePolicy:
    """The compute and variable dtypes of a layer.

    Args:
        name: A dtype name (``"float32"``, ``"float16"``, ``"bfloat16"``...): both dtypes are
            that one; or ``"mixed_float16"`` / ``"mixed_bfloat16"``: float16 / bfloat16
            computations with float32 variables. None takes the global policy's name.
    """

    def __init__(self, name=None):
        if name is None:
            name = dtype_policy().name
        self._name = name
        self._compute_dtype, self._variable_dtype = _parse_name(name)
        self._quantization_mode = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        """The dtype of the layer's inputs (after autocasting), computations and outputs."""
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype the layer creates its weights in (and regularizers compute in)."""
        return self._variable_dtype

    @property
    def quantization_mode(self):
        """None; ``"int8"``... for a ``QuantizedDTypePolicy``."""
        return self._quantization_mode

    def convert_input(self, x, autocast, dtype):
        """``x`` cast to ``dtype`` when ``autocast`` is set and ``x`` is a floating tensor or
        array of another dtype (integers, bools and Python scalars pass as they are)."""
        from kgraph import ops
        from kgraph.tensor import KerasTensor

        dtype = dtypes.standardize(dtype)
        if isinstance(x, KerasTensor):
            floating = x.dtype.startswith(("float", "bfloat"))
            return ops.cast(x, dtype) if autocast and floating and x.dtype != dtype else x
        if hasattr(x, "__array__"):
            x = np.asarray(x)
            if x.dtype == np.float64 and not autocast:
                x = x.astype(dtypes.FLOATX)  # as Keras converts a float64 array to a tensor
            if autocast and x.dtype.kind == "f" and x.dtype.name != dtype:
                x = x.astype(dtype)
        return x

    def get_config(self) -> dict:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'

    def __eq__(self, other):
        if type(other) not in (DTypePolicy, FloatDTypePolicy):
            return False
        return self._name == other._name

    def __hash__(self):
        return hash(self._name)


class FloatDTypePolicy(DTypePolicy):
    """Keras' alias of :class:`DTypePolicy` (a distinct class; equal policies compare equal)."""


def _parse_name(name) -> tuple[str, str]:
    if not isinstance(name, str):
        raise TypeError(
            "'name' must be a string, such as 'mixed_float16'. "
            f"Received: name={name} (of type {type(name)})"
        )
    if name in _MIXED:
        return _MIXED[name], "float32"
    try:
        dtype = dtypes.standardize(name)
    except ValueError:
        raise ValueError(
            f"Cannot convert '{name}' to a mixed precision DTypePolicy. Valid policies include "
            "'mixed_float16', 'mixed_bfloat16', and the name of any float dtype such as "
            "'float32'."
        ) from None
    return dtype, dtype


def set_dtype_policy(policy) -> None:
    """Sets the global policy: layers created afterwards with ``dtype=None`` take it."""
    if not isinstance(policy, DTypePolicy):
        if not isinstance(policy, str):
            raise ValueError(
                "Invalid `policy` argument. Expected the string name of a policy (such as "
                f"'mixed_float16') or a `DTypePolicy` instance. Received: policy={policy} "
                f"(of type {type(policy)})"
            )
        policy = DTypePolicy(policy)
    _GLOBAL[0] = policy


def dtype_policy() -> DTypePolicy:
    """The global policy (``DTypePolicy("float32")`` until one is set)."""
    if _GLOBAL[0] is None:
        _GLOBAL[0] = DTypePolicy(dtypes.FLOATX)
    return _GLOBAL[0]
