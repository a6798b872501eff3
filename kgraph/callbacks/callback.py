"""``Callback``: hooks into ``fit``/``evaluate``/``predict`` with Keras' method names."""

from __future__ import annotations


class Callback:
    """Base class; override the hooks you need. ``self.model`` is set by the training loop.

    Before a hook that a callback overrides, the training loop brings the model's weights up to
    date with the training state (one copy from the device, only when a step ran since the
    last one), so the hook may read them, save the model or write weights. A callback that never
    looks at the model sets ``reads_model = False`` to skip that.
    """

    reads_model = True

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...

    def on_train_batch_begin(self, batch, logs=None):
        """Calls ``on_batch_begin``, Keras' older name for this hook."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Calls ``on_batch_end``, Keras' older name for this hook."""
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...


class CallbackList(Callback):
    """Calls every hook on a list of callbacks, in order.

    Args:
        callbacks: The callbacks.
        model: The model they get as ``self.model``.
        sync: Called before a hook of a callback that overrides it and reads the model (the
            trainer's ``pull``).
        **params: What the callbacks get as ``self.params`` (``epochs``, ``steps``, ``verbose``).
    """

    def __init__(self, callbacks=None, model=None, sync=None, **params):
        super().__init__()
        self.sync = sync
        self.callbacks = list(callbacks or [])
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"callbacks must be kgraph.callbacks.Callback instances. Received: {callback!r}"
                )
        if model is not None:
            self.set_model(model)
        self.set_params(params)

    def set_model(self, model):
        super().set_model(model)
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)

    def __getattribute__(self, name):
        if name.startswith("on_"):
            callbacks = object.__getattribute__(self, "callbacks")
            sync = object.__getattribute__(self, "sync")

            def call_all(*args, **kwargs):
                for callback in callbacks:
                    if sync is not None and callback.reads_model and overrides(callback, name):
                        sync()
                    getattr(callback, name)(*args, **kwargs)

            return call_all
        return object.__getattribute__(self, name)


_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def overrides(callback: Callback, hook: str) -> bool:
    """Whether ``callback`` has its own ``hook`` (or the older name the hook calls), in its
    class or as an instance attribute, not only the base class' no-op."""
    names = [hook, *([_ALIASES[hook]] if hook in _ALIASES else [])]
    if any(n in vars(callback) for n in names):  # set on the instance, as LambdaCallback does
        return True
    return any(getattr(type(callback), n, None) is not getattr(Callback, n) for n in names)
