"""``LambdaCallback``: a callback made of plain functions, for one-off hooks."""

from __future__ import annotations

from kgraph.callbacks.callback import Callback

_HOOKS = (
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_begin",
    "on_train_end",
    "on_train_batch_begin",
    "on_train_batch_end",
)


class LambdaCallback(Callback):
    """Each given function replaces the hook of the same name: ``on_epoch_begin(epoch, logs)``,
    ``on_epoch_end(epoch, logs)``, ``on_train_begin(logs)``, ``on_train_end(logs)``,
    ``on_train_batch_begin(batch, logs)``, ``on_train_batch_end(batch, logs)``. Other keyword
    arguments (Keras passes e.g. ``on_test_end=...`` this way) become attributes, so they also
    replace their hooks."""

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        self.__dict__.update(kwargs)
        given = locals()
        for hook in _HOOKS:
            if given[hook] is not None:
                setattr(self, hook, given[hook])
