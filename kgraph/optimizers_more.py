"""The rest of Keras 3's optimizers (exported as ``kgraph.optimizers.X``): configuration with
Keras' names, defaults and argument checks. The update rules are built into the step graph by
``kgraph.compiler.optim`` (one module each) from ``spec()``."""

from __future__ import annotations

import numpy as np

from kgraph.optimizer_base import Optimizer


class Adamax(Optimizer):
    """Adam with the infinity norm of past gradients in place of the second moment."""

    optimizer_name = "adamax"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **kwargs)


def _head_count(optimizer) -> int:
    """``iteration`` and, for a constant rate, ``learning_rate``: the variables before slots."""
    return 1 if callable(optimizer._learning_rate) else 2


class Nadam(Optimizer):
    """Adam with Nesterov momentum (and its momentum-decay schedule, as Keras).

    The step graph keeps the momentum-schedule product once per weight; :attr:`variables` and
    :meth:`load_variables` use Keras' layout (the product once, last), so saved optimizer state
    moves between kgraph and Keras.
    """

    optimizer_name = "nadam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **kwargs)

    @property
    def variables(self) -> list:
        found = super().variables
        products = [v for v in found if v.path.endswith("/nadam_u_product")]
        skip = {id(v) for v in products}
        return [v for v in found if id(v) not in skip] + products[:1]

    def load_variables(self, values) -> None:
        values = list(values)
        head = _head_count(self)
        body = values[head:]
        if len(body) % 2 == 1:  # Keras' layout: moments by weight, then the product
            product, pairs = body[-1], body[:-1]
            body = [x for i in range(0, len(pairs), 2) for x in (*pairs[i : i + 2], product)]
        super().load_variables(values[:head] + body)


class Lion(Optimizer):
    """Steps by the sign of an interpolation of momentum and gradient.

    Raises:
        ValueError: unless ``0 < beta_1 <= 1``.
    """

    optimizer_name = "lion"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer "
                f"degenerates to SignSGD. Received: beta_1={beta_1}."
            )
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, **kwargs)


class Adadelta(Optimizer):
    """Adapts steps from running averages of squared gradients and squared updates."""

    optimizer_name = "adadelta"

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, rho=rho, epsilon=epsilon, **kwargs)


class Ftrl(Optimizer):
    """Follow The Regularized Leader (FTRL-Proximal) with L1, L2 and L2-shrinkage terms.

    Raises:
        ValueError: for a positive ``learning_rate_power`` or a negative accumulator or strength.
    """

    optimizer_name = "ftrl"

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        **kwargs,
    ):
        from kgraph.compiler.optim import ftrl

        params = {
            "learning_rate_power": learning_rate_power,
            "initial_accumulator_value": initial_accumulator_value,
            "l1_regularization_strength": l1_regularization_strength,
            "l2_regularization_strength": l2_regularization_strength,
            "l2_shrinkage_regularization_strength": l2_shrinkage_regularization_strength,
            "beta": beta,
        }
        ftrl.validate(params)
        super().__init__(learning_rate, **params, **kwargs)


class Adafactor(Optimizer):
    """Adam-like steps with factored (row and column) second moments for matrices.

    Keras also keeps two unused scalars per weight of rank < 2; :attr:`variables` lists them
    (as zeros) and :meth:`load_variables` drops them, so saved optimizer state moves between
    kgraph and Keras.
    """

    optimizer_name = "adafactor"

    def __init__(
        self,
        learning_rate=0.001,
        beta_2_decay=-0.8,
        epsilon_1=1e-30,
        epsilon_2=1e-3,
        clip_threshold=1.0,
        relative_step=True,
        **kwargs,
    ):
        super().__init__(
            learning_rate,
            beta_2_decay=beta_2_decay,
            epsilon_1=epsilon_1,
            epsilon_2=epsilon_2,
            clip_threshold=clip_threshold,
            relative_step=bool(relative_step),
            **kwargs,
        )

    @property
    def variables(self) -> list:
        from kgraph.tensor import Variable

        found = super().variables
        factored = {v.path.rsplit("/", 1)[0] for v in found if v.path.endswith("/adafactor_r")}
        out = []
        for v in found:
            weight = v.path.rsplit("/", 1)[0]
            if v.path.endswith("/adafactor_v") and weight not in factored:
                out += [Variable(np.float32(0), trainable=False, name=n) for n in ("r", "c")]
            out.append(v)
        return out

    def load_variables(self, values) -> None:
        values = list(values)
        head = _head_count(self)
        body = values[head:]
        if len(body) % 3 == 0:  # Keras' layout: (r, c, v) per weight, scalar r, c if unused
            triples = [body[i : i + 3] for i in range(0, len(body), 3)]
            body = [x for r, c, v in triples for x in ((v,) if np.ndim(r) == 0 else (r, c, v))]
        super().load_variables(values[:head] + body)


class Lamb(Optimizer):
    """Adam moments with a layer-wise trust ratio ``||weight|| / ||update||`` (LAMB)."""

    optimizer_name = "lamb"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **kwargs)
