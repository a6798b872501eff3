"""``HashedCrossing``: the cross of two or more categorical features hashed into ``num_bins``
bins, with the hash of Keras' layer (TensorFlow's ``tf.sparse.cross_hashed``)."""

from __future__ import annotations

import numpy as np

from kgraph import dtypes, ops
from kgraph.layers.layer import Layer
from kgraph.layers.preprocessing.category_encoding import encode
from kgraph.layers.preprocessing.hashing_functions import hash64
from kgraph.layers.preprocessing.hashing_graph import _unsigned_mod
from kgraph.ops.core import Op, Spec, apply
from kgraph.tensor import KerasTensor

OUTPUT_MODES = ("int", "one_hot")
HASH_KEY = 0xDECAFCAFFE  # tf.sparse.cross_hashed's default hash_key
MUL = 0xC6A4A7935BD1E995  # FingerprintCat64's multiplier
_MASK = 0xFFFFFFFFFFFFFFFF


def _host_only_lower(b, *xs, layer):
    raise ValueError(
        f"Layer '{layer}' (HashedCrossing) cannot be compiled into the model's ONNX graph: it "
        "crosses strings, and no ONNX operator reads a string's bytes. Apply it in the data "
        "pipeline instead (or call it on numpy arrays) and start the model at its output."
    )


_HOST_ONLY_CROSS = Op(
    "hashed_crossing_host_only",
    lambda *xs, layer: Spec(xs[0].shape, "int64"),
    _host_only_lower,
    promote=False,
)


def cross_numpy(columns, num_bins: int) -> np.ndarray:
    """TensorFlow's ``HashCrosser`` on numpy columns of one shape: each value's feature hash
    (an integer's own int64 bits, a string's Fingerprint64) folded into ``HASH_KEY`` by
    ``FingerprintCat64`` in column order, then ``% num_bins``."""
    with np.errstate(over="ignore"):
        out = np.full(columns[0].shape, HASH_KEY, dtype=np.uint64)
        mul = np.uint64(MUL)
        for column in columns:
            if column.dtype.kind in "USO":
                flat = [v if isinstance(v, bytes) else str(v).encode() for v in column.ravel()]
                feature = hash64(flat).reshape(column.shape).astype(np.uint64)
            else:
                feature = column.astype(np.int64).view(np.uint64)
            out = _cat64_numpy(out, feature, mul)
    return (out % np.uint64(num_bins)).astype(np.int64)


def _shift_mix_numpy(v):
    return v ^ (v >> np.uint64(47))


def _cat64_numpy(fp1, fp2, mul):
    result = fp1 ^ mul
    result = result ^ (_shift_mix_numpy(fp2 * mul) * mul)
    result = result * mul
    return _shift_mix_numpy(_shift_mix_numpy(result) * mul)


def _shift_mix(v):
    return ops.bitwise_xor(v, ops.right_shift(v, np.uint64(47)))


def cross_graph(columns, num_bins: int):
    """``cross_numpy`` for integer tensors with uint64 ONNX ops (the modulo on int64 bits, as
    ``Hashing``'s graph does; ``num_bins <= 2**31``)."""
    mul = np.uint64(MUL)
    out = None
    for column in columns:
        feature = ops.cast(ops.cast(column, "int64"), "uint64")
        mixed = ops.multiply(_shift_mix(ops.multiply(feature, mul)), mul)
        if out is None:
            result = ops.bitwise_xor(mixed, np.uint64(HASH_KEY ^ MUL))
        else:
            result = ops.bitwise_xor(ops.bitwise_xor(out, mul), mixed)
        result = ops.multiply(result, mul)
        out = _shift_mix(ops.multiply(_shift_mix(result), mul))
    return _unsigned_mod(ops.cast(out, "int64"), num_bins)


class HashedCrossing(Layer):
    """Crosses two or more features of shape ``()``, ``(batch,)`` or ``(batch, 1)`` into one
    bin in ``[0, num_bins)``, the bins of Keras' layer (whose TensorFlow op ``cross_hashed``
    folds each value's hash, in input order, with FarmHash's ``FingerprintCat64``; an integer
    hashes to its own bits, a string to its Fingerprint64).

    Integer features compile into the ONNX graph (uint64 arithmetic). Differences from Keras:
    no ONNX operator reads a string's bytes, so a model whose graph crosses *strings* cannot be
    compiled (it raises, naming the layer); cross strings on numpy arrays or in the data
    pipeline. ``sparse=True`` is not supported; ``num_bins`` in a graph is at most ``2**31``.

    Args:
        num_bins: Number of hash bins.
        output_mode: ``"int"`` (int64 bins, or ``dtype``) or ``"one_hot"`` (float vectors of
            ``num_bins``, replacing a trailing axis of 1).
        sparse: Only False.
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kw):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype or dtypes.FLOATX, **kw)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"Invalid value for argument `output_mode`. Expected one of {OUTPUT_MODES}. "
                f"Received: output_mode={output_mode}"
            )
        if sparse:
            raise ValueError(
                "`sparse=True` can only be used with the TensorFlow backend (kgraph has no "
                "sparse tensors). Received: sparse=True"
            )
        if not isinstance(num_bins, int) or isinstance(num_bins, bool) or num_bins <= 0:
            raise ValueError(f"`num_bins` must be a positive integer. Received: {num_bins}")
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = False

    def call(self, inputs):
        inputs = self._checked(inputs)
        if any(isinstance(x, KerasTensor) for x in inputs):
            inputs = [ops.convert_to_tensor(x) for x in inputs]
            if any(x.dtype == "string" for x in inputs):
                bins = apply(_HOST_ONLY_CROSS, inputs, layer=self.name)
            else:
                bins = cross_graph(inputs, self.num_bins)
        else:
            bins = cross_numpy([np.asarray(x) for x in inputs], self.num_bins)
        if self.output_mode == "int":
            return bins if self.dtype == "int64" else ops.cast(bins, self.dtype)
        return encode(bins, "one_hot", self.num_bins, self.dtype)

    def _checked(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                "`HashedCrossing` should be called on a list or tuple of inputs. "
                f"Received: inputs={inputs}"
            )
        if len(inputs) < 2:
            raise ValueError(
                "`HashedCrossing` should be called on at least two inputs. "
                f"Received: inputs={inputs}"
            )
        inputs = [x if isinstance(x, KerasTensor) else np.asarray(x) for x in inputs]
        first = tuple(inputs[0].shape)
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError(
                "All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or "
                f"`(batch_size, 1)`. Received: inputs={inputs}"
            )
        if not all(tuple(x.shape) == first for x in inputs[1:]):
            raise ValueError(
                f"All `HashedCrossing` inputs should have equal shape. Received: inputs={inputs}"
            )
        if not all(_integer_or_string(x.dtype) for x in inputs):
            raise ValueError(
                "All `HashedCrossing` inputs should have an integer or string dtype. "
                f"Received: inputs={inputs}"
            )
        return inputs

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape[0])
        if self.output_mode == "int":
            return shape
        if not shape:  # a scalar cross one-hot encodes as one sample, as in Keras
            return (1, self.num_bins)
        if len(shape) > 1:
            shape = shape[:-1]
        return (*shape, self.num_bins)

    def get_config(self):
        return {
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }


def _integer_or_string(dtype) -> bool:
    if str(dtype) == "string":
        return True
    return np.dtype(dtype).kind in "iuUSO"
