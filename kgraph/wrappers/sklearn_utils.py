"""What the scikit-learn wrappers need around scikit-learn: its base classes when it is
installed (stand-ins otherwise, so that importing ``kgraph.wrappers`` never fails), input
validation that records ``n_features_in_``, and the target reshaping of regressors."""

from __future__ import annotations

import numpy as np

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:  # pragma: no cover - exercised only without scikit-learn
    sklearn = None

    class BaseEstimator:
        """Stand-in: a wrapper cannot be created without scikit-learn."""

    class ClassifierMixin:
        """Stand-in: a wrapper cannot be created without scikit-learn."""

    class RegressorMixin:
        """Stand-in: a wrapper cannot be created without scikit-learn."""

    class TransformerMixin:
        """Stand-in: a wrapper cannot be created without scikit-learn."""


__all__ = [
    "BaseEstimator",
    "ClassifierMixin",
    "RegressorMixin",
    "TargetReshaper",
    "TransformerMixin",
    "assert_sklearn_installed",
    "check_model",
    "type_of_target",
    "validate_data",
]


def assert_sklearn_installed(symbol_name: str) -> None:
    if sklearn is None:
        raise ImportError(
            f"{symbol_name} requires `scikit-learn` to be installed. "
            "Run `pip install scikit-learn` to install it."
        )


def check_model(model) -> None:
    """The wrappers train the model as given: it must be compiled with a loss and optimizer."""
    if not model.compiled or not model.loss or not model.optimizer:
        raise RuntimeError("Given model needs to be compiled, and have a loss and an optimizer.")


def validate_data(estimator, *args, **kwargs):
    """scikit-learn's checks of ``X`` (and ``y``); they also set ``n_features_in_``. The
    function is new in scikit-learn 1.6; older releases have the estimator method."""
    try:
        from sklearn.utils.validation import validate_data as validate
    except ImportError:  # scikit-learn < 1.6
        return estimator._validate_data(*args, **kwargs)
    return validate(estimator, *args, **kwargs)


def type_of_target(y) -> str:
    """scikit-learn's target type of ``y``; an unknown type is an error."""
    from sklearn.utils.multiclass import type_of_target as sk_type_of_target

    target_type = sk_type_of_target(y)
    if target_type == "unknown":
        raise ValueError(f"Unknown label type for data: {y!r}")
    return target_type


class TargetReshaper(TransformerMixin, BaseEstimator):
    """Makes 1-D targets a column for the model and squeezes predictions back, so a
    regressor fitted on ``(n,)`` targets predicts ``(n,)``."""

    def fit(self, y):
        self.ndim_ = y.ndim
        return self

    def transform(self, y):
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        if self.ndim_ == 1 and y.ndim == 2:
            return np.squeeze(y, axis=1)
        return y
