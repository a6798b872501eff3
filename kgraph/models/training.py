"""Training entry points of ``Model`` (compile / fit / evaluate); filled in by the trainer."""

from __future__ import annotations


class TrainerMixin:
    """Holds, once compiled, the training configuration."""
