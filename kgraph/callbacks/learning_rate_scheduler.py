"""``LearningRateScheduler``: sets the learning rate from ``schedule(epoch[, lr])`` at the start
of every epoch (a graph input in kgraph, so nothing is recompiled)."""

from __future__ import annotations

import numpy as np

from kgraph.callbacks.callback import Callback


class LearningRateScheduler(Callback):
    """Args:
    schedule: ``schedule(epoch, lr) -> new_lr`` (0-based epoch, current rate as a float), or
        ``schedule(epoch) -> new_lr``; it must return a float.
    verbose: 1 prints each new rate.

    Every epoch's logs get ``learning_rate``, as in Keras.
    """

    reads_model = False  # the optimizer only, never the weights

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _new_rate(self, optimizer, epoch) -> float:
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            rate = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:  # a one-argument schedule, as Keras accepts
            rate = self.schedule(epoch)
        if not isinstance(rate, (float, np.float32, np.float64)):
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {rate}"
            )
        optimizer.learning_rate = rate
        return rate

    def on_epoch_begin(self, epoch, logs=None):
        rate = self._new_rate(self.model.optimizer, epoch)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
