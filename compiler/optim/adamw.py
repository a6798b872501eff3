"""AdamW: Adam with decoupled weight decay, as Keras 3 defines it.

The decay itself (``p -= p * weight_decay * lr`` before the Adam rule) is the base optimizer's
``weight_decay``, applied by :func:`compiler.optim.build_updates`; AdamW only defaults it to 0.004
and requires it to be set.
"""

from __future__ import annotations

from typing import Any

from kgraph.compiler.optim import adam

DEFAULTS: dict[str, Any] = {**adam.DEFAULTS, "weight_decay": 0.004}
slots = adam.slots
update = adam.update


def validate(config: dict[str, Any]) -> None:
    """Raises ValueError when ``weight_decay`` is None."""
    if config["weight_decay"] is None:
        raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
