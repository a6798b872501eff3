"""``keras.config``: the global settings Keras programs read or set.

kgraph has one numeric setup: float32 compute, channels-last images and Keras' fuzz factor
1e-7 are fixed in its lowerings, so the setters accept those values and refuse others with a
clear error rather than being ignored. ``backend()`` is ``"kgraph"`` (the graphs run in ONNX
Runtime; no TensorFlow, JAX or PyTorch backend is involved)."""

from __future__ import annotations

from kgraph import dtypes
from kgraph.saving.serialization_lib import enable_unsafe_deserialization
from kgraph.utils.keras_utils import (
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)

__all__ = [
    "backend",
    "disable_interactive_logging",
    "disable_traceback_filtering",
    "enable_interactive_logging",
    "enable_traceback_filtering",
    "enable_unsafe_deserialization",
    "epsilon",
    "floatx",
    "image_data_format",
    "is_interactive_logging_enabled",
    "is_traceback_filtering_enabled",
    "set_backend",
    "set_dtype_policy",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
]

EPSILON = 1e-7
_TRACEBACK_FILTERING = [True]


def backend() -> str:
    """The name of the backend: ``"kgraph"`` (ONNX graphs run by ONNX Runtime)."""
    return "kgraph"


def set_backend(backend):
    """Refused: kgraph is its own backend (use Keras itself for TensorFlow, JAX or PyTorch)."""
    raise ValueError(
        f"kgraph runs its models in ONNX Runtime and has no other backend. Received: "
        f"backend={backend!r}"
    )


def floatx() -> str:
    """The default float dtype of weights and computations: ``"float32"``."""
    return dtypes.FLOATX


def set_floatx(value) -> None:
    """Accepts ``"float32"`` only: other precisions are chosen per layer (``dtype=``)."""
    _fixed("floatx", value, dtypes.FLOATX)


def epsilon() -> float:
    """Keras' fuzz factor (1e-7), which kgraph's losses, metrics and layers use."""
    return EPSILON


def set_epsilon(value) -> None:
    """Accepts 1e-7 only: kgraph's lowerings write the fuzz factor as a constant."""
    if value != EPSILON:
        raise ValueError(
            f"kgraph's losses and layers use the fixed fuzz factor {EPSILON}. "
            f"Received: value={value}"
        )


def image_data_format() -> str:
    """The default image layout of convolution and pooling layers: ``"channels_last"``."""
    return "channels_last"


def set_image_data_format(data_format) -> None:
    """Accepts ``"channels_last"`` only; pass ``data_format="channels_first"`` to a layer."""
    _fixed("data_format", data_format, "channels_last")


def set_dtype_policy(policy) -> None:
    """Accepts the ``"float32"`` policy only: kgraph has no mixed-precision policies."""
    name = getattr(policy, "name", policy)
    _fixed("policy", name, "float32")


def enable_traceback_filtering() -> None:
    """Kept for Keras programs: kgraph's tracebacks are never filtered."""
    _TRACEBACK_FILTERING[0] = True


def disable_traceback_filtering() -> None:
    """Kept for Keras programs: kgraph's tracebacks are never filtered."""
    _TRACEBACK_FILTERING[0] = False


def is_traceback_filtering_enabled() -> bool:
    return _TRACEBACK_FILTERING[0]


def _fixed(name: str, value, allowed: str) -> None:
    if value != allowed:
        raise ValueError(
            f"kgraph supports only {name}={allowed!r} globally. Received: {name}={value!r}"
        )
