"""``keras.mixed_precision``: the legacy names of the dtype-policy API and the
``LossScaleOptimizer``.

``set_global_policy("mixed_float16")`` makes new layers keep float32 weights and compute in
float16 (ONNX Runtime runs float16 MatMul, Gemm, Conv, pooling, normalization and the common
element-wise ops on CPU and GPU). ``Model.compile`` then wraps the optimizer in a
``LossScaleOptimizer`` (see :func:`wrap_optimizer`): the training graph scales the loss before
differentiating it, unscales the float32 weight gradients, and skips a step whose gradients
are not finite, all inside the compiled step.
"""

from __future__ import annotations

from kgraph.dtype_policies.dtype_policy import DTypePolicy, dtype_policy, set_dtype_policy
from kgraph.optimizers_special import LossScaleOptimizer

__all__ = [
    "DTypePolicy",
    "LossScaleOptimizer",
    "Policy",
    "dtype_policy",
    "global_policy",
    "set_dtype_policy",
    "set_global_policy",
]

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy


def wrap_optimizer(model, optimizer, auto_scale_loss: bool = True):
    """What ``compile`` trains with: as Keras, a model whose policy is ``mixed_float16``
    (with ``auto_scale_loss``) gets ``optimizer`` wrapped in a ``LossScaleOptimizer`` named
    ``loss_scale_optimizer``, unless it already is one; any other optimizer is returned as is.

    float16 gradients underflow below 6e-8; scaling the loss by 2**15 (then by the dynamic
    scale) keeps them representable, and the unscaled float32 gradients update the float32
    weights. bfloat16 has float32's range, so ``mixed_bfloat16`` needs no scaling (as Keras).
    """
    policy = getattr(model, "dtype_policy", None)
    if (
        auto_scale_loss
        and policy is not None
        and policy.name == "mixed_float16"
        and optimizer is not None
        and not isinstance(optimizer, LossScaleOptimizer)
    ):
        return LossScaleOptimizer(optimizer, name="loss_scale_optimizer")
    return optimizer
