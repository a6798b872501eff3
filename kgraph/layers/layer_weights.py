"""Weights of a ``Layer``: creating them (``add_weight``) and reading them in Keras' order
(``weights``, ``trainable_weights``, ``get_weights`` ...), the ``trainable`` switch that
freezes a layer with its sublayers, and the weight penalties as ``losses``."""

from __future__ import annotations

import numpy as np

from kgraph import constraints, dtypes, initializers, regularizers
from kgraph.tensor import Variable
from kgraph.utils import naming


class LayerWeights:
    """The weight half of ``Layer`` (a mixin: it reads ``name``, ``dtype``, ``built``,
    ``_own_weights``, ``_layers`` and ``_trainable``, which ``Layer.__init__`` sets)."""

    def add_weight(
        self,
        shape=None,
        initializer=None,
        dtype=None,
        trainable=True,
        name=None,
        regularizer=None,
        constraint=None,
        aggregation="none",
        autocast=True,
    ) -> Variable:
        """Creates a weight ``layer_name/name`` initialised by ``initializer``.

        ``regularizer`` (see ``kgraph.regularizers``) adds a penalty on the weight to the
        training loss; ``constraint`` (see ``kgraph.constraints``) projects the weight after each
        optimizer update. ``autocast=False`` keeps the weight in its own dtype inside ``call``
        under a mixed policy (see ``kgraph.layers.autocast``); ``aggregation`` is Keras'
        multi-device setting, recorded only.
        """
        shape = tuple(shape or ())
        dtype = dtypes.standardize(dtype or self.dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.startswith("float") else "zeros"
        value = initializers.get(initializer)(shape, dtype=dtype)
        name = name or naming.auto_name("variable")  # as Keras: variable, variable_1, ...)
        variable = Variable(
            value,
            name=name,
            path=f"{self.name}/{name}",
            trainable=trainable,
            dtype=dtype,
            autocast=autocast,
            aggregation=aggregation,
        )
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraints.get(constraint)
        self._own_weights.append(variable)
        return variable

    @property
    def weights(self) -> list[Variable]:
        """Keras' order, whatever is frozen: this layer's own weights (trainable ones, then
        non-trainable ones), then each sublayer's weights in turn."""
        own = [w for w in self._own_weights if w.trainable]
        own += [w for w in self._own_weights if not w.trainable]
        nested = [w for layer in self._layers for w in layer.weights]
        return unique_variables(own + nested)

    @property
    def variables(self) -> list[Variable]:
        return self.weights

    @property
    def trainable_variables(self) -> list[Variable]:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[Variable]:
        return self.non_trainable_weights

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        own = [w for w in self._own_weights if w.trainable]
        nested = [w for layer in self._layers for w in layer.trainable_weights]
        return unique_variables(own + nested)

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return self._all_weights()
        own = [w for w in self._own_weights if not w.trainable]
        nested = [w for layer in self._layers for w in layer.non_trainable_weights]
        return unique_variables(own + nested)

    def _all_weights(self) -> list[Variable]:
        nested = [w for layer in self._layers for w in layer._all_weights()]
        return unique_variables(list(self._own_weights) + nested)

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._layers:
            layer.trainable = value

    @property
    def losses(self) -> list:
        """Scalar penalties, as Keras lists them: activity penalties of the last eager call of
        this layer and its sublayers, then the regularization penalties of the trainable
        weights (computed on their current values)."""
        return regularizers.layer_losses(self)

    def get_weights(self) -> list[np.ndarray]:
        """Weight values as numpy arrays, in ``weights`` order (Keras' order and layouts)."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights) -> None:
        """Assigns values in ``weights`` order; checks count and shapes."""
        mine = self.weights
        if len(weights) != len(mine):
            raise ValueError(
                f"Layer '{self.name}' expects {len(mine)} weight arrays; received {len(weights)}."
            )
        for variable, value in zip(mine, weights):
            if tuple(np.shape(value)) != variable.shape:
                raise ValueError(
                    f"Weight '{variable.path}' has shape {variable.shape}; "
                    f"received shape {tuple(np.shape(value))}."
                )
            variable.assign(value)

    def count_params(self) -> int:
        """Number of scalars in all weights; an unbuilt layer has none yet (Keras' error)."""
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't "
                "built. You can build it manually via: `layer.build(input_shape)`."
            )
        return int(sum(np.prod(w.shape, dtype=np.int64) for w in self.weights))


def unique_variables(variables) -> list:
    """``variables`` without repeats (by identity), first occurrence kept: sublayers shared
    by two nested models (a Distiller's student and its feature extractors) list their
    weights once."""
    return list({id(w): w for w in variables}.values())
