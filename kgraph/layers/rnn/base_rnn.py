"""The shared part of SimpleRNN, LSTM and GRU: an ``RNN`` around the matching cell, and the
unrolled time loop.

ONNX has Loop/Scan, but kgraph's autodiff differentiates plain ops only, so the loop is unrolled
over a static number of time steps: each step slices ``inputs[:, t, :]`` and applies the cell's
``step`` (matmuls and activations), and the existing gradient rules differentiate the unrolled
graph. The time axis must therefore be known when the layer is called.
"""

from __future__ import annotations

from kgraph import ops

LAYER_KEYS = ("trainable", "name", "dtype", "activity_regularizer", "input_shape")


def static_steps(sequences):
    """The time length of ``(batch, time, features)`` inputs; one clear error when unknown."""
    steps = sequences.shape[1]
    if steps is None:
        raise ValueError(
            "the time length must be static: kgraph unrolls recurrent layers over a known "
            f"number of time steps. Received: input shape {tuple(sequences.shape)}"
        )
    return steps


def check_no_mask(mask):
    if mask is not None:
        raise ValueError(f"masks are not propagated in kgraph. Received: mask={mask!r}")


def unroll(step, sequences, states, go_backwards, return_sequences):
    """Runs ``step(x_t, states) -> (output, states)`` over the static time axis."""
    steps = static_steps(sequences)
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    outputs = []
    for t in order:
        output, states = step(sequences[:, t, :], states)
        outputs.append(output)
    result = ops.stack(outputs, axis=1) if return_sequences else outputs[-1]
    return result, states


def make_base_rnn(rnn_class):
    """``BaseRNN`` on top of ``RNN`` (passed in, since ``rnn.py`` imports this module)."""

    class BaseRNN(rnn_class):
        """A recurrent layer over ``(batch, time, features)`` inputs: an ``RNN`` around its
        ``cell_class`` built from the cell arguments, so its weights live in ``self.cell`` as
        in Keras (``.keras`` files then lay them out as Keras does); the cell's attributes
        (``units``, ``kernel``...) read through the layer. The config is flat, as Keras'.

        Differences from Keras: the time length must be static (the loop is unrolled); masks
        are not propagated in kgraph (passing ``mask`` raises); ``stateful=True`` is not
        supported; ``unroll`` is accepted and has no effect (the loop is always unrolled).
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
            cell = self.cell_class(units, dtype=layer_kwargs.get("dtype"), **kwargs)
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
