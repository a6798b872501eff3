"""``InputLayer`` and ``Input``: the entry points of a functional model."""

from __future__ import annotations

from kgraph import dtypes
from kgraph.layers.layer import Layer
from kgraph.tensor import KerasTensor


class InputLayer(Layer):
    """Holds the symbolic tensor a functional model starts from.

    Args:
        shape: Shape without the batch axis.
        batch_size: Optional fixed batch size.
        dtype: Dtype of the input (float32 by default).
        name: Name of the input (the graph input's name in exported models).
    """

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        sparse=None,
        batch_shape=None,
        name=None,
        **kwargs,
    ):
        if batch_shape is None:
            if shape is None:
                raise ValueError("You must pass a `shape` argument to Input.")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size, *shape)
        for flag in ("sparse", "ragged", "optional"):  # Keras config keys; only False works here
            value = sparse if flag == "sparse" else kwargs.pop(flag, False)
            if value:
                raise ValueError(f"kgraph does not support {flag} inputs. Received: {flag}=True")
        if dtype is not None:
            dtypes.standardize(dtype)  # Keras' "Invalid dtype" before any policy's message
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        for d in self.batch_shape:
            if d is not None and d <= 0:
                raise ValueError(
                    f"Input dimensions must be positive. Received: shape={self.batch_shape[1:]}"
                )
        self.built = True
        tensor = KerasTensor(self.batch_shape, dtypes.standardize(dtype), name=self.name)
        self._record((), {}, tensor)
        self.output_tensor = tensor

    def call(self, inputs=None):
        return inputs

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "name": self.name}


def Input(
    shape=None,
    batch_size=None,
    dtype=None,
    sparse=None,
    batch_shape=None,
    name=None,
    tensor=None,
    optional=False,
    ragged=None,
):
    """A symbolic input tensor for a functional model (``keras.Input``)."""
    if tensor is not None:
        raise ValueError("kgraph.Input does not accept `tensor`.")
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        batch_shape=batch_shape,
        name=name or None,
        optional=optional,
        ragged=ragged,
    )
    return layer.output_tensor
