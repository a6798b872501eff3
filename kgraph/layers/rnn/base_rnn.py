"""The shared part of SimpleRNN, LSTM and GRU: an ``RNN`` around the matching cell, built from
the cell's arguments (the time loop itself is ``time_loop``)."""

from __future__ import annotations

LAYER_KEYS = ("trainable", "name", "dtype", "activity_regularizer", "input_shape")


def make_base_rnn(rnn_class):
    """``BaseRNN`` on top of ``RNN`` (passed in, since ``rnn.py`` imports this module)."""

    class BaseRNN(rnn_class):
        """A recurrent layer over ``(batch, time, features)`` inputs: an ``RNN`` around its
        ``cell_class`` built from the cell arguments, so its weights live in ``self.cell`` as
        in Keras (``.keras`` files then lay them out as Keras does); the cell's attributes
        (``units``, ``kernel``...) read through the layer. The config is flat, as Keras'.

        The time length may be ``None`` and ``call`` takes a Keras mask (see ``RNN`` and
        ``time_loop``). Differences from Keras: ``stateful=True`` is not supported; ``unroll``
        is accepted and has no effect (``time_loop`` picks unrolled or Scan by length).
        """

        cell_class = None

        def __init__(
            self,
            units,
            return_sequences=False,
            return_state=False,
            go_backwards=False,
            stateful=False,
            unroll=False,
            zero_output_for_mask=False,
            **kwargs,
        ):
            layer_kwargs = {k: kwargs.pop(k) for k in LAYER_KEYS if k in kwargs}
            try:
                cell = self.cell_class(units, dtype=layer_kwargs.get("dtype"), **kwargs)
            except ValueError as error:  # name the layer the user built, as Keras does
                cell_name = self.cell_class.__name__
                if not str(error).startswith(
                    f"Unrecognized keyword arguments passed to {cell_name}"
                ):
                    raise
                raise ValueError(str(error).replace(cell_name, type(self).__name__, 1)) from None
            super().__init__(
                cell,
                return_sequences=return_sequences,
                return_state=return_state,
                go_backwards=go_backwards,
                stateful=stateful,
                unroll=unroll,
                zero_output_for_mask=zero_output_for_mask,
                **layer_kwargs,
            )

        def __getattr__(self, name):
            cell = self.__dict__.get("cell")
            if cell is None or name.startswith("__"):
                raise AttributeError(name)
            return getattr(cell, name)

        def get_config(self):
            config = super().get_config()
            del config["cell"]
            cell_config = self.cell.get_config()
            for key in ("name", "trainable", "dtype"):
                cell_config.pop(key, None)
            return {**config, **cell_config}

        @classmethod
        def from_config(cls, config, custom_objects=None):
            return cls(**config)

    return BaseRNN
