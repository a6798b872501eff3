"""``Hashing``: strings or integers to ``num_bins`` bins by a stable hash, as Keras' layer
(``tf.strings.to_hash_bucket_fast``: FarmHash Fingerprint64; with a salt,
``to_hash_bucket_strong``: SipHash-2-4 keyed by the salt)."""

from __future__ import annotations

import numpy as np

from kgraph import dtypes, ops
from kgraph.layers.layer import Layer
from kgraph.layers.preprocessing.category_encoding import encode
from kgraph.layers.preprocessing.hashing_functions import hash64
from kgraph.layers.preprocessing.hashing_graph import integer_bins
from kgraph.ops.core import Op, Spec, apply
from kgraph.tensor import KerasTensor

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def _host_only_lower(b, x, *, layer, reason):
    raise ValueError(
        f"Layer '{layer}' (Hashing) cannot be compiled into the model's ONNX graph: {reason}. "
        f"Apply it in the data pipeline instead (`ds.map(lambda x, y: ({layer}(x), y))`, or "
        "call it on numpy arrays) and start the model at its integer output."
    )


# Hashing that only numpy computes: the spec is known (int64 bins), so a Functional model can
# be defined, but compiling it raises.
_HOST_ONLY_BINS = Op(
    "hashing_host_only_bins",
    lambda x, *, layer, reason: Spec(x.shape, "int64"),
    _host_only_lower,
    promote=False,
)


def _as_strings(values: np.ndarray) -> list[bytes]:
    """The bytes Keras hashes: the string itself, or the decimal form of a number (floats are
    truncated to int64 first, bools are ``true``/``false``, as ``tf.as_string`` writes them)."""
    kind = values.dtype.kind
    flat = values.ravel()
    if kind == "f":
        flat = flat.astype(np.int64)
    if kind == "b":
        return [b"true" if v else b"false" for v in flat.tolist()]
    return [v if isinstance(v, bytes) else str(v).encode("utf-8") for v in flat.tolist()]


class Hashing(Layer):
    """Hashes each input value into ``num_bins`` bins: ``Fingerprint64(str(x)) % num_bins``
    (FarmHash, the same bins as Keras on TensorFlow), or SipHash-2-4 keyed by ``salt``.
    Integers (and floats, truncated) are hashed through their decimal string, as Keras does.

    The hashes run on numpy (``kgraph.layers.preprocessing.hashing_functions``): calling the
    layer on arrays, eagerly or inside ``Dataset.map``, gives Keras' bins. Difference from
    Keras: no ONNX operator reads a string's bytes, so a model whose graph hashes *strings*
    cannot be compiled (it raises, naming the layer): hash strings in the data pipeline and
    feed the bins to the model. Integer inputs compile: their decimal digits, FarmHash's
    short-string paths and SipHash are written with integer ONNX ops (``num_bins <= 2**31``).

    Args:
        num_bins: Number of bins, the mask bin included (values hash into ``num_bins - 1``
            bins after it when ``mask_value`` is set).
        mask_value: The value that maps to bin 0 (``None``: no mask bin).
        salt: An int or a pair of ints: the SipHash key (an int ``s`` is the pair ``(s, s)``).
            ``None`` uses FarmHash.
        output_mode: ``"int"`` (bins, ``dtype`` int64 or int32), ``"one_hot"``,
            ``"multi_hot"`` or ``"count"`` (float vectors of ``num_bins``).
        sparse: Only False (no sparse tensors here).
    """

    def __init__(
        self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs
    ):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else dtypes.FLOATX
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                "The `num_bins` for `Hashing` cannot be `None` or non-positive values. "
                f"Received: num_bins={num_bins}."
            )
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(
                "When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' or "
                f"'int64'. Received: dtype={kwargs['dtype']}"
            )
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"Invalid value for argument `output_mode`. Expected one of {OUTPUT_MODES}. "
                f"Received: output_mode={output_mode}"
            )
        if sparse:
            raise ValueError("kgraph has no sparse tensors. Received: sparse=True")
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, (int, np.integer)) and not isinstance(salt, bool):
                salt = [int(salt), int(salt)]
            else:
                raise ValueError(
                    "The `salt` argument for `Hashing` can only be a tuple of size 2 integers, "
                    f"or a single integer. Received: salt={salt}."
                )
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.salt = salt
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = False

    def call(self, inputs):
        if isinstance(inputs, KerasTensor):
            bins = self._graph_bins(inputs)
        else:
            bins = self._array_bins(inputs)
        if self.output_mode == "int":
            return ops.cast(bins, self.dtype) if self.dtype != "int64" else bins
        return encode(bins, self.output_mode, self.num_bins, self.dtype)

    def _masked(self) -> tuple[int, bool]:
        """The number of hash bins, and whether bin 0 is the mask's."""
        if self.mask_value is not None and self.num_bins > 1:
            return self.num_bins - 1, True
        return self.num_bins, False

    def _array_bins(self, inputs) -> np.ndarray:
        values = np.asarray(inputs)
        strings = _as_strings(values)
        hash_bins, masked = self._masked()
        hashes = hash64(strings, self.salt)
        bins = (hashes % np.uint64(hash_bins)).astype(np.int64).reshape(values.shape)
        if not masked:
            return bins
        if values.dtype.kind in "USO":
            mask_value = self.mask_value
            if isinstance(mask_value, str):
                mask_value = mask_value.encode("utf-8")
            mask = np.array([s == mask_value for s in strings], dtype=bool)
        else:
            mask = np.asarray(values == self.mask_value)
        return np.where(mask.reshape(values.shape), np.int64(0), bins + 1)

    def _graph_bins(self, inputs):
        hash_bins, masked = self._masked()
        reason = None
        if inputs.dtype == "string":
            reason = "it hashes strings, and no ONNX operator reads a string's bytes"
        elif hash_bins > 2**31:
            reason = f"kgraph's integer hashing graph takes num_bins <= 2**31 ({hash_bins})"
        if reason is not None:
            return apply(_HOST_ONLY_BINS, [inputs], layer=self.name, reason=reason)
        bins = integer_bins(inputs, hash_bins, self.salt)
        if not masked:
            return bins
        return ops.where(ops.equal(inputs, self.mask_value), np.int64(0), bins + 1)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        if not shape:
            return (self.num_bins,)
        if self.output_mode == "one_hot" and (shape[-1] != 1 or len(shape) == 1):
            return (*shape, self.num_bins)
        return (*shape[:-1], self.num_bins)

    def get_config(self):
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
