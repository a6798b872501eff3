"""scikit-learn estimators around kgraph models: ``SKLearnClassifier``, ``SKLearnRegressor``
and ``SKLearnTransformer``, as ``keras.wrappers`` has them.

``model`` is a compiled kgraph ``Model`` (cloned, then trained, on every ``fit``) or a callable
``model(X=X, y=y, **model_kwargs)`` building one from the data, so a grid search can vary the
architecture through ``model_kwargs``. The estimators follow scikit-learn's contract:
parameters are the constructor arguments (``get_params`` / ``set_params`` / ``clone``), fitted
state ends in ``_`` (``model_``, ``history_``, ``n_features_in_``, ``classes_``).
"""

from __future__ import annotations

import copy

import numpy as np

from kgraph.models import Model, clone_model
from kgraph.wrappers.sklearn_utils import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    TargetReshaper,
    TransformerMixin,
    assert_sklearn_installed,
    check_model,
    type_of_target,
    validate_data,
)


class SKLBase(BaseEstimator):
    """Shared half of the wrappers.

    Args:
        model: A compiled ``Model`` (cloned before each fit unless ``warm_start``), or a
            callable taking ``X``, ``y`` and ``model_kwargs`` and returning a compiled model.
        warm_start: Keep training the fitted model on the next ``fit`` instead of a fresh one.
        model_kwargs: Keyword arguments of ``model`` when it is a callable.
        fit_kwargs: Keyword arguments of ``model.fit`` (those given to ``fit`` win).
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        assert_sklearn_installed(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def _more_tags(self):  # scikit-learn < 1.6 reads tags here
        return {"non_deterministic": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True  # weights start random and training shuffles
        return tags

    def __sklearn_clone__(self):
        """An unfitted copy with the same parameters (a model object is deep-copied)."""
        model = self.model if callable(self.model) else copy.deepcopy(self.model)
        return type(self)(
            model=model,
            warm_start=self.warm_start,
            model_kwargs=self.model_kwargs,
            fit_kwargs=self.fit_kwargs,
        )

    @property
    def epoch_(self):
        """How many epochs the last ``fit`` ran."""
        history = getattr(self, "history_", None)
        return len(history.epoch) if history is not None else 0

    def _get_model(self, X, y):
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            return clone_model(self.model)  # compiled as the model is, as Keras
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        """Builds (or clones) the model and trains it on ``X``, ``y``; ``kwargs`` go to
        ``model.fit``."""
        X, y = validate_data(self, X, y)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        check_model(model)
        fit_kwargs = {**(self.fit_kwargs or {}), **kwargs}
        self.history_ = model.fit(X, y, **fit_kwargs)
        self.model_ = model
        return self

    def _raw_predict(self, X):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return np.asarray(self.model_.predict(X, verbose=0))

    def predict(self, X):
        """The model's predictions, mapped back to the targets' form."""
        return self._reverse_process_target(self._raw_predict(X))

    def _process_target(self, y, reset=False):
        type_of_target(y)
        if reset:
            self._target_encoder = TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y):
        return self._target_encoder.inverse_transform(y)


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A scikit-learn classifier around a kgraph model.

    Labels are one-hot encoded for training (so the model needs one output per class and a
    categorical loss); ``predict`` returns the label of the largest output, ``classes_`` the
    sorted labels. ``predict_proba`` (a kgraph addition) and ``decision_function`` return the
    model's outputs.
    """

    def decision_function(self, X):
        """The model's raw outputs."""
        return self._raw_predict(X)

    def predict_proba(self, X):
        """The model's outputs, one column per class of ``classes_`` (probabilities for a
        softmax output)."""
        return self._raw_predict(X)

    def _process_target(self, y, reset=False):
        import sklearn.pipeline
        import sklearn.preprocessing

        target_type = type_of_target(y)
        if target_type not in ["binary", "multiclass"]:
            raise ValueError(
                f"Only binary and multiclass target types are supported. Target type: {target_type}"
            )
        if reset:
            self._target_encoder = sklearn.pipeline.make_pipeline(
                TargetReshaper(), sklearn.preprocessing.OneHotEncoder(sparse_output=False)
            ).fit(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        return self._target_encoder.transform(y)

    def _more_tags(self):
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A scikit-learn regressor around a kgraph model (1-D targets are trained as a column
    and predicted back as 1-D); ``score`` is R²."""

    def _more_tags(self):
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A scikit-learn transformer around a kgraph model: ``transform`` returns the model's
    outputs (for example an embedding) for a pipeline's next step."""

    def transform(self, X):
        """The model's outputs for ``X``."""
        return self._raw_predict(X)

    def _more_tags(self):
        return {"preserves_dtype": []}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
