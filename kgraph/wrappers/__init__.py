"""``keras.wrappers``: scikit-learn estimators around kgraph models (scikit-learn must be
installed to create one)."""

from kgraph.wrappers.sklearn_wrapper import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
