"""Training: story features → scikit-learn models → exported arrays, judged by a fixed protocol.

The story model learns from full-length texts with story-level labels (the full-length
corpus in ``../shared/data``, or an archive's own stories/tables). Summaries and annotated
passages are left out: a 30-word blurb of an Explicit work carries no explicit words, and
learning from it teaches the model to rate text it has not seen.

Protocol (recorded in the model card, all with bootstrap 95% intervals):

* grouped, stratified k-fold cross-validation (a work never on both sides) → out-of-fold
  probabilities → rating and warning metrics, calibration, and the audit's own figures:
  false alarms on honestly labelled works and recall on planted under-ratings / removed
  warnings at the default audit thresholds. Those, and the warning thresholds, are chosen on
  :data:`CHOICE_SPLITS` other fold splits stacked, so the reported split took no part in
  choosing them (a choice made on one split held its budgets only on that split);
* leave-one-source-out: train without one source (e.g. the FanFiction.Net part), test on it.

Training data is one fandom: in-fandom cross-validation is optimistic, so the features are
content measures that mean the same in any fandom (see :mod:`classifier.features`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from classifier.labels import RATING_LEVELS
from classifier.metrics import audit_figures, best_f1_threshold, mix_weights, protocol_report

Progress = Callable[[str], None]

#: Texts shorter than this are not stories (summaries, tags): the story model skips them.
MIN_TRAIN_WORDS = 150
#: Shared-data sources that are fragments of works, not stories (labels are the whole work's).
FRAGMENT_SOURCES = ("ao3_summaries", "ffn_summaries", "trigger_passages")
#: Fragments of other fandoms' works with the work's labels: never trained on, the final model is
#: tested on them (and on the development stories beside the shared files) as a transfer figure.
TRANSFER_SOURCES = ("ao3_summaries", "ffn_summaries")
#: A warning is learned only with at least this many known positives and negatives.
MIN_LABEL_COUNT = 10
#: Warning thresholds maximise out-of-fold F1 among thresholds with at least this precision (F0.5
#: when none reaches it: see :func:`classifier.metrics.best_f1_threshold`).
MIN_PRECISION = 0.4
#: Fold splits the thresholds and audit defaults are chosen on, besides the one reported (>= 1).
CHOICE_SPLITS = 3
#: Inverse regularisation of the story models (chosen by the protocol; see the card).
C_RATING = 0.1
C_WARNING = 0.05
WARNING_CLASS_WEIGHT: str | None = None  # calibrated probabilities: the audit reads them as such


def warning_feature_masks(features: list[str], warning_ids: tuple[str, ...]) -> np.ndarray:
    """Per warning, the story features about its own content (``head_features`` in lexicons.json), plus length."""
    from classifier.features import lexicon_spec

    allowed = lexicon_spec().get("head_features", {})
    out = np.zeros((len(warning_ids), len(features)), dtype=bool)
    for j, wid in enumerate(warning_ids):
        cats = set(allowed.get(wid, [])) if isinstance(allowed.get(wid), list) else None
        for k, name in enumerate(features):
            out[j, k] = cats is None or name == "log_words" or name.split(":", 1)[0] in cats
    return out


def rating_monotone_mask(features: list[str]) -> np.ndarray:
    """Per story feature, whether its rating weight must be >= 0: every pool of the categories in
    ``rating_monotone`` (lexicons.json), whose content can only raise a rating."""
    from classifier.features import lexicon_spec

    cats = set(lexicon_spec().get("rating_monotone", {}).get("categories", []))
    return np.array([name.split(":", 1)[0] in cats for name in features], dtype=bool)


def stratified_group_folds(groups: np.ndarray, strata: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """Fold id per row: whole groups per fold, strata spread evenly (greedy by stratum)."""
    rng = np.random.default_rng(seed)
    uniq, inverse = np.unique(groups, return_inverse=True)
    group_stratum = np.zeros(len(uniq), dtype=object)
    group_stratum[inverse] = strata
    group_fold = np.zeros(len(uniq), dtype=int)
    for s in sorted(set(group_stratum.tolist()), key=str):
        members = np.flatnonzero(group_stratum == s)
        rng.shuffle(members)
        offset = int(rng.integers(n_folds))
        group_fold[members] = (np.arange(len(members)) + offset) % n_folds
    return group_fold[inverse]


def fold_strata(Y: np.ndarray) -> np.ndarray:
    """Stratum per row for fold assignment: the rating plus the rarest positive warning."""
    pos = np.nan_to_num(Y[:, 1:], nan=0.0)
    rarity = pos.sum(axis=0)
    out = []
    for i in range(Y.shape[0]):
        r = "u" if np.isnan(Y[i, 0]) else str(int(Y[i, 0]))
        hits = np.flatnonzero(pos[i] == 1)
        w = str(int(hits[np.argmin(rarity[hits])])) if len(hits) else "-"
        out.append(f"{r}|{w}")
    return np.asarray(out, dtype=object)


# -- features ------------------------------------------------------------------------------------
def featurize(
    texts: list[str], *, passage_words: int = 300, max_passage_words: int = 500, progress: Progress | None = None
) -> dict[str, Any]:
    """Passage lexicon counts and story features of every text (the scorer's steps 1-2)."""
    from classifier.features import load_lexicon, passage_counts, split_passages, story_features

    lex = load_lexicon()
    counts, words, feats = [], [], []
    for i, t in enumerate(texts):
        spans = split_passages(t, passage_words, max_passage_words) or [(0, len(t))]
        c, w = passage_counts(t, spans, lex)
        counts.append(c)
        words.append(w)
        feats.append(story_features(c, w, lex.names))
        if progress and i and i % 500 == 0:
            progress(f"features: {i:,}/{len(texts):,} texts")
    return {"counts": counts, "words": words, "F": np.vstack(feats), "categories": list(lex.names)}


# -- the estimators --------------------------------------------------------------------------------
def _fit(
    F: np.ndarray,
    levels: np.ndarray,
    upper: np.ndarray,
    W: np.ndarray,
    weights: np.ndarray,
    learn: list[bool],
    seed: int,
    masks: np.ndarray | None = None,
    positive: np.ndarray | None = None,
) -> dict[str, Any]:
    """Fit scaler, ordinal rating model and warning models on the rows with labels.

    ``masks`` (warnings × features, bool) limits each warning model to the features about its own
    content, so that a swearing argument cannot look like underage sex to a model that learned
    from a few dozen positives. ``positive`` (bool per feature) keeps those rating weights >= 0
    (:func:`rating_monotone_mask`).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from classifier.modeling.ordinal import SharedSlopeOrdinalClassifier

    scaler = StandardScaler().fit(F)
    Z = scaler.transform(F)
    known = ~np.isnan(levels)
    rating = SharedSlopeOrdinalClassifier(C=C_RATING, positive=positive).fit(
        Z[known], levels[known].astype(int), sample_weight=weights[known], y_upper=upper[known]
    )
    warn: list[Any] = []
    for j, on in enumerate(learn):
        ok = ~np.isnan(W[:, j])
        if not on or len(np.unique(W[ok, j])) < 2:
            warn.append(None)
            continue
        cols = masks[j] if masks is not None else np.ones(F.shape[1], dtype=bool)
        m = LogisticRegression(C=C_WARNING, max_iter=5000, class_weight=WARNING_CLASS_WEIGHT, random_state=seed)
        warn.append(m.fit(Z[ok][:, cols], W[ok, j].astype(int)))
    full = masks if masks is not None else np.ones((len(learn), F.shape[1]), dtype=bool)
    return {"scaler": scaler, "rating": rating, "warnings": warn, "masks": full}


def _predict(fitted: dict[str, Any], F: np.ndarray, n_warn: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's own probabilities (levels, learned warnings): the reference the export must match."""
    Z = fitted["scaler"].transform(F)
    rating = fitted["rating"]
    probs = rating.predict_proba(Z)
    levels = np.zeros((F.shape[0], len(RATING_LEVELS)))
    for k, cls in enumerate(rating.classes_):
        levels[:, int(cls)] = probs[:, k]
    warn = np.zeros((F.shape[0], n_warn))
    for j, m in enumerate(fitted["warnings"]):
        if m is not None:
            warn[:, j] = m.predict_proba(Z[:, fitted["masks"][j]])[:, 1]
    return levels, warn


def export_arrays(fitted: dict[str, Any], n_feat: int, n_warn: int) -> dict[str, np.ndarray]:
    """The fitted estimators as the plain arrays :class:`StoryScorer` reads."""
    from classifier.modeling.weights import WeightsError

    rating = fitted["rating"]
    classes = [int(c) for c in rating.classes_]
    if classes != list(range(len(RATING_LEVELS))):
        raise WeightsError(f"training data must hold every rating level to export a model (has {classes})")
    coef = np.asarray(rating.coef_, dtype=float)
    intercept = np.asarray(rating.intercept_, dtype=float)
    wcoef = np.zeros((n_warn, n_feat))
    wint = np.zeros(n_warn)
    learned = np.zeros(n_warn)
    for j, m in enumerate(fitted["warnings"]):
        if m is not None:
            wcoef[j, fitted["masks"][j]] = m.coef_[0]
            wint[j] = float(m.intercept_[0])
            learned[j] = 1.0
    return {
        "feature_mean": fitted["scaler"].mean_.astype(float),
        "feature_scale": fitted["scaler"].scale_.astype(float),
        "rating_coef": coef,
        "rating_intercept": intercept,
        "warning_coef": wcoef,
        "warning_intercept": wint,
        "warning_learned": learned,
    }


# -- training ------------------------------------------------------------------------------------
def train_story_model(
    texts: list[str],
    Y: np.ndarray,
    upper: np.ndarray,
    groups: np.ndarray,
    weights: np.ndarray,
    sources: np.ndarray,
    warning_ids: tuple[str, ...],
    *,
    folds: int = 5,
    seed: int = 0,
    progress: Progress | None = None,
    scales: np.ndarray | None = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
    """Fit, cross-validate and export; return ``(spec, arrays, report)``.

    ``scales`` (each text's rating scale, ``ao3``/``ffn``/...) lets the audit defaults be chosen
    per scale; without it one set of confidences serves every scale.
    """
    from classifier.features import lexicon_categories, lexicon_context, lexicon_exclusions, story_feature_names
    from classifier.modeling.guidelines import combine, load_guidelines, raise_levels, story_rules
    from classifier.story import count_words

    say = progress or (lambda _m: None)
    t0 = time.time()
    say(f"features of {len(texts):,} texts")
    feats = featurize(texts, progress=progress)
    F, cats = feats["F"], feats["categories"]
    n_words = np.array([count_words(t) for t in texts])
    guidelines = load_guidelines()
    rating_rules, rules = story_rules(feats["counts"], feats["words"], cats, guidelines, tuple(warning_ids))
    lv, W = Y[:, 0], Y[:, 1:]
    masks = warning_feature_masks(story_feature_names(cats), tuple(warning_ids))
    positive = rating_monotone_mask(story_feature_names(cats))
    skipped: dict[str, str] = {}
    learn = []
    for j, wid in enumerate(warning_ids):
        pos, neg = int(np.nansum(W[:, j] == 1)), int(np.nansum(W[:, j] == 0))
        ok = pos >= MIN_LABEL_COUNT and neg >= MIN_LABEL_COUNT
        learn.append(ok)
        if not ok and (pos or neg):
            skipped[wid] = (
                f"{pos} known positives and {neg} negatives (need {MIN_LABEL_COUNT} of each): "
                "not learned, guideline rules only"
            )
    for wid, why in skipped.items():
        say(f"warning {wid}: {why}")

    if scales is None:
        scales = np.full(len(texts), "", dtype=object)
    scales = np.asarray(scales, dtype=object)
    strata = fold_strata(Y)

    def out_of_fold(split: int, name: str) -> tuple[np.ndarray, np.ndarray]:
        fold = stratified_group_folds(groups, strata, folds, split)
        levels = np.full((len(texts), len(RATING_LEVELS)), np.nan)
        learned = np.zeros((len(texts), len(warning_ids)))
        for f in range(folds):
            say(f"cross-validation ({name}): fold {f + 1}/{folds}")
            tr, te = fold != f, fold == f
            m = _fit(F[tr], lv[tr], upper[tr], W[tr], weights[tr], learn, seed, masks, positive)
            levels[te], learned[te] = _predict(m, F[te], len(warning_ids))
        return raise_levels(levels, rating_rules), combine(learned, rules)

    # Thresholds and audit defaults are chosen on CHOICE_SPLITS fold splits stacked (one split's
    # choice held its false-alarm budgets only on that split); the figures reported come from one
    # more split that took no part in choosing them.
    oof_levels, oof_warn = out_of_fold(seed, "reported split")
    choice_seeds = [seed + 1 + r for r in range(CHOICE_SPLITS)]
    chosen = [out_of_fold(s, f"choice split {r + 1}/{CHOICE_SPLITS}") for r, s in enumerate(choice_seeds)]
    n_rep = len(chosen)
    pick_levels = np.vstack([c[0] for c in chosen])
    pick_warn = np.vstack([c[1] for c in chosen])
    pick_W = np.tile(W, (n_rep, 1))
    thresholds: dict[str, float] = {}
    for j, wid in enumerate(warning_ids):
        ok = ~np.isnan(pick_W[:, j])
        thresholds[wid] = (
            best_f1_threshold(pick_W[ok, j], pick_warn[ok, j], min_precision=MIN_PRECISION) if learn[j] else 0.5
        )
    say("protocol figures")
    choice = audit_figures(
        pick_levels,
        np.tile(lv, n_rep),
        np.tile(upper, n_rep),
        pick_warn,
        pick_W,
        thresholds,
        warning_ids,
        scales=np.tile(scales, n_rep),
        # Each work counted at its archive's own rating mix (AO3's, FFN's K-T), as the figures below count it.
        weights=np.tile(mix_weights(lv, upper, scales), n_rep),
    )
    audit_defaults = {
        "min_confidence": choice["min_confidence"],
        "confidence_by_level": choice["confidence_by_level"],
        "confidence_by_scale": choice.get("confidence_by_scale") or {},
        "warning_confidence": choice["warning_confidence"],
        "warning_confidence_by_label": choice.get("warning_confidence_by_label"),
    }
    cv = protocol_report(
        lv, upper, W, oof_levels, oof_warn, thresholds, warning_ids, audit=audit_defaults, scales=scales, words=n_words
    )
    cv["choice"] = {
        "splits": n_rep,
        "fold_seeds": choice_seeds,
        "reported_fold_seed": seed,
        "audit_on_choice_splits": {k: v for k, v in choice.items() if "confidence" not in k},
    }
    by_source = {}
    for src in sorted(set(sources.tolist())):
        sel = sources == src
        if sel.sum() >= 30:
            by_source[src] = protocol_report(
                lv[sel],
                upper[sel],
                W[sel],
                oof_levels[sel],
                oof_warn[sel],
                thresholds,
                warning_ids,
                audit=audit_defaults,
                scales=scales[sel],
                words=n_words[sel],
            )
    cv["by_source"] = by_source

    loso: dict[str, Any] = {}
    for src in sorted(set(sources.tolist())):
        te = sources == src
        tr = ~te
        if te.sum() < 30 or len(np.unique(lv[tr & ~np.isnan(lv)])) < len(RATING_LEVELS):
            continue
        say(f"leave-one-source-out: without {src}")
        m = _fit(F[tr], lv[tr], upper[tr], W[tr], weights[tr], learn, seed, masks, positive)
        lev, lw = _predict(m, F[te], len(warning_ids))
        lev = raise_levels(lev, rating_rules[te])
        loso[src] = protocol_report(
            lv[te],
            upper[te],
            W[te],
            lev,
            combine(lw, rules[te]),
            thresholds,
            warning_ids,
            audit=audit_defaults,
            scales=scales[te],
            words=n_words[te],
        )

    say("final fit on all data")
    fitted = _fit(F, lv, upper, W, weights, learn, seed, masks, positive)
    arrays = export_arrays(fitted, F.shape[1], len(warning_ids))
    spec = {
        "format": "ficrate-weights/1",
        "levels": list(RATING_LEVELS),
        "warning_ids": list(warning_ids),
        "features": story_feature_names(cats),
        "lexicon": {"categories": lexicon_categories(), "context": lexicon_context(), "exclude": lexicon_exclusions()},
        "guidelines": guidelines,
        "thresholds": thresholds,
        "audit": audit_defaults,
        "passage_words": 300,
        "max_passage_words": 500,
    }
    # The exported chain must reproduce scikit-learn's probabilities.
    from classifier.modeling.scorer import StoryScorer

    ref_levels, ref_warn = _predict(fitted, F, len(warning_ids))
    got_levels, got_warn = StoryScorer(spec, arrays)._from_features(F)
    drift = float(max(np.abs(ref_levels - got_levels).max(), np.abs(ref_warn - got_warn).max()))
    if drift > 1e-9:
        raise RuntimeError(f"exported model differs from the fitted estimators by {drift:.2e}")
    report = {
        "cross_validation": cv,
        "leave_one_source_out": loso,
        "skipped_labels": skipped,
        "counts": {"texts": len(texts), "passages": int(sum(len(w) for w in feats["words"])), "folds": folds},
        "export_max_abs_difference": drift,
        "seconds": round(time.time() - t0, 1),
    }
    return spec, arrays, report


DESCRIPTION = (
    "Predicts a story's rating (general < teen < mature < explicit, ordinal) and content warnings from its body "
    "text. The body is split into ~300-word passages; lexicon hits (sex, violence, gore, swearing, drugs, "
    "self-harm, non-consent, minors, death, ...) are pooled into story features (density, densest passage, "
    "top-3, counts, share of passages, interactions, length); an ordinal logistic model (one weight vector, a cut "
    "point per level; the weights of content a guideline names, rating_monotone in lexicons.json, kept >= 0 so "
    "that more of it never lowers a rating) gives P(rating >= level), "
    "logistic models the AO3 archive warnings, and guideline rules (guidelines.json) raise warnings by noisy-OR "
    "and floor the rating. Learned from full-length stories with their declared labels, AO3 works weighted to "
    "AO3's own rating mix."
)

LIMITS = (
    "Learned from one fandom's full-length works (Frozen, AO3 and FanFiction.Net): the in-fandom cross-validated "
    "figures are optimistic for other fandoms, though the features are fandom-neutral word lists. Self-declared "
    "labels are noisy (authors rate up 'to be safe'). FanFiction.Net's M is mature-or-explicit. Strong language, "
    "sexual content, self-harm, abuse and substance use have no labelled full-length data and rest on the guideline "
    "rules. The lexicons are English."
)


def train_from_sources(
    sources: list[str],
    out_dir: str,
    *,
    taxonomy: Any,
    read_options: Any = None,
    force: bool = False,
    folds: int = 5,
    seed: int = 0,
    exclude: Any = None,
    relabel: Any = None,
    name: str | None = None,
    progress: Progress | None = None,
    command: str | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Load ``sources``, train, and save a model directory with its card; return card and read errors."""
    from pathlib import Path

    from classifier.datasets import apply_exclusions, frame_scales, label_summary, load_training_frame
    from classifier.features import lexicon_sources
    from classifier.modeling.persist import ModelError, new_card, save_model

    say = progress or (lambda _m: None)
    if Path(out_dir).exists() and not force:
        raise ModelError(f"{out_dir}: already exists; pass --force to overwrite it")
    say("loading training data")
    frame, errors = load_training_frame(sources, taxonomy, read_options)
    frame, excl = apply_exclusions(frame, exclude, relabel, taxonomy.warning_ids)
    fragments = frame["source"].isin(FRAGMENT_SOURCES)
    transfer = [
        (str(src), part.reset_index(drop=True))
        for src, part in frame[frame["source"].isin(TRANSFER_SOURCES) & frame["rating"].notna()].groupby("source")
    ]
    transfer += _dev_stories(sources, taxonomy, read_options)
    if fragments.any():
        say(
            f"leaving out {int(fragments.sum()):,} summaries and annotated passages: "
            "the story model learns from stories"
        )
        frame = frame[~fragments].reset_index(drop=True)
    words = frame["text"].astype(str).str.split().str.len()
    short = int((words < MIN_TRAIN_WORDS).sum())
    if short:
        say(f"skipping {short:,} texts under {MIN_TRAIN_WORDS} words: the model learns from stories")
        frame = frame[words >= MIN_TRAIN_WORDS].reset_index(drop=True)
    rated = frame["rating"].dropna().astype(int)
    why = f" ({len(errors)} inputs unreadable; first: {errors[0]})" if errors else ""
    if len(frame) < 20:
        raise ModelError(
            f"only {len(frame)} labelled stories of {MIN_TRAIN_WORDS}+ words in {', '.join(sources)}; "
            f"need at least 20 to train{why}"
        )
    if len(rated) == 0:
        raise ModelError(
            f"no declared ratings in {', '.join(sources)}: for tables name the column with --rating-col "
            f"(looked for a 'rating' column), for story files the header must declare a rating{why}"
        )
    missing = [RATING_LEVELS[k] for k in range(len(RATING_LEVELS)) if (rated == k).sum() < 2]
    if missing:
        raise ModelError(
            f"ratings: no (or too few) stories rated {', '.join(missing)}; every level needs examples "
            "(check --rating-col and its values)"
        )
    warning_ids = tuple(taxonomy.warning_ids)
    texts = frame["text"].astype(str).tolist()
    Y = frame[["rating", *warning_ids]].to_numpy(dtype=float)
    upper = frame["rating_upper"].to_numpy(dtype=float) if "rating_upper" in frame else np.full(len(frame), np.nan)
    folds = max(2, min(folds, int(frame["group"].nunique())))
    spec, arrays, report = train_story_model(
        texts,
        Y,
        upper,
        frame["group"].astype(str).to_numpy(),
        frame["weight"].to_numpy(dtype=float),
        frame["source"].astype(str).to_numpy(),
        warning_ids,
        folds=folds,
        seed=seed,
        progress=progress,
        scales=frame_scales(frame),
    )
    if transfer:
        say("transfer: testing the final model on other fandoms' labelled texts")
        report["transfer"] = transfer_report(spec, arrays, transfer, warning_ids)
    card = new_card(
        name=name or Path(out_dir).name,
        description=DESCRIPTION,
        sources=[str(s) for s in sources],
        data=label_summary(frame, warning_ids),
        exclusions=excl if (excl["excluded"] or excl["relabelled"]) else None,
        metrics=report,
        thresholds=spec["thresholds"],
        audit_defaults=spec["audit"],
        params={
            "rating_model": "SharedSlopeOrdinalClassifier (all-threshold logistic loss)",
            "C_rating": C_RATING,
            "C_warning": C_WARNING,
            "folds": folds,
            "seed": seed,
            "min_train_words": MIN_TRAIN_WORDS,
        },
        taxonomy=taxonomy.to_dict(),
        lexicons=lexicon_sources(),
        limits=LIMITS,
        read_errors=len(errors),
    )
    if command:
        card["command"] = command
    say(f"saving {out_dir}")
    save_model(spec, arrays, out_dir, card, force=force)
    return card, errors


def _dev_stories(sources: list[str], taxonomy: Any, read_options: Any) -> list[tuple[str, Any]]:
    """The development stories (``stories/`` beside the shared files), labelled by their headers."""
    from pathlib import Path

    from classifier.datasets import SHARED_FILES, load_training_frame

    out = []
    for src in sources:
        root = Path(src)
        if root.is_dir() and (root / "stories").is_dir() and any((root / f).exists() for f in SHARED_FILES.values()):
            frame, _ = load_training_frame([str(root / "stories")], taxonomy, read_options)
            frame = frame[frame["rating"].notna()].reset_index(drop=True)
            if len(frame):
                out.append(("dev_stories", frame))
    return out


def transfer_report(
    spec: dict[str, Any], arrays: dict[str, np.ndarray], sets: list[tuple[str, Any]], warning_ids: tuple[str, ...]
) -> dict[str, Any]:
    """The final model's protocol figures on each labelled set it never saw (other fandoms).

    The audit is replayed at the model's own defaults, so ``under_rated_false_alarms`` is the
    share of these honestly labelled texts the default audit would flag.
    """
    from classifier.datasets import frame_scales
    from classifier.modeling.scorer import StoryScorer
    from classifier.story import count_words

    scorer = StoryScorer(spec, arrays)
    out: dict[str, Any] = {}
    for name, frame in sets:
        texts = frame["text"].astype(str).tolist()
        levels, warns = [], []
        for i in range(0, len(texts), 256):
            s = scorer.predict_proba(texts[i : i + 256])
            levels.append(s.levels)
            warns.append(s.warnings)
        Y = frame[["rating", *warning_ids]].to_numpy(dtype=float)
        upper = frame["rating_upper"].to_numpy(dtype=float)
        n_words = np.array([count_words(t) for t in texts])
        rep = protocol_report(
            Y[:, 0],
            upper,
            Y[:, 1:],
            np.vstack(levels),
            np.vstack(warns),
            spec["thresholds"],
            warning_ids,
            audit=spec["audit"],
            scales=frame_scales(frame),
            words=n_words,
        )
        rep["texts"] = len(texts)
        rep["median_words"] = int(np.median(n_words))
        out[name] = rep
    return out
