"""Ordinal classification by cumulative binary models: P(y >= k) for every level k > 0."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data


class OrdinalCumulativeClassifier(ClassifierMixin, BaseEstimator):
    """Ordinal classifier from K-1 binary models of P(y >= k) (Frank & Hall, 2001).

    Classes are ordered by their sorted value. Cumulative probabilities are forced to be
    non-increasing in k (each raised to the next one's), so level probabilities are never negative. ``predict`` returns
    the median of the predicted distribution (the highest level whose cumulative
    probability is at least 0.5), which minimises expected absolute level error.

    Parameters
    ----------
    estimator : classifier or None
        Binary probabilistic classifier cloned for each threshold (default
        ``LogisticRegression()``).
    """

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def fit(self, X: Any, y: Any, sample_weight: Any = None, y_upper: Any = None) -> OrdinalCumulativeClassifier:
        """Fit one binary model per threshold between consecutive classes.

        ``y_upper`` (optional, same classes as ``y`` or NaN) marks interval-censored labels: a
        row known only to lie between ``y`` and ``y_upper`` (FanFiction.Net's M is mature or
        explicit) is left out of the thresholds inside that interval, and used by the others.
        """
        X, y = validate_data(self, X, y, accept_sparse=("csr", "csc"))
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"need at least 2 classes to fit, got {len(self.classes_)} class")
        level = np.searchsorted(self.classes_, y)
        top = level.copy()
        if y_upper is not None:
            up = np.asarray(y_upper, dtype=float)
            cens = ~np.isnan(up)
            top[cens] = np.maximum(level[cens], np.searchsorted(self.classes_, up[cens], side="right") - 1)
        base = self.estimator if self.estimator is not None else LogisticRegression()
        self.estimators_: list[Any] = []
        w_all = None if sample_weight is None else _check_sample_weight(sample_weight, X)
        for k in range(1, len(self.classes_)):
            use = (level >= k) | (top < k)  # the label decides "y >= k" for these rows
            target = (level[use] >= k).astype(int)
            est = clone(base)
            if len(np.unique(target)) < 2:
                raise ValueError(f"threshold {self.classes_[k]!r}: labels on only one side after censoring")
            if w_all is not None:
                est.fit(X[use], target, sample_weight=w_all[use])
            else:
                est.fit(X[use], target)
            self.estimators_.append(est)
        return self

    def cumulative_proba(self, X: Any) -> np.ndarray:
        """``(n, K-1)`` matrix of P(y >= classes_[k]) for k = 1..K-1, non-increasing in k."""
        check_is_fitted(self, "estimators_")
        X = validate_data(self, X, accept_sparse=("csr", "csc"), reset=False)
        cum = np.column_stack([est.predict_proba(X)[:, 1] for est in self.estimators_])
        # Monotone by raising a lower threshold to the higher one's probability: the models for
        # rarer, more specific content (>= explicit) are the surer evidence.
        return np.maximum.accumulate(cum[:, ::-1], axis=1)[:, ::-1]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Per-level probabilities, columns in ``classes_`` order."""
        cum = self.cumulative_proba(X)
        n = cum.shape[0]
        upper = np.hstack([np.ones((n, 1)), cum])
        lower = np.hstack([cum, np.zeros((n, 1))])
        return np.clip(upper - lower, 0.0, 1.0)

    def predict(self, X: Any) -> np.ndarray:
        """Most probable level (consistent with ``predict_proba``)."""
        check_is_fitted(self, "estimators_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def predict_median(self, X: Any) -> np.ndarray:
        """Median level: the highest level whose cumulative probability is at least 0.5."""
        check_is_fitted(self, "estimators_")
        cum = self.cumulative_proba(X)
        return self.classes_[(cum >= 0.5).sum(axis=1)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
