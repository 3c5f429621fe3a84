"""The story model: one estimator, story text in, rating and warnings out.

Stages (all inside one saved object):

1. the body is split into passages (~300 words, on paragraph boundaries);
2. each passage is featurised (hashed word 1-2-grams + lexicon densities + stylometry) and
   scored by linear heads: P(rating >= teen / mature / explicit) and P(warning) per id;
3. passage scores are pooled per label (max, top-k mean, mean, share above 0.5, number of
   passages) and a small calibrated model per label turns the pool into the story's
   probability. Rating uses an ordinal cumulative model over the three rating pools.

One explicit scene makes an otherwise gentle story Explicit because the pool keeps the
maximum; the pooled model learns how much to trust a lone high passage in a long story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.utils.validation import check_is_fitted

from classifier.features import LexiconFeatures, normalize_text, split_passages, tokenize, word_ngrams
from classifier.labels import RATING_LEVELS
from classifier.modeling.guidelines import (
    combine,
    is_quiet,
    load_guidelines,
    passage_rule_matrix,
    rule_probs,
    signals,
)
from classifier.modeling.ordinal import OrdinalCumulativeClassifier

RATING_HEADS: tuple[str, ...] = ("rating>=teen", "rating>=mature", "rating>=explicit")
POOL_STATS: tuple[str, ...] = ("max", "topk", "mean", "share")
_EPS = 1e-4


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def pool_scores(scores: np.ndarray, topk: int = 3) -> np.ndarray:
    """Pool ``(n_passages, n_heads)`` probabilities into ``4 * n_heads + 1`` story features."""
    n, h = scores.shape
    if n == 0:
        scores = np.full((1, h), _EPS)
        n = 1
    srt = -np.sort(-scores, axis=0)
    k = min(topk, n)
    feats = np.concatenate(
        [_logit(srt[0]), _logit(srt[:k].mean(axis=0)), _logit(scores.mean(axis=0)), (scores >= 0.5).mean(axis=0)]
    )
    return np.append(feats, np.log1p(n))


def rating_features(pooled: np.ndarray, n_heads: int) -> np.ndarray:
    """Inputs of the ordinal rating model: the three rating heads' pools plus the passage count."""
    return np.hstack([pooled_columns(pooled, h, n_heads)[:, :-1] for h in range(3)] + [pooled[:, -1:]])


def level_probs(rating_model: OrdinalCumulativeClassifier, X: np.ndarray) -> np.ndarray:
    """``(n, 4)`` level probabilities, columns in ``RATING_LEVELS`` order whatever classes were seen."""
    probs = rating_model.predict_proba(X)
    full = np.zeros((X.shape[0], len(RATING_LEVELS)))
    for k, cls in enumerate(rating_model.classes_):
        full[:, int(cls)] = probs[:, k]
    return full


def levels_from_cumulative(cum: np.ndarray) -> list[float]:
    """Level probabilities from P(>= teen), P(>= mature), P(>= explicit), made non-increasing first."""
    c = np.minimum.accumulate(np.asarray(cum, dtype=float))
    return [1 - c[0], c[0] - c[1], c[1] - c[2], c[2]]


def median_level(levels: np.ndarray) -> np.ndarray:
    """Highest level whose cumulative probability P(>= level) is at least 0.5 (level 0 at least)."""
    cum = np.cumsum(levels[:, ::-1], axis=1)[:, ::-1]
    return (cum[:, 1:] >= 0.5).sum(axis=1)


def pooled_columns(pooled: np.ndarray, head: int, n_heads: int) -> np.ndarray:
    """The pooled features of one head (its four statistics plus the passage count)."""
    idx = [s * n_heads + head for s in range(len(POOL_STATS))] + [len(POOL_STATS) * n_heads]
    return pooled[:, idx]


@dataclass
class Evidence:
    """A passage supporting a predicted label."""

    start: int
    end: int
    score: float
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"start": self.start, "end": self.end, "score": round(self.score, 4), "snippet": self.snippet}


