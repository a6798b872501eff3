"""``TerminateOnNaN``: stops training at the first batch whose loss is NaN or infinite."""

from __future__ import annotations

import math

from kgraph.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Sets ``model.stop_training`` (or raises, with ``raise_error=True``) when a batch's
    ``loss`` is NaN or infinite.

    Args:
        raise_error: Raise a ``RuntimeError`` at once instead of ending training cleanly.
    """

    reads_model = False  # only the batch loss: no weight sync after every step

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = raise_error

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                "Terminating training immediately."
            )
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
