"""The dtype half of ``Layer``: its ``DTypePolicy`` and what Keras reads from it (``dtype``,
``compute_dtype``, ``variable_dtype``, ``input_dtype``, ``quantization_mode``), and
``quantize``. A mixin so that ``layer.py`` keeps to building and calling."""

from __future__ import annotations

from kgraph import dtype_policies


class LayerDTypes:
    """Mixed into ``Layer``: ``Layer.__init__`` sets ``dtype_policy`` from its ``dtype``."""

    @property
    def dtype_policy(self):
        """The layer's ``DTypePolicy`` (see ``kgraph.dtype_policies``)."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value) -> None:
        policy = dtype_policies.get(value)
        if isinstance(policy, dtype_policies.DTypePolicyMap):  # Keras: the entry for its path
            policy = policy[self.name]
        object.__setattr__(self, "_dtype_policy", policy)

    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights (the policy's variable dtype), as in Keras."""
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self) -> str:
        """The dtype of the layer's computations and outputs (float16 for mixed_float16)."""
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype of the layer's weights."""
        return self._dtype_policy.variable_dtype

    @property
    def quantization_mode(self):
        """None, or ``"int8"`` for a layer quantized by ``quantize`` (its policy's mode)."""
        return self._dtype_policy.quantization_mode

    def quantize(self, mode=None, type_check=True, config=None):
        """Keras' checks, then its error: only Dense, EinsumDense and Embedding quantize
        (see ``kgraph.layers.core.quantized_layer``)."""
        from kgraph.layers.core.quantized_layer import not_implemented, prepare_quantize

        prepare_quantize(self, mode, config)
        raise not_implemented(self)

    @property
    def input_dtype(self) -> str:
        """The dtype floating inputs are cast to (with ``autocast``, the default)."""
        return self._dtype_policy.compute_dtype
