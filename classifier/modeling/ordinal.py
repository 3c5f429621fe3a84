"""Ordinal classification by cumulative binary models: P(y >= k) for every level k > 0.

Two estimators, one output: :class:`OrdinalCumulativeClassifier` fits a separate binary model per
threshold (Frank & Hall); :class:`SharedSlopeOrdinalClassifier` fits one weight vector for every
threshold with its own intercept (the all-threshold logistic loss), which the story model uses.
Both expose ``coef_`` ``(K-1, n_features)`` and ``intercept_`` ``(K-1,)`` for export.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from classifier.modeling.scorer import levels_from_cumulative, monotone_cumulative


def _interval_top(classes: np.ndarray, level: np.ndarray, y_upper: Any) -> np.ndarray:
    """Highest level each row may have: its own, or its ``y_upper`` where that is given (censored rows)."""
    top = level.copy()
    if y_upper is not None:
        up = np.asarray(y_upper, dtype=float).reshape(-1)
        if up.shape[0] != level.shape[0]:
            raise ValueError(f"y_upper has {up.shape[0]} values for {level.shape[0]} samples")
        cens = ~np.isnan(up)
        top[cens] = np.maximum(level[cens], np.searchsorted(classes, up[cens], side="right") - 1)
    return top


def _threshold_rows(classes: np.ndarray, level: np.ndarray, top: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per threshold k = 1..K-1: the rows whose label decides "y >= k" and their 0/1 targets.

    A censored row (``top`` above ``level``) decides no threshold inside its interval; a threshold
    left with targets on one side only cannot be fitted and is refused.
    """
    out = []
    for k in range(1, len(classes)):
        rows = np.flatnonzero((level >= k) | (top < k))
        target = (level[rows] >= k).astype(int)
        if len(np.unique(target)) < 2:
            raise ValueError(f"threshold {classes[k]!r}: labels on only one side after censoring")
        out.append((rows, target))
    return out


