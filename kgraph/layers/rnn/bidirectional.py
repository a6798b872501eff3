"""``Bidirectional``: one recurrent layer over the sequence and a copy of it over the reversed
sequence, their outputs merged."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.rnn.stacked_rnn_cells import serialize_layer

MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _clone(layer, name, **overrides):
    """A fresh layer from ``layer``'s config (Keras does not share or copy the weights)."""
    return type(layer).from_config({**layer.get_config(), "name": name, **overrides})


def _strip(name, prefix):
    return name[len(prefix) :] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Runs ``layer`` forwards and a ``go_backwards`` copy of it (or ``backward_layer``), and
    merges the two outputs with ``merge_mode`` (``"concat"`` by default; ``None`` returns
    both). The backward sequence output is flipped back to forward time order before merging.
    With ``return_state`` the forward states then the backward states follow the output.

    Weights: the forward layer's, then the backward layer's (as Keras), both freshly
    initialised. The time length may be ``None``; a ``mask`` goes to both directions, and, as
    Keras, both layers output zeros at masked steps when they return sequences
    (``zero_output_for_mask`` is set to ``return_sequences``).
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `Bidirectional` layer with a `keras.layers.Layer` "
                f"instance. Received: {layer}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                f"`backward_layer` need to be a `keras.layers.Layer` instance. "
                f"Received: {backward_layer}"
            )
        for wrapped in (layer, backward_layer):
            if wrapped is not None and not all(
                hasattr(wrapped, a) for a in ("go_backwards", "return_sequences", "return_state")
            ):
                raise TypeError(
                    "`Bidirectional` wraps a recurrent layer (an RNN, or a layer with "
                    "`go_backwards`, `return_sequences` and `return_state` attributes). "
                    f"Received: {type(wrapped).__name__} layer {wrapped.name!r}"
                )
        if merge_mode not in MERGE_MODES:
            raise ValueError(
                f"Invalid merge mode. Received: {merge_mode}. Merge mode should be one of "
                '{"sum", "mul", "ave", "concat", None}'
            )
        if weights is not None:
            raise ValueError(
                "Bidirectional in kgraph does not take `weights`; call set_weights() after "
                "building. Received: weights=..."
            )
        super().__init__(**kwargs)
        self.forward_layer = _clone(layer, f"forward_{_strip(layer.name, 'forward_')}")
        if backward_layer is None:
            backward_name = f"backward_{_strip(layer.name, 'backward_')}"
            backward_layer = _clone(layer, backward_name, go_backwards=True)
        self.backward_layer = backward_layer
        self._verify()
        for direction in (self.forward_layer, self.backward_layer):
            if getattr(direction, "zero_output_for_mask", None) is not None:
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self.input_spec = self.forward_layer.input_spec
        self.supports_masking = True

    def _verify(self):
        fwd, bwd = self.forward_layer, self.backward_layer
        if fwd.go_backwards == bwd.go_backwards:
            raise ValueError(
                "Forward layer and backward layer should have different `go_backwards` "
                f"value. Received: forward_layer.go_backwards {fwd.go_backwards}, "
                f"backward_layer.go_backwards={bwd.go_backwards}"
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(fwd, attr) != getattr(bwd, attr):
                raise ValueError(
                    "Forward layer and backward layer are expected to have the same value for "
                    f'attribute "{attr}", got "{getattr(fwd, attr)}" for forward layer and '
                    f'"{getattr(bwd, attr)}" for backward layer'
                )

    def build(self, input_shape):
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer._build_for(tuple(input_shape))
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=False):
        fwd_state = bwd_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fwd_state, bwd_state = list(initial_state[:half]), list(initial_state[half:])
        kwargs = {"training": training} if mask is None else {"training": training, "mask": mask}
        y = self.forward_layer(sequences, initial_state=fwd_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=bwd_state, **kwargs)
        states = []
        if self.return_state:
            states = [*y[1:], *y_rev[1:]]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.flip(y_rev, axis=1)
        merged = self._merge(y, y_rev)
        if self.return_state:
            return [*merged, *states] if self.merge_mode is None else [merged, *states]
        return merged

    def compute_mask(self, inputs, mask=None):
        """As Keras: the input mask on a merged sequence output (one per output with
        ``merge_mode=None``), None on last-step outputs and on states."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        keep = mask if self.return_sequences else None
        output_mask = [keep, keep] if self.merge_mode is None else keep
        if not self.return_state:
            return output_mask
        heads = output_mask if self.merge_mode is None else [output_mask]
        states = 2 * len(self.forward_layer.compute_mask(inputs, mask)[1:])
        return [*heads, *[None] * states]

    def _merge(self, y, y_rev):
        if self.merge_mode == "concat":
            return ops.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2
        if self.merge_mode == "mul":
            return y * y_rev
        return [y, y_rev]

    def get_config(self):
        """The two layers as ``serialize_keras_object`` writes them (module, registered name,
        nested models), as Keras'."""
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_layer(self.forward_layer),
            "backward_layer": serialize_layer(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kgraph.saving.serialization import deserialize_layer

        config = dict(config)
        for key in ("layer", "backward_layer"):
            if isinstance(config.get(key), dict):
                config[key] = deserialize_layer(config[key], custom_objects)
        return cls(**config)
