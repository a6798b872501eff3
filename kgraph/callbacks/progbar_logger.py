"""``ProgbarLogger``: Keras-style progress output for ``fit`` and ``evaluate``."""

from __future__ import annotations

from kgraph.callbacks.callback import Callback
from kgraph.utils.progbar import Progbar


class ProgbarLogger(Callback):
    """verbose=1: a progress bar per epoch; verbose=2: one line per epoch."""

    reads_model = False

    def __init__(self, verbose=1):
        super().__init__()
        self.verbose = verbose
        self._bar = None
        self._in_fit = False  # fit's validation shows no bar of its own (as in Keras)

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.params.get("epochs", 1)
        if self.verbose and epochs > 1:  # Keras prints no header for a single epoch
            print(f"Epoch {epoch + 1}/{epochs}")
        self._bar = Progbar(self.params.get("steps"), verbose=self.verbose)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.update(batch + 1, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.finish(logs or {})
            self._bar = None

    def on_test_begin(self, logs=None):
        if self._in_fit:
            return
        self._bar = Progbar(self.params.get("steps"), verbose=self.verbose)

    def on_test_batch_end(self, batch, logs=None):
        if self._bar is not None and not self._in_fit:
            self._bar.update(batch + 1, logs or {})

    def on_test_end(self, logs=None):
        if self._bar is not None and not self._in_fit:
            self._bar.finish(logs or {})
            self._bar = None
