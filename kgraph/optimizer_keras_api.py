"""Keras' optimizer methods around the state (``kgraph.optimizers.Optimizer`` mixes them in):
the variable helpers, loss scaling, ``set_weights`` and the ``save/load_own_variables`` store
protocol, and ``apply``/``apply_gradients``, which kgraph refuses: its updates are nodes of the
compiled step graph, so gradients computed outside it cannot be applied."""

from __future__ import annotations

import warnings

import numpy as np

APPLY_REFUSED = (
    "kgraph optimizers update weights inside the compiled step graph of fit() and "
    "train_on_batch(); apply()/apply_gradients() on gradients computed outside it (a custom "
    "training loop) is not supported."
)


class KerasOptimizerMethods:
    """Keras' public optimizer methods, on top of ``variables`` / ``load_variables``."""

    _built = False

    @property
    def built(self) -> bool:
        """Whether the slots exist (``build``, or a compiled model's trainer, made them)."""
        return self._built or bool(self.slot_variables)

    def build(self, variables):
        """Creates the zero slots of ``variables`` (Keras' order: by variable, then slot), as a
        restore before training needs them; the trainer keeps them when it starts."""
        from kgraph.compiler.optim import slot_specs
        from kgraph.tensor import Variable

        shapes = {v.path: tuple(v.shape) for v in variables}
        self.slot_variables = [
            Variable(
                np.full(shape, init, dtype), trainable=False, name=n.rsplit("/", 1)[-1], path=n
            )
            for n, (shape, dtype, init) in slot_specs(self.spec(), shapes).items()
        ]
        self._built = True

    def assign(self, variable, value):
        variable.assign(value)

    def assign_add(self, variable, value):
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        variable.assign_sub(value)

    def scale_loss(self, loss):
        """``loss`` times ``loss_scale_factor`` (when set), as Keras scales it."""
        factor = self.loss_scale_factor
        return loss * factor if factor is not None else loss

    def set_weights(self, weights):
        """Sets :attr:`variables` from arrays (Keras' checks: count, then shapes)."""
        weights, variables = list(weights), self.variables
        if len(weights) != len(variables):
            raise ValueError(
                f"Optimizer variable count mismatch: expected {len(variables)} variables, "
                f"received {len(weights)}."
            )
        for variable, weight in zip(variables, weights):
            if tuple(variable.shape) != tuple(np.shape(weight)):
                raise ValueError(
                    f"Optimizer variable {variable.path} has shape {tuple(variable.shape)} "
                    f"not compatible with provided weight shape {np.shape(weight)}."
                )
        self.load_variables(weights)

    def save_own_variables(self, store):
        for index, variable in enumerate(self.variables):
            store[str(index)] = variable.numpy()

    def load_own_variables(self, store):
        if len(store.keys()) != len(self.variables):
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self.variables)} variables whereas the saved optimizer has "
                f"{len(store.keys())} variables.",
                stacklevel=2,
            )
            return
        self.load_variables([store[str(i)] for i in range(len(store.keys()))])

    def apply_gradients(self, grads_and_vars):
        raise NotImplementedError(APPLY_REFUSED)

    def apply(self, grads, trainable_variables=None):
        raise NotImplementedError(APPLY_REFUSED)