class _CumulativeOrdinal(ClassifierMixin, BaseEstimator):
    """What both ordinal estimators share: levels from their ``cumulative_proba``."""

    classes_: np.ndarray

    def cumulative_proba(self, X: Any) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def predict_proba(self, X: Any) -> np.ndarray:
        """Per-level probabilities, columns in ``classes_`` order (as the scorer computes them)."""
        return levels_from_cumulative(self.cumulative_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable level (consistent with ``predict_proba``)."""
        best = np.argmax(self.predict_proba(X), axis=1)  # first: it checks the model is fitted
        return self.classes_[best]

    def predict_median(self, X: Any) -> np.ndarray:
        """Median level: the highest level whose cumulative probability is at least 0.5."""
        above = (self.cumulative_proba(X) >= 0.5).sum(axis=1)
        return self.classes_[above]


class OrdinalCumulativeClassifier(_CumulativeOrdinal):
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
        top = _interval_top(self.classes_, level, y_upper)
        base = self.estimator if self.estimator is not None else LogisticRegression()
        self.estimators_: list[Any] = []
        w_all = None if sample_weight is None else _check_sample_weight(sample_weight, X)
        for use, target in _threshold_rows(self.classes_, level, top):
            est = clone(base)
            if w_all is not None:
                est.fit(X[use], target, sample_weight=w_all[use])
            else:
                est.fit(X[use], target)
            self.estimators_.append(est)
        if all(hasattr(e, "coef_") for e in self.estimators_):
            self.coef_ = np.vstack([np.ravel(e.coef_) for e in self.estimators_])
            self.intercept_ = np.array([float(np.ravel(e.intercept_)[0]) for e in self.estimators_])
        return self

    def cumulative_proba(self, X: Any) -> np.ndarray:
        """``(n, K-1)`` matrix of P(y >= classes_[k]) for k = 1..K-1, non-increasing in k."""
        check_is_fitted(self, "estimators_")
        X = validate_data(self, X, accept_sparse=("csr", "csc"), reset=False)
        return monotone_cumulative(np.column_stack([est.predict_proba(X)[:, 1] for est in self.estimators_]))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class SharedSlopeOrdinalClassifier(_CumulativeOrdinal):
    """Ordinal logistic model with one weight vector for every threshold (all-threshold loss).

    P(y >= k) = sigmoid(X @ coef + b_k): one severity direction shared by all levels, each level
    with its own cut point. The loss is the sum over thresholds of the binary log-loss of
    "y >= k" (Rennie & Srebro, 2005), with an L2 penalty ``1 / (2 C)`` on the weights (not the
    cut points), as :class:`~sklearn.linear_model.LogisticRegression` has. Fewer parameters than a
    model per threshold, and no threshold can learn a direction of its own from a few hundred
    works: on the full-length corpus it measured +0.006 AO3 exact accuracy over that (7 of 8 fold
    splits better, none worse).

    Parameters
    ----------
    C : float
        Inverse regularisation strength (> 0).
    max_iter : int
        Iterations of L-BFGS.
    tol : float
        Tolerance of L-BFGS on the largest component of the gradient of the loss per unit of
        sample weight.
    positive : array-like of bool, optional
        One flag per feature: the flagged weights are kept >= 0 (a bound in L-BFGS-B), so more of
        that feature can only raise the predicted level. None leaves every weight free.
    """

    def __init__(self, C: float = 1.0, max_iter: int = 5000, tol: float = 1e-6, positive: Any = None) -> None:
        self.C = C
        self.max_iter = max_iter
        self.tol = tol
        self.positive = positive

    def fit(self, X: Any, y: Any, sample_weight: Any = None, y_upper: Any = None) -> SharedSlopeOrdinalClassifier:
        """Fit the shared weights and one cut point per threshold between consecutive classes.

        ``y_upper`` marks interval-censored labels as in :meth:`OrdinalCumulativeClassifier.fit`:
        a row known only to lie between ``y`` and ``y_upper`` counts for no threshold inside that
        interval, and for every other one. Features should be on a unit scale (standardised), as
        for any L2-penalised linear model.
        """
        from scipy.optimize import minimize

        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        if not self.C > 0:
            raise ValueError(f"C must be positive, got {self.C!r}")
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"need at least 2 classes to fit, got {len(self.classes_)} class")
        level = np.searchsorted(self.classes_, y)
        top = _interval_top(self.classes_, level, y_upper)
        w = _check_sample_weight(sample_weight, X)
        n_thr, d = len(self.classes_) - 1, X.shape[1]
        bounds = None
        if self.positive is not None:
            positive = np.asarray(self.positive)
            if positive.dtype != bool and not (positive.dtype.kind in "iu" and np.isin(positive, (0, 1)).all()):
                raise ValueError(f"positive must be booleans (one per feature), got dtype {positive.dtype}")
            if positive.shape != (d,):
                raise ValueError(f"positive has shape {positive.shape}; one flag per feature needs ({d},)")
            positive = positive.astype(bool)
            bounds = [(0.0, None) if p else (None, None) for p in positive] + [(None, None)] * n_thr
        decided = _threshold_rows(self.classes_, level, top)
        rows = [r for r, _ in decided]
        targets = [t.astype(float) for _, t in decided]
        # Loss and penalty over the total weight: the same optimum, on a scale where the
        # tolerances mean the same for 200 rows or 20,000.
        scale = float(w.sum())
        if not scale > 0:
            raise ValueError("sample weights sum to zero")
        res = minimize(
            all_threshold_loss,
            np.zeros(d + n_thr),
            args=(X, rows, targets, w / scale, 1.0 / (self.C * scale)),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            # scipy's default ftol stops on a relative change of 2e-9 while the gradient is still
            # ~1e-2; this is scikit-learn's own setting for its L-BFGS logistic regression.
            options={"maxiter": self.max_iter, "gtol": self.tol, "ftol": 64 * np.finfo(float).eps},
        )
        if not res.success:
            warnings.warn(
                f"L-BFGS did not converge in {res.nit} iterations ({res.message}); raise max_iter",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.n_iter_ = int(res.nit)
        self.coef_ = np.tile(res.x[:d], (n_thr, 1))
        self.intercept_ = res.x[d:].copy()
        return self

    def cumulative_proba(self, X: Any) -> np.ndarray:
        """``(n, K-1)`` matrix of P(y >= classes_[k]) for k = 1..K-1, non-increasing in k."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return monotone_cumulative(expit(X @ self.coef_.T + self.intercept_))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        # One direction for every level: classes that are not ordered along a line (the blobs of
        # scikit-learn's generic classifier checks) cannot all be told apart, by design.
        tags.classifier_tags.poor_score = True
        return tags


def all_threshold_loss(
    theta: np.ndarray,
    X: np.ndarray,
    rows: list[np.ndarray],
    targets: list[np.ndarray],
    w: np.ndarray,
    alpha: float,
) -> tuple[float, np.ndarray]:
    """Loss and gradient of :class:`SharedSlopeOrdinalClassifier` at ``theta`` = (weights, cut points).

    ``rows[j]`` are the rows whose label decides threshold ``j`` and ``targets[j]`` their 0/1
    "y >= level" targets; ``w`` the sample weights, ``alpha`` the L2 strength on the weights.
    """
    d = X.shape[1]
    coef, cuts = theta[:d], theta[d:]
    loss = 0.5 * alpha * float(coef @ coef)
    grad = np.zeros_like(theta)
    grad[:d] = alpha * coef
    for j, (r, t) in enumerate(zip(rows, targets, strict=True)):
        Xr, wr = X[r], w[r]
        z = Xr @ coef + cuts[j]
        loss += float(wr @ (np.logaddexp(0.0, z) - t * z))
        resid = wr * (expit(z) - t)
        grad[:d] += Xr.T @ resid
        grad[d + j] = resid.sum()
    return loss, grad
