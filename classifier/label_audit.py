"""Label audit: which training labels are likely wrong (confident learning on out-of-fold models).

Unlike the per-story audit (:mod:`classifier.audit`), this trains models: one per fold,
each judging only the works it was not trained on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from classifier.datasets import frame_to_arrays, load_training_frame
from classifier.labels import RATING_LEVELS, Taxonomy
from classifier.modeling.scorer import StoryScorer
from classifier.modeling.train import fold_strata, stratified_group_folds, train_story_model
from classifier.output import render_table

#: Fewest labelled texts worth cross-validating.
MIN_TEXTS = 20
#: Columns of the terminal table of likely label issues.
TABLE_COLUMNS = [("id", 24), ("label", 22), ("given", 9), ("suggested", 10), ("self_confidence", 15)]


class TooFewLabels(ValueError):
    """Too few labelled texts to cross-validate."""


def audit_labels(
    paths: Iterable[str],
    taxonomy: Taxonomy,
    read_options: Any,
    *,
    folds: int = 5,
    progress: Callable[[str], None] | None = None,
    on_error: Callable[[str], None] = lambda message: None,
) -> tuple[pd.DataFrame, int]:
    """Load labelled sources and rank their labels; return the ranking and the number of read errors.

    Each read error goes to ``on_error`` as it is found. Raises ValueError when fewer than
    :data:`MIN_TEXTS` labelled texts are left (:class:`TooFewLabels`).
    """
    frame, errors = load_training_frame(paths, taxonomy, read_options)
    for e in errors:
        on_error(e)
    if len(frame) < MIN_TEXTS:
        raise TooFewLabels(f"only {len(frame)} labelled texts; need at least {MIN_TEXTS} to cross-validate")
    return cross_validated_audit(frame, taxonomy, folds=folds, progress=progress), len(errors)


def issues_table(ranked: pd.DataFrame, limit: int = 50) -> str:
    """The terminal view: the ``limit`` likeliest label issues and a count."""
    top = ranked[ranked["likely_issue"]].head(limit)
    rows = [{k: str(r[k]) for k, _ in TABLE_COLUMNS} for r in top.to_dict("records")]
    return (
        render_table(rows, TABLE_COLUMNS)
        + f"{int(ranked['likely_issue'].sum())} likely label issues among {len(ranked)} labels\n"
    )


def cross_validated_audit(
    frame: pd.DataFrame, taxonomy: Taxonomy, *, folds: int = 5, seed: int = 0, progress: Any = None
) -> pd.DataFrame:
    """Out-of-fold predictions for a labelled frame, ranked by how likely each label is wrong.

    Confident learning (Northcutt et al.): per class, the threshold is the mean predicted
    probability of that class among texts labelled with it; a text is a likely label issue
    when another class clears its threshold while its own does not. Ranked by self-confidence
    (the out-of-fold probability of the given label), lowest first. No model judges a text it
    was trained on: each fold's model is trained without the fold's works.
    """
    texts, Y, groups, weights = frame_to_arrays(frame, taxonomy.warning_ids)
    upper = frame["rating_upper"].to_numpy(dtype=float) if "rating_upper" in frame else np.full(len(texts), np.nan)
    fold_of = stratified_group_folds(groups, fold_strata(Y), folds, seed)
    levels = np.full((len(texts), 4), np.nan)
    warns = np.full((len(texts), len(taxonomy.warning_ids)), np.nan)
    sources = frame["source"].astype(str).to_numpy()
    for f in range(folds):
        tr = np.flatnonzero(fold_of != f)
        te = np.flatnonzero(fold_of == f)
        if len(te) == 0:
            continue
        if progress:
            progress(f"fold {f + 1}/{folds}: training on {len(tr)} texts, judging {len(te)}")
        spec, arrays, _ = train_story_model(
            [texts[i] for i in tr],
            Y[tr],
            upper[tr],
            groups[tr],
            weights[tr],
            sources[tr],
            tuple(taxonomy.warning_ids),
            folds=2,
            seed=seed,
        )
        scores = StoryScorer(spec, arrays).predict_proba([texts[i] for i in te])
        levels[te] = scores.levels
        warns[te] = scores.warnings
    rows = []
    known = ~np.isnan(Y[:, 0])
    given = Y[known, 0].astype(int)
    class_thr = np.array(
        [levels[known][given == k, k].mean() if (given == k).any() else 1.0 for k in range(4)], dtype=float
    )
    for i in range(len(texts)):
        base = {
            "group": groups[i],
            "id": str(groups[i]).split(":", 1)[-1],
            "path": frame["path"].iloc[i] if "path" in frame.columns and isinstance(frame["path"].iloc[i], str) else "",
            "source": sources[i],
        }
        if known[i]:
            lab = int(Y[i, 0])
            p_given = float(levels[i, lab])
            others = [k for k in range(4) if k != lab]
            best = max(others, key=lambda k: levels[i, k])
            issue = bool(levels[i, best] >= class_thr[best] and p_given < class_thr[lab])
            rows.append(
                {
                    **base,
                    "label": "rating",
                    "given": RATING_LEVELS[lab],
                    "suggested": RATING_LEVELS[best],
                    "self_confidence": round(p_given, 4),
                    "margin": round(p_given - float(levels[i, best]), 4),
                    "likely_issue": issue,
                }
            )
        for j, wid in enumerate(taxonomy.warning_ids):
            if np.isnan(Y[i, 1 + j]):
                continue
            lab = int(Y[i, 1 + j])
            p = float(warns[i, j])
            p_given = p if lab == 1 else 1 - p
            rows.append(
                {
                    **base,
                    "label": wid,
                    "given": lab,
                    "suggested": 1 - lab,
                    "self_confidence": round(p_given, 4),
                    "margin": round(2 * p_given - 1, 4),
                    "likely_issue": bool(p_given < 0.2),
                }
            )
    out = pd.DataFrame(rows)
    if len(out):
        out = out.sort_values(["likely_issue", "self_confidence"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)
