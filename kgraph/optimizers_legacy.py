"""``keras.optimizers.legacy``: the Keras 2 optimizers' names, kept so that code written for
``tf.keras`` fails with Keras 3's explanation rather than an AttributeError. Creating any of
them raises Keras 3's ImportError, as Keras does."""

from __future__ import annotations

import sys


class LegacyOptimizerWarning:
    """Stands for every ``keras.optimizers.legacy`` class: instantiating it raises."""

    def __init__(self, *args, **kwargs):
        raise ImportError(
            "`keras.optimizers.legacy` is not supported in Keras 3. When using "
            "`tf.keras`, to continue using a `tf.keras.optimizers.legacy` "
            "optimizer, you can install the `tf_keras` package (Keras 2) and "
            "set the environment variable `TF_USE_LEGACY_KERAS=True` to "
            "configure TensorFlow to use `tf_keras` when accessing `tf.keras`."
        )


Adagrad = LegacyOptimizerWarning
Adam = LegacyOptimizerWarning
Ftrl = LegacyOptimizerWarning
Optimizer = LegacyOptimizerWarning
RMSprop = LegacyOptimizerWarning
SGD = LegacyOptimizerWarning

__all__ = ["SGD", "Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop"]

# ``from kgraph.optimizers.legacy import Adam`` (``kgraph.optimizers`` is a module, not a
# package, so the submodule is registered under that name).
sys.modules.setdefault("kgraph.optimizers.legacy", sys.modules[__name__])
