"""``OptimizerMap`` and ``MultiOptimizer``: different optimizers for different weights, as in
Keras (exported as ``kgraph.optimizers.X``). The step graph routes each weight to its
sub-optimizer (``kgraph.compiler.optim.multi``); each sub-optimizer keeps its own learning rate,
fed at every step."""

from __future__ import annotations

import re
from collections.abc import MutableMapping

import numpy as np

from kgraph.optimizer_base import Optimizer


class OptimizerMap(MutableMapping):
    """Weight paths (or regular expressions fully matching them) -> optimizers.

    Args:
        default_optimizer: The optimizer of weights no key matches.
        optimizer_map: Initial ``{key: optimizer}`` entries.
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                "default_optimizer must be a Keras Optimizer instance. "
                f"Received: {default_optimizer}"
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = {}
        for key, optimizer in (optimizer_map or {}).items():
            self[key] = optimizer

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def key_for(self, path: str):
        """The key that ``path`` maps by (exact, else the one full regex match), or None."""
        if path in self._optimizer_map:
            return path
        matches = [p for p in self._optimizer_map if re.fullmatch(p, path)]
        if len(matches) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {path}.")
        return matches[0] if matches else None

    def __getitem__(self, key):
        found = self.key_for(key)
        return self.default_optimizer if found is None else self._optimizer_map[found]

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' already exists in the OptimizerMap with value "
                f"{self._optimizer_map[key]}. Please make sure to not use duplicated keys."
            )
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key}")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"optimizer must be a Keras Optimizer instance. Received: {optimizer}")
        if type(optimizer).__name__ in ("LossScaleOptimizer", "MultiOptimizer"):
            raise ValueError(f"optimizer cannot be {type(optimizer).__name__}.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[variable.path]

    def get_config(self) -> dict:
        from kgraph.saving import serialize_keras_object

        return {
            "default_optimizer": serialize_keras_object(self._default_optimizer),
            "optimizer_map": {k: serialize_keras_object(v) for k, v in self._optimizer_map.items()},
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kgraph.saving import deserialize_keras_object

        default = deserialize_keras_object(config["default_optimizer"], custom_objects)
        entries = {
            k: deserialize_keras_object(v, custom_objects)
            for k, v in (config.get("optimizer_map") or {}).items()
        }
        return cls(default, entries)


class MultiOptimizer(Optimizer):
    """Delegates each trainable weight to an optimizer: an :class:`OptimizerMap` (by path), or
    a function ``variable -> optimizer`` (then call :meth:`build` with the model's trainable
    variables before training, as Keras builds optimizers on their variables).

    The sub-optimizers are :attr:`optimizers`; a MultiOptimizer has no learning rate of its own
    (reading or setting ``learning_rate`` raises, as in Keras).
    """

    optimizer_name = "multi_optimizer"

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None, **kwargs):
        kwargs.pop("learning_rate", None)  # in saved configs; the rates are the sub-optimizers'
        unset = {k: v for k, v in kwargs.items() if v not in (None, False, 0.99)}
        if unset:
            raise ValueError(
                f"MultiOptimizer does not support arguments: {sorted(unset)}. Set them on the "
                "sub-optimizers."
            )
        if isinstance(optimizer_map, dict):  # a saved config
            optimizer_map = OptimizerMap.from_config(optimizer_map.get("config", optimizer_map))
        if not (isinstance(optimizer_map, OptimizerMap) or callable(optimizer_map)):
            raise ValueError(
                "optimizer_map must be an OptimizerMap or a function of a variable. "
                f"Received: optimizer_map={optimizer_map!r}"
            )
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        self._assignments: dict[str, Optimizer] = {}
        self._inner_optimizers: list[Optimizer] = []
        if isinstance(optimizer_map, OptimizerMap):
            for optimizer in [*optimizer_map.values(), optimizer_map.default_optimizer]:
                if all(optimizer is not o for o in self._inner_optimizers):
                    self._inner_optimizers.append(optimizer)

    @property
    def optimizers(self) -> list:
        return list(self._inner_optimizers)

    def build(self, var_list) -> None:
        """Assigns each variable of ``var_list`` to its optimizer (needed for a function map)."""
        for variable in var_list:
            optimizer = self._optimizer_map(variable)
            if not isinstance(optimizer, Optimizer):
                raise ValueError(f"Optimizer for variable {variable} is not an Optimizer instance.")
            if type(optimizer).__name__ in ("LossScaleOptimizer", "MultiOptimizer"):
                raise ValueError(
                    f"{type(optimizer).__name__} cannot be used inside an MultiOptimizer."
                )
            if all(optimizer is not o for o in self._inner_optimizers):
                self._inner_optimizers.append(optimizer)
            self._assignments[variable.path] = optimizer

    # No rate of its own: the trainer reads sub-optimizer 0's and the others' through
    # extra_learning_rates.
    @property
    def learning_rate(self):
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. "
            "Access the learning rate on the individual sub-optimizers instead."
        )

    @learning_rate.setter
    def learning_rate(self, value):
        if "_optimizer_map" in self.__dict__:
            raise AttributeError(
                "Learning rate cannot be set on a MultiOptimizer. "
                "Set the learning rate on the individual sub-optimizers instead."
            )

    @property
    def _learning_rate(self):
        return self._inner_optimizers[0]._learning_rate if self._inner_optimizers else 0.0

    @_learning_rate.setter
    def _learning_rate(self, value):
        del value  # the base constructor's placeholder

    def current_learning_rate(self) -> float:
        return self._inner_optimizers[0].current_learning_rate()

    def load_variables(self, values) -> None:
        """As the base class, the saved rate going to the first sub-optimizer (whose rate
        :attr:`variables` lists)."""
        values = list(values)
        if not values:
            return
        self.iterations = int(np.asarray(values.pop(0)))
        first = self._inner_optimizers[0]
        if not callable(first._learning_rate) and values:
            first.learning_rate = float(np.asarray(values.pop(0)))
        if self.slot_variables and len(values) == len(self.slot_variables):
            for variable, value in zip(self.slot_variables, values):
                variable.assign(value)
        else:
            self.pending_slot_values = [np.asarray(v) for v in values]

    def extra_learning_rates(self) -> dict:
        return {
            f"lr:{i}": optimizer.current_learning_rate()
            for i, optimizer in enumerate(self._inner_optimizers)
            if i
        }

    @property
    def learning_rate_schedule(self):
        return None

    @property
    def iterations(self):
        return self._inner_optimizers[0].iterations if self.__dict__.get("_inner_optimizers") else 0

    @iterations.setter
    def iterations(self, value):
        for optimizer in self.__dict__.get("_inner_optimizers", []):
            optimizer.iterations = value

    def spec(self) -> dict:
        if not isinstance(self._optimizer_map, OptimizerMap) and not self._assignments:
            raise ValueError(
                "A MultiOptimizer built on a function needs its variables: call "
                "optimizer.build(model.trainable_variables) before training."
            )
        index = {id(o): i for i, o in enumerate(self._inner_optimizers)}
        spec = {
            "name": self.optimizer_name,
            "optimizers": [o.spec() for o in self._inner_optimizers],
            "assignments": {p: index[id(o)] for p, o in self._assignments.items()},
            "default": None,
            "optimizer_map": {},
        }
        if isinstance(self._optimizer_map, OptimizerMap):
            spec["default"] = index[id(self._optimizer_map.default_optimizer)]
            spec["optimizer_map"] = {k: index[id(o)] for k, o in self._optimizer_map.items()}
        return spec

    def get_config(self) -> dict:
        if not isinstance(self._optimizer_map, OptimizerMap):
            raise ValueError("A MultiOptimizer built on a function cannot be serialized.")
        return {
            "name": self.name,
            "optimizer_map": self._optimizer_map.get_config(),
            "loss_scale_factor": self.loss_scale_factor,
        }
