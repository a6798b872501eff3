"""``keras.config``: the global settings Keras programs read or set.

floatx (float32), channels-last images and Keras' fuzz factor 1e-7 are fixed in kgraph's
lowerings, so those setters accept those values and refuse others with a clear error rather
than being ignored. The dtype policy is free (``"mixed_float16"`` and the rest, see
``kgraph.dtype_policies``). ``max_epochs`` / ``max_steps_per_epoch`` cap ``fit`` as Keras'
debugging caps do (also read from ``KERAS_MAX_EPOCHS`` / ``KERAS_MAX_STEPS_PER_EPOCH``).
``backend()`` is ``"kgraph"`` (the graphs run in ONNX Runtime; no TensorFlow, JAX or PyTorch
backend is involved)."""

from __future__ import annotations

import os
import warnings

from kgraph import dtypes
from kgraph.dtype_policies.dtype_policy import dtype_policy, set_dtype_policy
from kgraph.utils.keras_utils import (
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)

__all__ = [
    "backend",
    "disable_flash_attention",
    "disable_interactive_logging",
    "disable_traceback_filtering",
    "dtype_policy",
    "enable_flash_attention",
    "enable_interactive_logging",
    "enable_traceback_filtering",
    "enable_unsafe_deserialization",
    "epsilon",
    "floatx",
    "image_data_format",
    "is_flash_attention_enabled",
    "is_interactive_logging_enabled",
    "is_nnx_enabled",
    "is_traceback_filtering_enabled",
    "max_epochs",
    "max_steps_per_epoch",
    "set_backend",
    "set_dtype_policy",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_max_epochs",
    "set_max_steps_per_epoch",
]

EPSILON = 1e-7
_TRACEBACK_FILTERING = [True]
_FLASH_ATTENTION: list = [None]  # Keras: None (the default, "use it where possible") or False


def _env_int(name: str):
    value = os.environ.get(name)
    return int(value) if value else None


_CAPS = {"epochs": _env_int("KERAS_MAX_EPOCHS"), "steps": _env_int("KERAS_MAX_STEPS_PER_EPOCH")}


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


def enable_traceback_filtering() -> None:
    """Kept for Keras programs: kgraph's tracebacks are never filtered."""
    _TRACEBACK_FILTERING[0] = True


def disable_traceback_filtering() -> None:
    """Kept for Keras programs: kgraph's tracebacks are never filtered."""
    _TRACEBACK_FILTERING[0] = False


def is_traceback_filtering_enabled() -> bool:
    return _TRACEBACK_FILTERING[0]


def set_max_epochs(max_epochs) -> None:
    """Caps the epochs of every ``fit`` (None: no cap); for quick debugging runs, as Keras."""
    _CAPS["epochs"] = max_epochs


def max_epochs():
    """The cap on ``fit``'s epochs set by :func:`set_max_epochs` or ``KERAS_MAX_EPOCHS``."""
    return _CAPS["epochs"]


def set_max_steps_per_epoch(max_steps_per_epoch) -> None:
    """Caps the steps of each epoch of ``fit`` (None: no cap), as Keras' debugging cap."""
    _CAPS["steps"] = max_steps_per_epoch


def max_steps_per_epoch():
    """The per-epoch step cap set by :func:`set_max_steps_per_epoch` or
    ``KERAS_MAX_STEPS_PER_EPOCH``."""
    return _CAPS["steps"]


def capped_epochs(epochs: int) -> int:
    """``fit``'s epoch count under :func:`max_epochs` (with Keras' warning when it cuts)."""
    cap = _CAPS["epochs"]
    if cap and cap < epochs:
        warnings.warn(f"Limiting epochs to {cap}", stacklevel=3)
        return cap
    return epochs


def capped_steps(steps_per_epoch):
    """``fit``'s ``steps_per_epoch`` under :func:`max_steps_per_epoch` (None: a full pass)."""
    cap = _CAPS["steps"]
    if cap and (not steps_per_epoch or cap < steps_per_epoch):
        warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
        return cap
    return steps_per_epoch


def enable_flash_attention() -> None:
    """Recorded for Keras programs. kgraph's attention has no flash kernel: the ONNX graph
    computes softmax(QK^T)V plainly whatever this flag says (ONNX Runtime may fuse it)."""
    _FLASH_ATTENTION[0] = None


def disable_flash_attention() -> None:
    """Recorded for Keras programs (see :func:`enable_flash_attention`)."""
    _FLASH_ATTENTION[0] = False


def is_flash_attention_enabled():
    """Keras' flag: None (enabled, the default) or False; it does not change kgraph's graphs."""
    return _FLASH_ATTENTION[0]


def is_nnx_enabled() -> bool:
    """False: Flax NNX is a JAX-backend feature; kgraph has none."""
    return False


def enable_unsafe_deserialization() -> None:
    """Lets ``load_model`` rebuild Python lambdas (see ``kgraph.saving``); imported on call so
    that ``kgraph.config`` stays importable from the layers the saving package imports."""
    from kgraph.saving import serialization_lib

    serialization_lib.enable_unsafe_deserialization()


def _fixed(name: str, value, allowed: str) -> None:
    if value != allowed:
        raise ValueError(
            f"kgraph supports only {name}={allowed!r} globally. Received: {name}={value!r}"
        )
