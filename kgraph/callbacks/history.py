"""``History``: what ``fit`` returns — per-epoch logs keyed by metric name."""

from __future__ import annotations

from kgraph.callbacks.callback import Callback


class History(Callback):
    """Records ``logs`` at the end of every epoch into ``history[name] -> list``."""

    reads_model = False

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