@dataclass
class Prediction:
    """What the text of one story calls for."""

    rating: str
    rating_probs: dict[str, float]
    warnings: list[str]
    warning_probs: dict[str, float]
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    passages: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The ``prediction`` object of the score record."""
        return {
            "rating": self.rating,
            "rating_probs": {k: round(v, 4) for k, v in self.rating_probs.items()},
            "warnings": list(self.warnings),
            "warning_probs": {k: round(v, 4) for k, v in self.warning_probs.items()},
            "evidence": {k: [e.to_dict() for e in v] for k, v in self.evidence.items()},
            "passages": self.passages,
        }


def snippet(text: str, start: int, end: int, limit: int = 200) -> str:
    """At most ``limit`` characters of the span, whitespace collapsed, cut at a word."""
    s = " ".join(text[start:end].split())
    if len(s) <= limit:
        return s
    cut = s[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


#: Lexicon categories whose words show why a passage supports the rating.
RATING_EVIDENCE = (
    "profanity_severe",
    "profanity_moderate",
    "sex_explicit",
    "sex_suggestive",
    "gore",
    "violence",
    "substance_drugs",
    "self_harm",
    "death",
    "nonconsent",
)


def evidence_categories(label: str) -> set[str]:
    """Lexicon categories that bear on ``label`` (a warning id or ``rating``)."""
    import json
    from importlib import resources

    if label == "rating":
        return set(RATING_EVIDENCE)
    spec = json.loads(resources.files("classifier").joinpath("data/lexicons.json").read_text(encoding="utf-8"))
    return set(spec.get("head_features", {}).get(label, []))


_WORD_RE = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")


@lru_cache(maxsize=64)
def evidence_words(label: str) -> frozenset[str]:
    """Lexicon words (exact forms) that bear on ``label``."""
    from classifier.features import load_lexicon

    lex = load_lexicon()
    cats = evidence_categories(label)
    wanted = {k for k, name in enumerate(lex.names) if name in cats}
    return frozenset(w for w, ks in lex.words.items() if wanted.intersection(ks))


def best_snippet(text: str, start: int, end: int, label: str, limit: int = 200) -> str:
    """The ≤``limit``-character window of the passage with the most words bearing on ``label``."""
    passage = text[start:end]
    wanted = evidence_words(label)
    hits = [m.start() for m in _WORD_RE.finditer(passage.lower()) if m.group() in wanted]
    if not hits:
        return snippet(passage, 0, len(passage), limit)
    best_lo, best_n = hits[0], 0
    j = 0
    for i, lo in enumerate(hits):
        while j < len(hits) and hits[j] < lo + limit - 20:
            j += 1
        if j - i > best_n:
            best_n, best_lo = j - i, lo
    # Start at the beginning of the word or sentence just before the densest window.
    lo = max(0, best_lo - 40)
    lo = passage.rfind(" ", 0, lo) + 1 if lo > 0 else 0
    return ("…" if lo > 0 else "") + snippet(passage, lo, len(passage), limit - (1 if lo > 0 else 0))


class PassageFeaturizer(BaseEstimator):
    """Hashed word n-grams plus scaled lexicon/stylometry features, as one sparse matrix.

    Parameters
    ----------
    n_features : int
        Hashing space of the n-gram part (no vocabulary is stored).
    ngram_range : tuple of int
        Word n-gram range.
    lexicon_weight : float
        Multiplier of the dense lexicon block relative to the l2-normalised n-grams.
    """

    def __init__(
        self, n_features: int = 2**18, ngram_range: tuple[int, int] = (1, 2), lexicon_weight: float = 0.5
    ) -> None:
        self.n_features = n_features
        self.ngram_range = ngram_range
        self.lexicon_weight = lexicon_weight

    def fit(self, X: Any, y: Any = None) -> PassageFeaturizer:
        """Build the (stateless) parts; returns self."""
        self.hasher_ = HashingVectorizer(
            n_features=self.n_features,
            analyzer=partial(word_ngrams, n_max=self.ngram_range[1]),
            alternate_sign=False,
            norm="l2",
            dtype=np.float32,
        )
        self.lexicon_ = LexiconFeatures().fit(X)
        self.n_features_out_ = self.n_features + self.lexicon_.n_features_out_
        return self

    def transform(self, X: Any) -> sp.csr_matrix:
        """Sparse ``(n_texts, n_features_out_)`` float32 matrix."""
        return self.transform_with_lexicon(X)[0]

    def transform_with_lexicon(self, X: Any) -> tuple[sp.csr_matrix, np.ndarray]:
        """The feature matrix and, separately, the unweighted dense lexicon block."""
        check_is_fitted(self, "hasher_")
        texts = [normalize_text(t) for t in X]
        lows = [t.lower() for t in texts]
        tokens = [tokenize(low) for low in lows]
        grams = self.hasher_.transform(tokens)
        lex = self.lexicon_.transform_tokens(texts, lows, tokens)
        return sp.hstack([grams, sp.csr_matrix(lex * self.lexicon_weight)], format="csr", dtype=np.float32), lex

    def feature_names_dense(self) -> list[str]:
        """Names of the dense (lexicon/stylometry) block."""
        return [str(n) for n in self.lexicon_.get_feature_names_out()]


class LinearHeads(BaseEstimator):
    """Independent logistic heads with missing labels (NaN rows are skipped per head).

    Coefficients are kept as one float32 matrix so scoring is one sparse product.
    """

    def __init__(
        self,
        alpha: float = 2e-5,
        max_iter: int = 20,
        random_state: int = 0,
        blocked: dict[int, np.ndarray] | None = None,
    ) -> None:
        self.alpha = alpha
        self.max_iter = max_iter
        self.random_state = random_state
        self.blocked = blocked

    def fit(self, X: Any, Y: np.ndarray, sample_weight: np.ndarray | None = None) -> LinearHeads:
        """Fit one head per column of ``Y`` on its known rows (``blocked`` columns zeroed per head)."""
        n_heads = Y.shape[1]
        coef = np.zeros((n_heads, X.shape[1]), dtype=np.float32)
        intercept = np.zeros(n_heads, dtype=np.float64)
        self.trained_ = np.zeros(n_heads, dtype=bool)
        w_all = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        for h in range(n_heads):
            known = ~np.isnan(Y[:, h])
            y = Y[known, h].astype(int)
            if known.sum() == 0 or y.min() == y.max():
                # No information: a constant head at the observed rate (or 0.5 when unknown).
                rate = float(y.mean()) if known.sum() else 0.5
                intercept[h] = float(_logit(np.array([rate]))[0])
                continue
            w = w_all[known]
            pos = w[y == 1].sum()
            neg = w[y == 0].sum()
            # Balance classes so rare warnings still get a usable head; calibration comes later.
            w = np.where(y == 1, w * (neg / max(pos, 1e-9)) ** 0.5, w)
            clf = SGDClassifier(
                loss="log_loss",
                alpha=self.alpha,
                max_iter=self.max_iter,
                tol=None,
                random_state=self.random_state,
                average=True,
            )
            Xh = X[known]
            if self.blocked and h in self.blocked and len(self.blocked[h]):
                keep = np.ones(X.shape[1], dtype=np.float32)
                keep[self.blocked[h]] = 0.0
                Xh = Xh @ sp.diags(keep)
            clf.fit(Xh, y, sample_weight=w)
            coef[h] = clf.coef_[0].astype(np.float32)
            intercept[h] = float(clf.intercept_[0])
            self.trained_[h] = True
        self.coef_ = coef
        self.intercept_ = intercept
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Raw scores, ``(n, n_heads)``."""
        check_is_fitted(self, "coef_")
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities, ``(n, n_heads)``."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(X)))


