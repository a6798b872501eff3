"""``SwapEMAWeights``: evaluate (and optionally checkpoint) with the optimizer's EMA weights."""

from __future__ import annotations

from kgraph.callbacks.callback import Callback


class SwapEMAWeights(Callback):
    """Swaps the model's weights with the optimizer's exponential moving averages around
    evaluation and prediction, as Keras does; use it with an optimizer built with
    ``use_ema=True``.

    Args:
        swap_on_epoch: Also hold the EMA weights from each epoch's end to the next epoch's
            start, so other callbacks (``ModelCheckpoint``) see them; after the last epoch the
            averages are set to the final EMA weights, which stay in the model.

    Raises:
        ValueError: at the first swap, when the optimizer does not use EMA.

    Unlike Keras 3.15, whose ``on_predict_end`` leaves the EMA weights in the model, prediction
    swaps them back, as its evaluation counterpart does.
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _pairs(self):
        optimizer = self.model.optimizer
        if not optimizer.use_ema:
            raise ValueError(
                "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
                f"Received: use_ema={optimizer.use_ema}"
            )
        weights = self.model.trainable_weights
        return [(w, a) for w, a in zip(weights, optimizer.ema_variables(weights)) if a is not None]

    def _swap(self) -> None:
        for weight, average in self._pairs():
            current = weight.numpy()
            weight.assign(average.numpy())
            average.assign(current)

    def _finalize(self) -> None:
        for weight, average in self._pairs():
            average.assign(weight.numpy())

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = True
            if epoch == self.params.get("epochs", 0) - 1:
                self._finalize()

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = False

    on_predict_begin = on_test_begin
    on_predict_end = on_test_end
