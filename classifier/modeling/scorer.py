"""The one prediction chain: story text → passages → content features → rating and warnings.

Numpy only (no scikit-learn, SciPy, pandas or joblib), so scoring starts fast and a saved
model is plain arrays (see :mod:`classifier.modeling.weights`). Training
(:mod:`classifier.modeling.train`) fits scikit-learn estimators and exports them to this form;
a test checks the exported chain reproduces the estimators' probabilities.

Chain, per text:

1. split the body into ~300-word passages on paragraph boundaries;
2. count lexicon hits per passage and pool them into story features
   (:func:`classifier.features.story_features`: densities, densest passage, top-3, counts,
   share of passages, interactions, length);
3. standardise; rating: three cumulative logistic models P(>= teen / mature / explicit), made
   non-increasing; archive warnings: one logistic model each;
4. warnings: combined by noisy-OR with the guideline rules (``guidelines.json``);
5. the rating is the median level; warnings are those at or above their threshold;
6. evidence: each passage scored as if it were a story of its own, the top ones per label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from classifier.features import (
    CompiledLexicon,
    passage_counts,
    passage_story_features,
    split_passages,
    story_feature_names,
    story_features,
)
from classifier.modeling.evidence import PassageParts, passage_parts, quote_marked
from classifier.modeling.guidelines import RATING_RULES, combine, passage_rule_matrix, raise_levels, story_rules
from classifier.modeling.prediction import Evidence, Prediction
from classifier.modeling.weights import WeightsError, validate


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def monotone_cumulative(cum: np.ndarray) -> np.ndarray:
    """``(n, K-1)`` P(>= level k) made non-increasing in k, each raised to the next one's: the
    models for rarer, more specific content (>= explicit) are the surer evidence."""
    c = np.asarray(cum, dtype=float)
    return np.maximum.accumulate(c[:, ::-1], axis=1)[:, ::-1]


def levels_from_cumulative(cum: np.ndarray) -> np.ndarray:
    """``(n, K)`` level probabilities from ``(n, K-1)`` P(>= level k), made non-increasing first
    (:func:`monotone_cumulative`)."""
    c = monotone_cumulative(cum)
    n = c.shape[0]
    upper = np.hstack([np.ones((n, 1)), c])
    lower = np.hstack([c, np.zeros((n, 1))])
    return np.clip(upper - lower, 0.0, 1.0)


def median_level(levels: np.ndarray) -> np.ndarray:
    """Highest level whose cumulative probability P(>= level) is at least 0.5 (level 0 at least)."""
    cum = np.cumsum(levels[:, ::-1], axis=1)[:, ::-1]
    return (cum[:, 1:] >= 0.5).sum(axis=1)


@dataclass
class Scores:
    """Everything the chain computed for a batch of texts (arrays row-aligned with the texts)."""

    levels: np.ndarray  #: (n, 4) rating level probabilities
    warnings: np.ndarray  #: (n, n_warnings) warning probabilities
    learned: np.ndarray  #: (n, n_warnings) the learned part alone (before guideline rules)
    rules: np.ndarray  #: (n, n_warnings) the guideline rules alone
    features: np.ndarray  #: (n, n_features) story features
    spans: list[list[tuple[int, int]]]
    counts: list[np.ndarray]
    words: list[np.ndarray]


class StoryScorer:
    """A loaded model: spec (JSON) + arrays, scoring with numpy only.

    Parameters
    ----------
    spec : dict
        The model spec (``model.json``): levels, warning ids, feature names, lexicon,
        guideline rules, thresholds, audit defaults.
    arrays : dict of str to ndarray
        ``feature_mean``, ``feature_scale``, ``rating_coef``, ``rating_intercept``,
        ``warning_coef``, ``warning_intercept``, ``warning_learned``.
    """

    def __init__(self, spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        validate(spec, arrays)
        self.spec = spec
        self.arrays = {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}
        try:
            self.lexicon = CompiledLexicon(
                spec["lexicon"]["categories"], spec["lexicon"].get("context"), spec["lexicon"].get("exclude")
            )
        except ValueError as exc:  # an exclusion without its category's word, say
            raise WeightsError(f"spec lexicon: {exc}") from exc
        if story_feature_names(self.lexicon.names) != list(spec["features"]):
            raise WeightsError("spec features do not match the features this ficrate computes from its lexicon")
        self.levels = tuple(spec["levels"])
        self.warning_ids = tuple(spec["warning_ids"])
        self.thresholds = {w: float(spec["thresholds"].get(w, 0.5)) for w in self.warning_ids}
        self.audit_defaults: dict[str, Any] = dict(spec.get("audit", {}))
        self.guidelines = spec["guidelines"]

    # -- the chain ------------------------------------------------------------------------------
    def passages(self, text: str) -> list[tuple[int, int]]:
        """Passage spans of a body (one span for short texts)."""
        spans = split_passages(text, self.spec["passage_words"], self.spec["max_passage_words"])
        return spans or [(0, len(text))]

    def _from_features(self, F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = self.arrays
        Z = (F - a["feature_mean"]) / a["feature_scale"]
        cum = _sigmoid(Z @ a["rating_coef"].T + a["rating_intercept"])
        learned = _sigmoid(Z @ a["warning_coef"].T + a["warning_intercept"]) * (a["warning_learned"] > 0)
        return levels_from_cumulative(cum), learned

    def _rules(self, counts: list[np.ndarray], words: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return story_rules(counts, words, self.lexicon.names, self.guidelines, self.warning_ids)

    def predict_proba(self, texts: list[str]) -> Scores:
        """Run the chain on ``texts`` (story bodies)."""
        spans = [self.passages(t) for t in texts]
        counts, words = [], []
        for t, s in zip(texts, spans, strict=True):
            c, w = passage_counts(t, s, self.lexicon)
            counts.append(c)
            words.append(w)
        n_feat = len(self.spec["features"])
        F = (
            np.vstack([story_features(c, w, self.lexicon.names) for c, w in zip(counts, words, strict=True)])
            if texts
            else np.zeros((0, n_feat))
        )
        levels, learned = self._from_features(F)
        rating_rules, rules = self._rules(counts, words)
        return Scores(
            raise_levels(levels, rating_rules), combine(learned, rules), learned, rules, F, spans, counts, words
        )

    def predict(self, texts: list[str], *, explain: int = 3) -> list[Prediction]:
        """Predictions with up to ``explain`` evidence passages per predicted label."""
        texts = [str(t) for t in texts]
        if not texts:
            return []
        s = self.predict_proba(texts)
        medians = median_level(s.levels)
        out = []
        for i, text in enumerate(texts):
            probs = {lvl: float(s.levels[i, k]) for k, lvl in enumerate(self.levels)}
            rating_idx = int(medians[i])
            wprobs = {wid: float(s.warnings[i, j]) for j, wid in enumerate(self.warning_ids)}
            predicted = [w for w in self.warning_ids if wprobs[w] >= self.thresholds[w]]
            evidence: dict[str, list[Evidence]] = {}
            if explain > 0:
                evidence = self._evidence(text, s.spans[i], s.counts[i], s.words[i], rating_idx, predicted, explain)
            out.append(
                Prediction(
                    self.levels[rating_idx], probs, predicted, wprobs, evidence, len(s.spans[i]), dict(self.thresholds)
                )
            )
        return out

    def passage_strengths(self, counts: np.ndarray, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each passage scored as a story of its own: ``(n, K-1)`` P(>= level) and ``(n, W)`` warnings."""
        names = self.lexicon.names
        F = passage_story_features(counts, words, names)
        levels, learned = self._from_features(F)
        rules = passage_rule_matrix(counts, words, names, self.guidelines)
        n = len(words)
        levels = raise_levels(levels, np.column_stack([rules.get(h, np.zeros(n)) for h in RATING_RULES]))
        cum = np.cumsum(levels[:, ::-1], axis=1)[:, ::-1][:, 1:]
        warn = np.column_stack(
            [combine(learned[:, j], rules.get(w, np.zeros(len(words)))) for j, w in enumerate(self.warning_ids)]
        )
        return cum, warn

    def _evidence(
        self,
        text: str,
        spans: list[tuple[int, int]],
        counts: np.ndarray,
        words: np.ndarray,
        rating_idx: int,
        predicted: list[str],
        n: int,
    ) -> dict[str, list[Evidence]]:
        cum, warn = self.passage_strengths(counts, words)
        cols = {"rating": cum[:, max(rating_idx, 1) - 1]}  # the ">= predicted level" head; ">= teen" for general
        for w in predicted:
            cols[w] = warn[:, self.warning_ids.index(w)]
        out: dict[str, list[Evidence]] = {}
        parts: dict[int, PassageParts] = {}  # a passage is often the evidence for several labels
        for label, col in cols.items():
            order = np.argsort(-col, kind="stable")[:n]
            out[label] = []
            for k in order:
                if k not in parts:
                    parts[k] = passage_parts(text, spans[k][0], spans[k][1], self.lexicon, counted=counts[k])
                q = quote_marked(text, spans[k][0], spans[k][1], label, parts=parts[k])
                out[label].append(
                    Evidence(
                        spans[k][0],
                        spans[k][1],
                        float(col[k]),
                        q.snippet,
                        label,
                        q.start,
                        q.end,
                        q.marks,
                        q.snippet_marks,
                    )
                )
        return out