class StoryModel(BaseEstimator):
    """Story text → rating (ordinal) and warnings (multi-label), with evidence passages.

    Parameters
    ----------
    warning_ids : tuple of str
        Warning labels, in taxonomy order.
    passage_words, max_passage_words : int
        Passage size (words) for splitting bodies.
    n_features : int
        Hashing space of the n-gram features.
    alpha : float
        L2 penalty of the passage heads.
    topk : int
        k of the top-k mean pool.
    random_state : int
        Seed for everything random in training.
    """

    def __init__(
        self,
        warning_ids: tuple[str, ...] = (),
        passage_words: int = 300,
        max_passage_words: int = 500,
        n_features: int = 2**18,
        alpha: float = 2e-5,
        topk: int = 3,
        random_state: int = 0,
    ) -> None:
        self.warning_ids = warning_ids
        self.passage_words = passage_words
        self.max_passage_words = max_passage_words
        self.n_features = n_features
        self.alpha = alpha
        self.topk = topk
        self.random_state = random_state

    def fit(
        self,
        X: list[str],
        y: np.ndarray,
        *,
        groups: np.ndarray | None = None,
        sample_weight: np.ndarray | None = None,
        sources: np.ndarray | None = None,
        **train_options: Any,
    ) -> StoryModel:
        """Train on texts ``X`` and labels ``y`` (rating level 0..3, then one column per warning; NaN unknown).

        ``groups`` keeps a work on one side of every split; ``sources`` keeps bags within one
        source. The cross-validated report is stored in ``cv_report_``.
        """
        from classifier.modeling.train import train_story_model

        texts = [str(t) for t in X]
        n = len(texts)
        y = np.asarray(y, dtype=float)
        fitted, report = train_story_model(
            texts,
            y,
            np.asarray(groups) if groups is not None else np.arange(n).astype(str),
            np.asarray(sample_weight, dtype=float) if sample_weight is not None else np.ones(n),
            np.asarray(sources) if sources is not None else np.array(["data"] * n),
            tuple(self.warning_ids),
            params={k: v for k, v in self.get_params().items() if k not in ("warning_ids", "random_state")},
            seed=self.random_state,
            **train_options,
        )
        self.set_fitted(
            fitted.featurizer_,
            fitted.heads_,
            fitted.rating_model_,
            fitted.warning_models_,
            fitted.thresholds_,
            fitted.base_rates_,
            fitted.guidelines_,
        )
        self.cv_report_ = report
        return self

    # -- parts used by training (classifier.modeling.train) ------------------------------
    @property
    def head_names(self) -> list[str]:
        """Passage heads: the three cumulative rating heads, then one per warning."""
        return [*RATING_HEADS, *self.warning_ids]

    def passages(self, text: str) -> list[tuple[int, int]]:
        """Passage spans of a body (one span for short texts)."""
        spans = split_passages(text, self.passage_words, self.max_passage_words)
        return spans or [(0, len(text))]

    def blocked_columns(self, featurizer: PassageFeaturizer) -> dict[int, np.ndarray]:
        """Per warning head, the dense feature columns it may not use (see lexicons.json)."""
        import json
        from importlib import resources

        spec = json.loads(resources.files("classifier").joinpath("data/lexicons.json").read_text(encoding="utf-8"))
        allowed = spec.get("head_features", {})
        names = featurizer.feature_names_dense()
        out: dict[int, np.ndarray] = {}
        for h, head in enumerate(self.head_names):
            if head not in allowed:
                continue
            ok = {f"lex_{c}" for c in allowed[head]} | set(allowed[head])
            out[h] = np.array([featurizer.n_features + k for k, n in enumerate(names) if n not in ok], dtype=int)
        return out

    def fit_featurizer(self) -> PassageFeaturizer:
        """A fitted featurizer for this model's parameters."""
        return PassageFeaturizer(n_features=self.n_features).fit([""])

    def set_fitted(
        self,
        featurizer: PassageFeaturizer,
        heads: LinearHeads,
        rating_model: OrdinalCumulativeClassifier,
        warning_models: dict[str, LogisticRegression | None],
        thresholds: dict[str, float],
        base_rates: dict[str, float],
        guidelines: dict[str, Any] | None = None,
    ) -> StoryModel:
        """Install trained parts (called by the trainer)."""
        self.guidelines_ = guidelines if guidelines is not None else load_guidelines()
        self.categories_ = list(featurizer.lexicon_.categories_)
        self.featurizer_ = featurizer
        self.heads_ = heads
        self.rating_model_ = rating_model
        self.warning_models_ = warning_models
        self.thresholds_ = thresholds
        self.base_rates_ = base_rates
        return self

    # -- inference --------------------------------------------------------------------------
    def passage_scores(
        self, texts: list[str]
    ) -> tuple[list[list[tuple[int, int]]], list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """Per text: passage spans, ``(n_passages, n_heads)`` scores, lexicon block, word counts."""
        check_is_fitted(self, "heads_")
        spans_all = [self.passages(t) for t in texts]
        flat = [t[a:b] for t, spans in zip(texts, spans_all, strict=True) for a, b in spans]
        n_heads = len(self.head_names)
        if not flat:
            empty = [np.zeros((0, n_heads)) for _ in texts]
            return spans_all, empty, [np.zeros((0, 0)) for _ in texts], [np.zeros(0) for _ in texts]
        X, lex = self.featurizer_.transform_with_lexicon(flat)
        probs = self.heads_.predict_proba(X)
        # Cumulative rating heads must not increase with the level.
        probs[:, :3] = np.minimum.accumulate(probs[:, :3], axis=1)
        words = np.array([len(p.split()) for p in flat], dtype=float)
        scores, lexes, counts = [], [], []
        pos = 0
        for spans in spans_all:
            end = pos + len(spans)
            scores.append(probs[pos:end])
            lexes.append(lex[pos:end])
            counts.append(words[pos:end])
            pos = end
        return spans_all, scores, lexes, counts

    def pooled(self, scores: list[np.ndarray]) -> np.ndarray:
        """Pooled story features for each text's passage scores."""
        return np.vstack([pool_scores(s, self.topk) for s in scores]) if scores else np.zeros((0, 0))

    def learned_proba(self, pooled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Learned part only: rating levels ``(n, 4)`` and warnings ``(n, n_warnings)``."""
        n_heads = len(self.head_names)
        full = level_probs(self.rating_model_, rating_features(pooled, n_heads))
        warn = np.zeros((pooled.shape[0], len(self.warning_ids)))
        for j, wid in enumerate(self.warning_ids):
            model = self.warning_models_.get(wid)
            if model is None:
                warn[:, j] = self.base_rates_.get(wid, 0.0)
            else:
                warn[:, j] = model.predict_proba(pooled_columns(pooled, 3 + j, n_heads))[:, 1]
        return full, warn

    def combine_guidelines(
        self, levels: np.ndarray, warn: np.ndarray, lexes: list[np.ndarray], words: list[np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, list[dict[str, float]]]:
        """Raise the learned probabilities with on-page evidence (noisy-OR); see guidelines.json.

        Also returns each story's rule probabilities on their own (the lexicon-rule baseline).
        """
        levels = levels.copy()
        warn = warn.copy()
        all_rules = []
        factor = float(self.guidelines_.get("quiet_text", {}).get("factor", 1.0))
        for i in range(levels.shape[0]):
            sig = signals(lexes[i], words[i], self.categories_, self.guidelines_)
            rules = rule_probs(sig, self.guidelines_)
            all_rules.append(rules)
            cum = np.cumsum(levels[i, ::-1])[::-1][1:]  # P(>= teen), P(>= mature), P(>= explicit)
            if is_quiet(sig, float(words[i].sum()), self.guidelines_):
                cum = cum * factor
            cum = np.array([combine(float(cum[k]), rules.get(head, 0.0)) for k, head in enumerate(RATING_HEADS)])
            levels[i] = levels_from_cumulative(cum)
            for j, wid in enumerate(self.warning_ids):
                warn[i, j] = combine(float(warn[i, j]), rules.get(wid, 0.0))
        return np.clip(levels, 0.0, 1.0), warn, all_rules

    def predict(self, texts: list[str], *, explain: int = 3) -> list[Prediction]:
        """Predictions with up to ``explain`` evidence passages per predicted label."""
        texts = list(texts)
        if not texts:
            return []
        spans_all, scores, lexes, words = self.passage_scores(texts)
        levels, warn = self.learned_proba(self.pooled(scores))
        levels, warn, _ = self.combine_guidelines(levels, warn, lexes, words)
        medians = median_level(levels)
        out = []
        for i, text in enumerate(texts):
            probs = {lvl: float(levels[i, k]) for k, lvl in enumerate(RATING_LEVELS)}
            rating_idx = int(medians[i])
            rating = RATING_LEVELS[rating_idx]
            wprobs = {wid: float(warn[i, j]) for j, wid in enumerate(self.warning_ids)}
            predicted = [wid for wid in self.warning_ids if wprobs[wid] >= self.thresholds_.get(wid, 0.5)]
            evidence: dict[str, list[Evidence]] = {}
            if explain > 0 and len(scores[i]):
                rules = passage_rule_matrix(lexes[i], words[i], self.categories_, self.guidelines_)
                head = max(rating_idx, 1) - 1  # the ">= predicted level" head; ">= teen" for general
                evidence["rating"] = self._evidence(
                    text, spans_all[i], self._passage_strength(scores[i], rules, head), explain, "rating"
                )
                for wid in predicted:
                    col = self._passage_strength(scores[i], rules, 3 + self.warning_ids.index(wid))
                    evidence[wid] = self._evidence(text, spans_all[i], col, explain, wid)
            out.append(Prediction(rating, probs, predicted, wprobs, evidence, passages=len(spans_all[i])))
        return out

    def _passage_strength(self, scores: np.ndarray, rules: dict[str, np.ndarray], head: int) -> np.ndarray:
        """Per-passage score for evidence: learned head combined with that passage's own rule evidence."""
        name = self.head_names[head]
        own = rules.get(name)
        col = scores[:, head]
        return col if own is None else 1.0 - (1.0 - col) * (1.0 - own)

    def _evidence(
        self, text: str, spans: list[tuple[int, int]], col: np.ndarray, n: int, label: str = "rating"
    ) -> list[Evidence]:
        order = np.argsort(-col, kind="stable")[:n]
        return [
            Evidence(spans[k][0], spans[k][1], float(col[k]), best_snippet(text, spans[k][0], spans[k][1], label))
            for k in order
        ]
