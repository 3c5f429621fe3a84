"""Metrics with bootstrap confidence intervals: ordinal rating and multi-label warnings.

Unknown labels (NaN) are left out of every figure that needs them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from classifier.labels import AO3_RATING_MIX, FFN_RATING_MIX, RATING_LEVELS


def _ci(values: list[float]) -> list[float]:
    arr = np.asarray([v for v in values if not np.isnan(v)])
    if len(arr) == 0:
        return [float("nan"), float("nan")]
    return [round(float(np.percentile(arr, 2.5)), 4), round(float(np.percentile(arr, 97.5)), 4)]


def bootstrap(
    fn: Callable[[np.ndarray], float],
    n: int,
    *,
    rounds: int = 200,
    seed: int = 0,
    strata: np.ndarray | None = None,
) -> list[float]:
    """95% percentile interval of ``fn(indices)`` over ``rounds`` resamples of ``range(n)``.

    With ``strata`` (a label per index) each stratum is resampled to its own size, as a sample
    drawn per stratum (the full-length corpus, per rating) was: figures weighted to another mix
    then do not also vary with how many works of each level a resample happens to draw.
    """
    if n == 0:
        return [float("nan"), float("nan")]
    rng = np.random.default_rng(seed)
    if strata is None:
        return _ci([fn(rng.integers(0, n, n)) for _ in range(rounds)])
    groups = [np.flatnonzero(strata == g) for g in np.unique(strata)]
    return _ci([fn(np.concatenate([g[rng.integers(0, len(g), len(g))] for g in groups])) for _ in range(rounds)])


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """ECE of binary probabilities ``p`` against outcomes ``y`` (equal-width bins)."""
    if len(y) == 0:
        return float("nan")
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            ece += m.mean() * abs(y[m].mean() - p[m].mean())
    return float(ece)


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve of ``score`` for binary ``y`` (ties count half); NaN without both classes.

    A ranking figure: it does not move with the decision thresholds or the class mix, so on
    another fandom's texts, or texts of another length, it says whether the model still orders
    them right where an accuracy at fixed thresholds mostly measures the shift.
    """
    from scipy.stats import rankdata

    y = np.asarray(y).astype(bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = rankdata(np.asarray(score, dtype=float))
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (average ranks for ties); NaN when either side is constant."""
    from scipy.stats import rankdata

    ra, rb = rankdata(np.asarray(a, dtype=float)), rankdata(np.asarray(b, dtype=float))
    if len(ra) < 2 or ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def _f1(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _macro_f1(y: np.ndarray, pred: np.ndarray, labels: range) -> float:
    scores = []
    for k in labels:
        tp = float(((pred == k) & (y == k)).sum())
        fp = float(((pred == k) & (y != k)).sum())
        fn = float(((pred != k) & (y == k)).sum())
        if tp + fn == 0:
            continue
        scores.append(_f1(tp, fp, fn)[2])
    return float(np.mean(scores)) if scores else float("nan")


def rating_metrics(
    y: np.ndarray,
    pred: np.ndarray,
    probs: np.ndarray | None = None,
    *,
    rounds: int = 200,
    exact_rows: np.ndarray | None = None,
) -> dict[str, Any]:
    """Exact, within-one, adult-vs-not accuracy, macro-F1, confusion matrix, ECE; with CIs.

    With level probabilities ``probs`` also the ranking figures, which survive a shift of class
    mix or length (see :func:`auc`): ``adult_auc`` (P(>= mature) for mature/explicit works against
    the rest), ``teen_auc`` (P(>= teen) for works above general) and ``rank_correlation`` (the
    expected level against the declared one). ``y`` and ``pred`` are level indices (0..3); rows
    with unknown ``y`` must be removed first. ``exact_rows`` (bool per row) marks the works whose level is
    known exactly: an FFN M (mature or explicit) is scored at the level the model picks within its
    range, so its ``y`` follows the prediction and is left out of the rank correlation, which it
    would inflate; the AUCs' cut points (>= teen, >= mature) sit at or below M's range and keep it.
    """
    y = np.asarray(y, dtype=int)
    pred = np.asarray(pred, dtype=int)
    n = len(y)
    levels = range(len(RATING_LEVELS))

    def exact(ix: np.ndarray) -> float:
        return float((y[ix] == pred[ix]).mean())

    def within(ix: np.ndarray) -> float:
        return float((np.abs(y[ix] - pred[ix]) <= 1).mean())

    def adult(ix: np.ndarray) -> float:
        return float(((y[ix] >= 2) == (pred[ix] >= 2)).mean())

    def macro(ix: np.ndarray) -> float:
        return _macro_f1(y[ix], pred[ix], levels)

    out: dict[str, Any] = {"n": n}
    if n == 0:
        return out
    for name, fn in (
        ("exact_accuracy", exact),
        ("within_one_accuracy", within),
        ("adult_accuracy", adult),
        ("macro_f1", macro),
    ):
        out[name] = {"value": round(fn(np.arange(n)), 4), "ci95": bootstrap(fn, n, rounds=rounds)}
    conf = np.zeros((4, 4), dtype=int)
    for a, b in zip(y, pred, strict=True):
        conf[a, b] += 1
    out["confusion"] = {"rows_true_cols_pred": list(RATING_LEVELS), "matrix": conf.tolist()}
    if probs is not None:
        conf_p = probs[np.arange(n), pred]
        correct = (y == pred).astype(float)

        def ece(ix: np.ndarray) -> float:
            return expected_calibration_error(correct[ix], conf_p[ix])

        out["ece"] = {"value": round(ece(np.arange(n)), 4), "ci95": bootstrap(ece, n, rounds=rounds)}
        p_teen, p_adult = probs[:, 1:].sum(axis=1), probs[:, 2:].sum(axis=1)
        expected = probs @ np.arange(probs.shape[1])
        ranked = np.arange(n) if exact_rows is None else np.flatnonzero(np.asarray(exact_rows, dtype=bool))
        for name, fn, rows in (
            ("adult_auc", lambda ix: auc(y[ix] >= 2, p_adult[ix]), np.arange(n)),
            ("teen_auc", lambda ix: auc(y[ix] >= 1, p_teen[ix]), np.arange(n)),
            ("rank_correlation", lambda ix: rank_correlation(expected[ix], y[ix]), ranked),
        ):
            figure = _figure_over(fn, rows, rounds)
            if figure is not None:
                out[name] = figure
    return out


#: Story-length bands (words) of :func:`rating_by_length`: where the issue measured length bias
#: (short works rated up, long works rated down) and where the full-length corpus has its works.
LENGTH_BANDS: tuple[tuple[int, int | None], ...] = ((0, 1500), (1500, 5000), (5000, 15000), (15000, None))


def rating_by_length(y: np.ndarray, pred: np.ndarray, words: np.ndarray, *, rounds: int = 200) -> list[dict[str, Any]]:
    """Per :data:`LENGTH_BANDS` band: works, exact accuracy and the mean signed error in levels
    (predicted minus declared: > 0 rates that length up), each with a bootstrap CI.

    ``y`` and ``pred`` are level indices (rows with unknown ``y`` removed), ``words`` word counts.
    """
    y = np.asarray(y, dtype=int)
    pred = np.asarray(pred, dtype=int)
    words = np.nan_to_num(np.asarray(words, dtype=float), nan=0.0).clip(min=0)  # every work in a band
    out: list[dict[str, Any]] = []
    for lo, hi in LENGTH_BANDS:
        sel = np.flatnonzero((words >= lo) & (words < (np.inf if hi is None else hi)))
        name = f"{lo:,}+" if hi is None else (f"under {hi:,}" if lo == 0 else f"{lo:,}-{hi - 1:,}")
        band: dict[str, Any] = {"words": name, "n": len(sel)}
        if len(sel):
            band["mean_error"] = _rate(pred[sel] - y[sel], rounds=rounds)
            band["exact_accuracy"] = _rate(pred[sel] == y[sel], rounds=rounds)
        out.append(band)
    return out


def _subset(fn: Callable[[np.ndarray], float], idx: np.ndarray) -> Callable[[np.ndarray], float]:
    def inner(ix: np.ndarray) -> float:
        return fn(idx[ix])

    return inner


def _figure_over(fn: Callable[[np.ndarray], float], rows: np.ndarray, rounds: int) -> dict[str, Any] | None:
    """``fn`` over ``rows`` with its bootstrap CI over them; None when it is undefined there (an
    AUC without both classes), so the report leaves the figure out rather than print NaN."""
    value = fn(rows) if len(rows) else float("nan")
    if np.isnan(value):
        return None
    return {"value": round(value, 4), "ci95": bootstrap(_subset(fn, rows), len(rows), rounds=rounds)}


def warning_metrics(
    Y: np.ndarray, P: np.ndarray, thresholds: dict[str, float], labels: list[str], *, rounds: int = 200
) -> dict[str, Any]:
    """Per-label precision/recall/F1/ECE and micro/macro F1 over known entries, with CIs."""
    pred = np.zeros_like(P, dtype=bool)
    for j, w in enumerate(labels):
        pred[:, j] = P[:, j] >= thresholds.get(w, 0.5)
    known = ~np.isnan(Y)
    truth = np.where(known, Y, 0) == 1
    n = Y.shape[0]
    per: dict[str, Any] = {}
    for j, w in enumerate(labels):
        k = known[:, j]
        yt, yp, pp = truth[k, j], pred[k, j], P[k, j]
        tp, fp, fn = float((yt & yp).sum()), float((~yt & yp).sum()), float((yt & ~yp).sum())
        precision, recall, f1 = _f1(tp, fp, fn)
        idx = np.flatnonzero(k)

        def auc_of(ix: np.ndarray, j: int = j) -> float:
            return auc(truth[ix, j], P[ix, j])

        def f1_of(ix: np.ndarray, j: int = j) -> float:
            a, b = truth[ix, j], pred[ix, j]
            return _f1(float((a & b).sum()), float((~a & b).sum()), float((a & ~b).sum()))[2]

        per[w] = {
            "support": int(yt.sum()),
            "known": int(k.sum()),
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "f1_ci95": bootstrap(_subset(f1_of, idx), len(idx), rounds=rounds) if len(idx) else [],
            "ece": round(expected_calibration_error(yt.astype(float), pp), 4) if len(idx) else None,
            "auc": _figure_over(auc_of, idx, rounds),
            "threshold": round(thresholds.get(w, 0.5), 4),
        }

    def micro(ix: np.ndarray) -> float:
        k, t, p = known[ix], truth[ix], pred[ix]
        return _f1(float((t & p & k).sum()), float((~t & p & k).sum()), float((t & ~p & k).sum()))[2]

    def macro(ix: np.ndarray) -> float:
        vals = []
        for j in range(len(labels)):
            k = known[ix, j]
            t, p = truth[ix, j][k], pred[ix, j][k]
            if t.sum() == 0:
                continue
            vals.append(_f1(float((t & p).sum()), float((~t & p).sum()), float((t & ~p).sum()))[2])
        return float(np.mean(vals)) if vals else float("nan")

    all_ix = np.arange(n)
    return {
        "n": n,
        "per_label": per,
        "micro_f1": {"value": round(micro(all_ix), 4), "ci95": bootstrap(micro, n, rounds=rounds)},
        "macro_f1": {"value": round(macro(all_ix), 4), "ci95": bootstrap(macro, n, rounds=rounds)},
    }


def best_f1_threshold(y: np.ndarray, p: np.ndarray, *, min_precision: float = 0.0) -> float:
    """Threshold in [0.05, 0.95] maximising F1 of ``p >= t`` among those with precision >= ``min_precision``.

    When no threshold reaches that precision, the one maximising F0.5 (precision weighted
    twice recall) is used: a head that cannot reach the floor should say less, not more (the
    F1-optimal threshold of such a head fired on most works at precision 0.17). 0.5 when there
    is no positive at all.
    """
    if len(y) == 0 or y.sum() == 0:
        return 0.5
    best_t, best = 0.5, -1.0
    any_t, any_best = 0.5, -1.0
    for t in np.linspace(0.05, 0.95, 91):
        pr = p >= t
        tp, fp, fn = float((pr & (y == 1)).sum()), float((pr & (y == 0)).sum()), float((~pr & (y == 1)).sum())
        precision, recall, f1 = _f1(tp, fp, fn)
        f_half = 1.25 * precision * recall / (0.25 * precision + recall) if precision + recall > 0 else 0.0
        if f_half > any_best + 1e-9:
            any_best, any_t = f_half, float(t)
        if precision >= min_precision and f1 > best + 1e-9:
            best, best_t = f1, float(t)
    return round(best_t if best >= 0 else any_t, 4)


# -- protocol figures: rating, warnings and the audit replayed on labelled works ---------------------
#: Audit defaults are the lowest confidences whose out-of-fold false-alarm rate on honestly
#: labelled works stays within these budgets (under the targets of 5% and 10%).
UNDER_RATED_BUDGET = 0.04
MISSING_WARNING_BUDGET = 0.08
#: A rating scale (``ao3``, ``ffn``) gets under-rated confidences of its own, within the budget on
#: its own works, when it has this many honestly rated works: scales differ in what a level allows
#: (FFN's K+ admits mild violence that AO3's General does not), so a pooled budget lets one scale's
#: works take most of the false alarms.
MIN_SCALE_WORKS = 100


def _effective(levels_true: np.ndarray, upper: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """True level for scoring: a prediction inside a censored range (FFN M = mature..explicit) is exact."""
    y = levels_true.astype(int).copy()
    cens = ~np.isnan(upper)
    y[cens] = np.clip(pred[cens], y[cens], upper[cens].astype(int))
    return y


def _p_above(levels: np.ndarray, declared: np.ndarray) -> np.ndarray:
    cum = np.cumsum(levels[:, ::-1], axis=1)[:, ::-1]  # cum[:, k] = P(>= k)
    cum = np.hstack([cum, np.zeros((len(cum), 1))])
    return cum[np.arange(len(cum)), np.minimum(declared + 1, len(RATING_LEVELS))]


def _rate(
    x: np.ndarray, *, weights: np.ndarray | None = None, strata: np.ndarray | None = None, rounds: int = 200
) -> dict[str, Any]:
    """Mean of ``x`` (a rate, or a mean error), weighted by ``weights`` if given, with its count and
    bootstrap interval (resampled within ``strata`` if given, see :func:`bootstrap`)."""
    x = np.asarray(x, dtype=float)
    if len(x) == 0:
        return {"value": None, "n": 0}
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)

    def mean(ix: np.ndarray) -> float:
        return float((w[ix] * x[ix]).sum() / w[ix].sum())

    ci = bootstrap(mean, len(x), rounds=rounds, strata=strata)
    return {"value": round(mean(np.arange(len(x))), 4), "n": len(x), "ci95": ci}


def choose_level_confidences(
    levels: np.ndarray, y: np.ndarray, exact: np.ndarray, weights: np.ndarray | None = None
) -> dict[str, float]:
    """Per declared level, the confidence an under-rating needs: the combination that catches the
    most planted one- and two-level under-ratings while at most ``UNDER_RATED_BUDGET`` of the
    honestly rated works are flagged. Levels differ in how confusable they are with the next
    (Mature and Explicit most), so one shared threshold spends the budget badly. ``weights``
    (:func:`mix_weights`) count each work at an archive's own rating mix: without them a level the
    sample holds few of (AO3 General) would take the budget's false alarms almost for free.
    """
    grid = np.round(np.arange(0.5, 1.0, 0.01), 2)
    n_lv = len(RATING_LEVELS) - 1
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    n = max(float(w[exact].sum()), 1e-9)
    fp = np.zeros((n_lv, len(grid)))
    hits = np.zeros((n_lv, len(grid)))
    sizes = []
    for drop in (1, 2):
        sizes.append(max(float(w[exact & (y >= drop)].sum()), 1e-9))
    for k in range(n_lv):
        honest = exact & (y == k)
        a = _p_above(levels[honest], y[honest])
        fp[k] = w[honest] @ (a[:, None] >= grid[None, :]) / n
        for drop, size in zip((1, 2), sizes, strict=True):
            sel = exact & (y == k + drop)
            p = _p_above(levels[sel], np.full(int(sel.sum()), k))
            hits[k] += w[sel] @ (p[:, None] >= grid[None, :]) / size
    # Exhaustive over the grid (50^3 combinations, vectorised).
    tot_fp = fp[0][:, None, None] + fp[1][None, :, None] + fp[2][None, None, :]
    tot_hit = hits[0][:, None, None] + hits[1][None, :, None] + hits[2][None, None, :]
    score = np.where(tot_fp <= UNDER_RATED_BUDGET, tot_hit, -1.0)
    i, j, k = (int(x) for x in np.unravel_index(int(np.argmax(score)), score.shape))
    if score[i, j, k] < 0:
        i = j = k = len(grid) - 1
    return {RATING_LEVELS[0]: float(grid[i]), RATING_LEVELS[1]: float(grid[j]), RATING_LEVELS[2]: float(grid[k])}


def _scale_confidences(
    levels: np.ndarray,
    y: np.ndarray,
    exact: np.ndarray,
    scales: np.ndarray,
    pooled: dict[str, float],
    weights: np.ndarray | None = None,
) -> dict[str, dict[str, float]]:
    """Per rating scale with :data:`MIN_SCALE_WORKS` honest works, :func:`choose_level_confidences`
    on that scale's works alone; a level none of its works declare keeps the pooled confidence."""
    out: dict[str, dict[str, float]] = {}
    for scale in sorted({str(s) for s in scales[exact]}):
        sel = exact & (scales == scale)
        if not scale or sel.sum() < MIN_SCALE_WORKS:
            continue
        chosen = choose_level_confidences(levels, y, sel, weights)
        out[scale] = {n: chosen[n] if (sel & (y == k)).any() else pooled[n] for k, n in enumerate(RATING_LEVELS[:-1])}
    return out


def choose_label_confidences(P: np.ndarray, T: np.ndarray, labels: list[str]) -> dict[str, float]:
    """Per archive warning, the confidence a missing-warning finding needs.

    Greedy: starting from flagging nothing, repeatedly lower the confidence of the warning whose
    next step (down to its next positive work's probability) catches the most removed warnings per
    added false alarm, while at most ``MISSING_WARNING_BUDGET`` of the works are flagged for a
    warning they lack. Confidences stay in [0.2, 0.99]: rare warnings have calibrated
    probabilities well below 0.5.
    """
    lo, hi = 0.2, 0.99
    conf = np.full(len(labels), hi)

    def rates(c: np.ndarray) -> tuple[float, float]:
        f = P >= c
        return float((f & ~T).any(axis=1).mean()), float(f[T].mean()) if T.any() else 0.0

    fp, hit = rates(conf)
    while True:
        best, best_gain, best_c = None, 0.0, 0.0
        for j in range(len(labels)):
            below = P[T[:, j], j]
            below = below[(below < conf[j]) & (below >= lo)]
            if not len(below):
                continue
            trial = conf.copy()
            trial[j] = float(np.floor(below.max() * 1000) / 1000)
            f2, h2 = rates(trial)
            if f2 > MISSING_WARNING_BUDGET or h2 <= hit:
                continue
            gain = (h2 - hit) / max(f2 - fp, 1e-4)
            if gain > best_gain:
                best, best_gain, best_c = j, gain, trial[j]
        if best is None:
            break
        conf[best] = best_c
        fp, hit = rates(conf)
    return {w: round(float(c), 3) for w, c in zip(labels, conf, strict=True)}


def audit_figures(
    levels: np.ndarray,
    lv: np.ndarray,
    upper: np.ndarray,
    warn: np.ndarray,
    W: np.ndarray,
    thresholds: dict[str, float],
    warning_ids: tuple[str, ...],
    *,
    min_confidence: float | None = None,
    confidence_by_level: dict[str, float] | None = None,
    warning_confidence: float | None = None,
    warning_confidence_by_label: dict[str, float] | None = None,
    confidence_by_scale: dict[str, dict[str, float]] | None = None,
    scales: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> dict[str, Any]:
    """The audit on honestly labelled works and on planted errors, at given or budget-chosen confidences.

    Planted errors are made as the issue describes: the declared rating lowered by one or two
    levels, and a present archive warning removed from the header ("No Archive Warnings Apply").
    ``under-rated`` needs P(above the declared rating) >= the confidence for that declared level
    (``confidence_by_level``, else ``min_confidence`` for every level); when neither is given,
    both are chosen within the false-alarm budget (see :func:`choose_level_confidences`), and,
    given each work's rating ``scales``, per scale with enough works (``confidence_by_scale``,
    within the budget on that scale's own works; other scales use ``confidence_by_level``).
    ``weights`` (:func:`mix_weights`) count each work, planted errors as the work they are made
    from, in every figure and in the choice of the under-rated confidences.
    """
    from classifier.labels import ARCHIVE_WARNINGS

    wt = np.ones(len(lv)) if weights is None else np.asarray(weights, dtype=float)
    # Resample per archive and declared level, as the works were drawn (see bootstrap).
    scale_code = np.unique(np.asarray(scales).astype(str), return_inverse=True)[1] if scales is not None else 0
    strata = np.zeros(len(lv), dtype=int) + scale_code * 8 + np.nan_to_num(lv, nan=-1).astype(int) + 1
    exact = ~np.isnan(lv) & np.isnan(upper)
    y = np.where(exact, lv, 0).astype(int)
    above = _p_above(levels, y)
    grid = np.round(np.linspace(0.3, 0.99, 70), 2)
    if np.isnan(levels).all():
        exact = np.zeros(len(exact), dtype=bool)  # a system without ratings: no rating figures
    if min_confidence is None and confidence_by_level is None:
        ok = [
            t for t in grid if exact.any() and wt[exact] @ (above[exact] >= t) / wt[exact].sum() <= UNDER_RATED_BUDGET
        ]
        min_confidence = float(ok[0]) if ok else float(grid[-1])
        confidence_by_level = choose_level_confidences(levels, y, exact, wt)
        if scales is not None:
            confidence_by_scale = _scale_confidences(levels, y, exact, scales, confidence_by_level, wt)
    names = RATING_LEVELS[:-1]
    if confidence_by_level is None:
        confidence_by_level = dict.fromkeys(names, float(min_confidence))  # type: ignore[arg-type]
    need = np.tile([confidence_by_level.get(n, 1.0) for n in names] + [1.0], (len(y), 1))
    if confidence_by_scale and scales is not None:
        for scale, conf in confidence_by_scale.items():
            need[scales == scale] = [conf.get(n, confidence_by_level.get(n, 1.0)) for n in names] + [1.0]
    out: dict[str, Any] = {
        "min_confidence": min_confidence,
        "confidence_by_level": confidence_by_level,
        # Whether the figures count works at their archive's rating mix (a scale with a thin level
        # falls back to counting them as sampled).
        "at_rating_mix": bool(not np.allclose(wt, 1.0)),
    }
    if confidence_by_scale:
        out["confidence_by_scale"] = confidence_by_scale
    out["under_rated_false_alarms"] = _rate(
        above[exact] >= need[exact, y[exact]], weights=wt[exact], strata=strata[exact]
    )
    for drop in (1, 2):
        sel = exact & (y >= drop)
        declared = y[sel] - drop
        planted = _p_above(levels[sel], declared)
        caught = planted >= need[sel][np.arange(len(declared)), declared]
        out[f"under_rated_recall_{drop}_level"] = _rate(caught, weights=wt[sel], strata=strata[sel])
    cols = [j for j, w in enumerate(warning_ids) if w in ARCHIVE_WARNINGS]
    known = ~np.isnan(W[:, cols]).any(axis=1)
    thr = np.array([thresholds.get(warning_ids[j], 0.5) for j in cols])
    P, T, wk, sk = warn[known][:, cols], W[known][:, cols] == 1, wt[known], strata[known]

    labels = [warning_ids[j] for j in cols]

    def flags(conf: np.ndarray | float) -> np.ndarray:
        return P >= np.maximum(thr, conf)

    if not known.any():
        out["warning_confidence"] = 0.5 if warning_confidence is None else warning_confidence
        return out
    chosen_per_label = warning_confidence_by_label is not None
    if warning_confidence is None and warning_confidence_by_label is None:
        chosen_per_label = True
        # Chosen on the works as sampled, though the figures below count them at the rating mix.
        # Chosen at the mix, the few carriers of a warning that weigh most made the choice noisier:
        # with recall weighted too, caught 0.48 -> 0.39; with only the false alarms weighted,
        # honest works flagged 0.070-0.082 -> 0.081-0.089 for the same recall (0.42-0.51), both
        # at AO3's mix on 4 held-out fold splits.
        ok = [t for t in grid if (flags(t) & ~T).any(axis=1).mean() <= MISSING_WARNING_BUDGET]
        warning_confidence = float(ok[0]) if ok else float(grid[-1])
        warning_confidence_by_label = choose_label_confidences(P, T, labels)
    if warning_confidence_by_label is None:
        warning_confidence_by_label = dict.fromkeys(labels, float(warning_confidence))  # type: ignore[arg-type]
    per = np.array([warning_confidence_by_label.get(w, warning_confidence or 0.5) for w in labels])
    # Per-warning confidences were chosen on held-out works for the false-alarm budget: they stand
    # alone. A single confidence (a user's --min-confidence) also needs the model's threshold.
    f = P >= per if chosen_per_label else flags(per)
    out["warning_confidence"] = warning_confidence
    out["warning_confidence_by_label"] = warning_confidence_by_label
    # Honest works: declared exactly what they carry; a flag is a missing-warning on a warning they lack.
    out["missing_warning_false_alarms"] = _rate((f & ~T).any(axis=1), weights=wk, strata=sk)
    # Planted: every present archive warning removed from the header; caught when any is flagged.
    carrying = T.any(axis=1)
    out["missing_warning_recall"] = _rate(f[carrying].any(axis=1), weights=wk[carrying], strata=sk[carrying])
    out["missing_warning_recall_per_warning"] = _rate(
        f[T], weights=(T * wk[:, None])[T], strata=np.broadcast_to(sk[:, None], T.shape)[T]
    )
    return out


#: Fewest works of each level for figures re-weighted to a rating mix: below it one work's
#: weight would swing them.
MIN_PER_LEVEL_FOR_MIX = 10


def _level_weights(y: np.ndarray, mix: tuple[float, ...]) -> np.ndarray | None:
    """``mix[level] / share[level]`` of each of ``y``'s levels; None when a level has fewer than
    :data:`MIN_PER_LEVEL_FOR_MIX` works."""
    counts = np.bincount(y, minlength=len(mix))
    if len(y) == 0 or counts.min() < MIN_PER_LEVEL_FOR_MIX:
        return None
    return (np.asarray(mix) / (counts / len(y)))[y]


def mix_weights(lv: np.ndarray, upper: np.ndarray, scales: np.ndarray | None) -> np.ndarray:
    """Each work's weight at its archive's own rating mix: ``mix / share`` of its level for works
    known to one level (the full-length corpus was sampled per rating).

    AO3-scale works are weighted to :data:`~classifier.labels.AO3_RATING_MIX`; FFN K, K+ and T
    works to :data:`~classifier.labels.FFN_RATING_MIX` among themselves, keeping their total (FFN
    lists hide M by default, so M's share is unknown and its works keep weight 1). Every other
    work weighs 1, as do all of a scale with too few works of a level to weigh (see
    :func:`rating_at_mix`).
    """
    lv = np.asarray(lv, dtype=float)
    w = np.ones(len(lv))
    if scales is None:
        return w
    exact = ~np.isnan(lv) & np.isnan(np.asarray(upper, dtype=float))
    scales = np.asarray(scales)
    for scale, mix in (("ao3", AO3_RATING_MIX), ("ffn", FFN_RATING_MIX)):
        sel = exact & (scales == scale) & (lv < len(mix))
        level_w = _level_weights(lv[sel].astype(int), mix)
        if level_w is not None:
            w[sel] = level_w
    return w


def rating_at_mix(
    y: np.ndarray, pred: np.ndarray, mix: tuple[float, ...] = AO3_RATING_MIX, *, rounds: int = 200
) -> dict[str, Any] | None:
    """Exact, within-one and adult-vs-not accuracy as if the works came in rating mix ``mix``.

    A labelled set sampled per rating (as the full-length corpus is) has a mix no archive has, and
    accuracy moves with the mix: each work counts ``mix[level] / share[level]`` of its declared
    level, so the figures estimate accuracy on an archive with that mix. None when a level has
    fewer than :data:`MIN_PER_LEVEL_FOR_MIX` works (its weight would rest on a handful).
    """
    y = np.asarray(y, dtype=int)
    pred = np.asarray(pred, dtype=int)
    w = _level_weights(y, mix)
    if w is None:
        return None
    out: dict[str, Any] = {"n": len(y), "mix": dict(zip(RATING_LEVELS, mix, strict=True))}
    for name, hit in (
        ("exact_accuracy", y == pred),
        ("within_one_accuracy", np.abs(y - pred) <= 1),
        ("adult_accuracy", (y >= 2) == (pred >= 2)),
    ):

        def acc(ix: np.ndarray, hit: np.ndarray = hit) -> float:
            return float((w[ix] * hit[ix]).sum() / w[ix].sum())

        ci = bootstrap(acc, len(y), rounds=rounds, strata=y)  # the levels were drawn apart
        out[name] = {"value": round(acc(np.arange(len(y))), 4), "ci95": ci}
    return out


def protocol_report(
    lv: np.ndarray,
    upper: np.ndarray,
    W: np.ndarray,
    levels: np.ndarray,
    warn: np.ndarray,
    thresholds: dict[str, float],
    warning_ids: tuple[str, ...],
    *,
    rounds: int = 200,
    audit: dict[str, Any] | None = None,
    scales: np.ndarray | None = None,
    words: np.ndarray | None = None,
) -> dict[str, Any]:
    """Rating, warning and audit figures of probabilities against labels (``scales``: each work's
    rating scale, for the audit's per-scale confidences; ``words``: word counts, for the rating
    figures by story length)."""
    from classifier.labels import ARCHIVE_WARNINGS

    known = ~np.isnan(lv) & ~np.isnan(levels).any(axis=1)
    cum = np.cumsum(levels[known][:, ::-1], axis=1)[:, ::-1]
    pred = (cum[:, 1:] >= 0.5).sum(axis=1)  # the median level
    y = _effective(lv[known], upper[known], pred)
    exact = np.isnan(np.asarray(upper, dtype=float)[known])
    out: dict[str, Any] = {"rating": rating_metrics(y, pred, levels[known], rounds=rounds, exact_rows=exact)}
    if words is not None and known.any():
        out["rating"]["by_length"] = rating_by_length(y, pred, np.asarray(words)[known], rounds=rounds)
    if scales is not None:
        # Works known to one AO3 level: an FFN M spans two, and the mix is AO3's.
        ao3 = (np.asarray(scales)[known] == "ao3") & exact
        at_mix = rating_at_mix(y[ao3], pred[ao3], rounds=rounds)
        if at_mix is not None:
            out["rating"]["at_ao3_mix"] = at_mix
    out["warnings"] = warning_metrics(W, warn, thresholds, list(warning_ids), rounds=rounds)
    cols = [j for j, w in enumerate(warning_ids) if w in ARCHIVE_WARNINGS]
    if cols:
        out["archive_warnings"] = warning_metrics(
            W[:, cols], warn[:, cols], thresholds, [warning_ids[j] for j in cols], rounds=rounds
        )
    out["audit"] = audit_figures(
        levels,
        lv,
        upper,
        warn,
        W,
        thresholds,
        warning_ids,
        scales=scales,
        weights=mix_weights(lv, upper, scales),
        **(audit or {}),
    )
    return out
