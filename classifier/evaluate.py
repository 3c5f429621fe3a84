"""Evaluation of a model on labelled data, beside two baselines, with plots and a summary.

Baselines, run on the same texts:

(a) ``tfidf-summaries``: one TF-IDF + logistic regression over the whole text, trained on
    the AO3 and FFN summaries alone (minus any work being evaluated);
(b) ``lexicon-rule``: the guideline rules on lexicon counts, with no learned part (warnings only:
    ratings are learned, there are no rating rules).

Figures are the same protocol as the model card's (:func:`classifier.metrics.protocol_report`),
including the audit replayed at the model's default confidences.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from classifier.datasets import frame_scales, frame_to_arrays, load_training_frame
from classifier.extras import load_extra
from classifier.labels import RATING_LEVELS, Taxonomy
from classifier.metrics import protocol_report
from classifier.modeling.persist import format_metric, render_length_bands
from classifier.modeling.scorer import median_level
from classifier.output import atomic_writer
from classifier.story import count_words


def predict_all(
    model: Any, texts: list[str], batch: int = 64, progress: Callable[[str], None] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level and warning probabilities through the model's one chain, plus the guideline rules alone."""
    levels, warns, rules = [], [], []
    for i in range(0, len(texts), batch):
        s = model.predict_proba(texts[i : i + batch])
        levels.append(s.levels)
        warns.append(s.warnings)
        rules.append(s.rules)
        if progress is not None:
            progress(f"scoring: {min(i + batch, len(texts)):,}/{len(texts):,} texts")
    n_w = len(model.warning_ids)
    if not levels:
        return np.zeros((0, 4)), np.zeros((0, n_w)), np.zeros((0, n_w))
    return np.vstack(levels), np.vstack(warns), np.vstack(rules)


def tfidf_baseline(
    shared: Path, taxonomy: Taxonomy, texts: list[str], exclude_groups: set[str]
) -> tuple[np.ndarray, np.ndarray] | None:
    """Baseline (a): TF-IDF + logistic regression trained on the summaries alone."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    files = [shared / "ao3_summaries.jsonl.gz", shared / "ffn_summaries.jsonl.gz"]
    files = [f for f in files if f.exists()]
    if not files:
        return None
    frame, _ = load_training_frame([str(f) for f in files], taxonomy)
    frame = frame[~frame["group"].isin(exclude_groups)]
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=200_000)
    X = vec.fit_transform(frame["text"])
    Xe = vec.transform(texts)
    known = frame["rating"].notna().to_numpy()
    y = frame.loc[known, "rating"].astype(int).to_numpy()
    clf = LogisticRegression(max_iter=2000, C=4.0).fit(X[known], y)
    probs = np.zeros((len(texts), 4))
    for k, cls in enumerate(clf.classes_):
        probs[:, int(cls)] = clf.predict_proba(Xe)[:, k]
    warns = np.zeros((len(texts), len(taxonomy.warning_ids)))
    for j, w in enumerate(taxonomy.warning_ids):
        col = frame[w].to_numpy()
        ok = ~np.isnan(col)
        if (col[ok] == 1).sum() < 5:
            continue
        m = LogisticRegression(max_iter=2000, class_weight="balanced").fit(X[ok], col[ok].astype(int))
        warns[:, j] = m.predict_proba(Xe)[:, 1]
    return probs, warns


def evaluate_model(
    model: Any,
    card: dict[str, Any],
    data: list[str],
    report_dir: str | Path,
    *,
    taxonomy: Taxonomy,
    read_options: Any = None,
    shared: Path | None = None,
    rounds: int = 500,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Evaluate ``model`` on labelled ``data``; write metrics.json, summary.md and PNG plots into ``report_dir``.

    ``progress`` receives one message per stage (and per scored batch, with its count).
    """
    say = progress or (lambda _m: None)
    say("reading the labelled data")
    frame, errors = load_training_frame(data, taxonomy, read_options)
    # A text with no known rating and no known warning (a README beside the stories) measures nothing.
    labelled = frame[["rating", *taxonomy.warning_ids]].notna().any(axis=1).to_numpy() if len(frame) else []
    unlabelled = int(len(frame) - np.count_nonzero(labelled))
    frame = frame[labelled].reset_index(drop=True) if len(frame) else frame
    if len(frame) == 0:
        raise ValueError(f"no labelled texts found in {', '.join(data)}")
    texts, Y, groups, _w = frame_to_arrays(frame, taxonomy.warning_ids)
    upper = frame["rating_upper"].to_numpy(dtype=float) if "rating_upper" in frame else np.full(len(texts), np.nan)
    ids = list(model.warning_ids)
    col_of = {w: 1 + taxonomy.warning_ids.index(w) for w in ids if w in taxonomy.warning_ids}
    Yw = np.column_stack([Y[:, col_of[w]] if w in col_of else np.full(len(texts), np.nan) for w in ids])
    levels, warns, rule_warns = predict_all(model, texts, progress=say)
    audit = dict(model.audit_defaults)
    # Each text's rating scale, so the audit replays the model's per-scale confidences.
    scales = frame_scales(frame)
    n_words = np.array([count_words(t) for t in texts])

    def block(lv: np.ndarray, P: np.ndarray, thresholds: dict[str, float]) -> dict[str, Any]:
        return protocol_report(
            Y[:, 0], upper, Yw, lv, P, thresholds, tuple(ids), rounds=rounds, audit=audit, scales=scales, words=n_words
        )

    no_rating = np.full_like(levels, np.nan)
    say(f"figures with {rounds} bootstrap rounds")
    systems: dict[str, Any] = {
        "ficrate": block(levels, warns, model.thresholds),
        "lexicon-rule": block(no_rating, rule_warns, {}),
    }
    if shared is not None:
        say("baseline: training TF-IDF on the summaries")
    base = tfidf_baseline(shared, taxonomy, texts, set(groups.tolist())) if shared is not None else None
    if base is not None:
        say("figures of the TF-IDF baseline")
        systems["tfidf-summaries"] = block(base[0], base[1], {})
    result = {
        "model": card.get("name"),
        "model_created": card.get("created"),
        "data": list(data),
        "texts": len(texts),
        "unlabelled_texts": unlabelled,
        "read_errors": errors,
        "systems": systems,
    }
    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    result["plots"] = _plots(out, Y[:, 0], levels, Yw, warns, ids)
    with atomic_writer(out / "metrics.json") as fh:
        fh.write(json.dumps(result, indent=2, default=float) + "\n")
    with atomic_writer(out / "summary.md") as fh:
        fh.write(render_summary(result))
    return result


def _at_mix(system: dict[str, Any], key: str) -> str:
    return format_metric(system.get("rating", {}).get("at_ao3_mix", {}).get(key))


def render_summary(result: dict[str, Any]) -> str:
    """Markdown comparison of ficrate and the baselines."""
    systems = result["systems"]
    names = list(systems)
    lines = [
        f"# Evaluation of {result.get('model')}",
        "",
        f"Data: {', '.join(result['data'])} ({result['texts']} labelled texts; "
        f"{result.get('unlabelled_texts', 0)} without any label, left out; {len(result['read_errors'])} unreadable).",
        "Figures are value [95% bootstrap CI]. Unknown labels are left out; an FFN M counts as exact for "
        "mature or explicit. Audit rows replay `ficrate audit` at the model's default confidences on these "
        "works as labelled (false alarms) and with planted errors (the rating lowered one or two levels; "
        "every archive warning removed), counting AO3 and FFN works at their archive's own rating mix when "
        "each level has at least 10 works (as the defaults were chosen); 'at AO3's rating mix' rows weight "
        "the accuracies the same way.",
        "",
        "| metric | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---" for _ in names) + " |",
    ]
    rating: list[tuple[str, str]] = [
        ("rating exact accuracy", "exact_accuracy"),
        ("rating within-one accuracy", "within_one_accuracy"),
        ("adult vs not accuracy", "adult_accuracy"),
        ("rating macro-F1", "macro_f1"),
        ("rating ECE", "ece"),
        ("adult vs not AUC (ranking)", "adult_auc"),
        ("rating rank correlation", "rank_correlation"),
    ]
    audit: list[tuple[str, str]] = [
        ("audit: honest works flagged under-rated", "under_rated_false_alarms"),
        ("audit: planted 1-level under-ratings caught", "under_rated_recall_1_level"),
        ("audit: planted 2-level under-ratings caught", "under_rated_recall_2_level"),
        ("audit: honest works flagged missing-warning", "missing_warning_false_alarms"),
        ("audit: removed warnings caught", "missing_warning_recall"),
    ]
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("rating n", lambda s: str(s.get("rating", {}).get("n", 0))),
        *[(label, lambda s, k=k: format_metric(s.get("rating", {}).get(k))) for label, k in rating],
        *[(f"{label} at AO3's rating mix", lambda s, k=k: _at_mix(s, k)) for label, k in rating[:3]],
        ("warnings micro-F1", lambda s: format_metric(s["warnings"]["micro_f1"])),
        ("warnings macro-F1", lambda s: format_metric(s["warnings"]["macro_f1"])),
        ("AO3 archive warnings micro-F1", lambda s: format_metric(s["archive_warnings"]["micro_f1"])),
        *[(label, lambda s, k=k: format_metric(s["audit"].get(k))) for label, k in audit],
    ]
    for label, fn in rows:
        lines.append(f"| {label} | " + " | ".join(fn(systems[n]) for n in names) + " |")
    ours = systems["ficrate"]
    lines += [
        "",
        "## ficrate per warning",
        "",
        "| warning | known | support | precision | recall | F1 | ECE | AUC [95% CI] |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for w, v in ours["warnings"]["per_label"].items():
        ece = "–" if v["ece"] is None else f"{v['ece']:.3f}"
        auc = format_metric(v.get("auc"))
        lines.append(
            f"| {w} | {v['known']} | {v['support']} | {v['precision']:.3f} | {v['recall']:.3f} "
            f"| {v['f1']:.3f} | {ece} | {auc} |"
        )
    if "rating" in ours:
        conf = ours["rating"]["confusion"]["matrix"]
        lines += [
            "",
            "## ficrate rating confusion (rows: declared, columns: predicted)",
            "",
            "| | " + " | ".join(RATING_LEVELS) + " |",
            "| --- |" + " ---: |" * 4,
        ]
        lines += [f"| {RATING_LEVELS[i]} | " + " | ".join(str(x) for x in row) + " |" for i, row in enumerate(conf)]
        bands = render_length_bands(ours["rating"].get("by_length"))
        if bands:
            lines += ["", "## ficrate rating by story length", *bands]
    plots = result.get("plots") or {"written": list(PLOT_FILES)}
    if plots.get("skipped"):
        lines += ["", f"Plots skipped: {plots['skipped']}.", ""]
    else:
        lines += ["", "Plots: " + ", ".join(plots["written"]), ""]
    return "\n".join(lines)


#: The PNGs ``evaluate`` draws (with the 'plots' extra).
PLOT_FILES = ("confusion_matrix.png", "reliability.png", "precision_recall.png")


def _plots(
    out: Path, y_rating: np.ndarray, levels: np.ndarray, Y: np.ndarray, P: np.ndarray, ids: list[str]
) -> dict[str, Any]:
    """Draw the PNGs; without matplotlib, ``{"skipped": reason}`` (the figures are in metrics.json anyway)."""
    matplotlib = load_extra("plots")
    if matplotlib is None:
        # PNGs from an earlier run would pass for this run's figures.
        for name in PLOT_FILES:
            (out / name).unlink(missing_ok=True)
        return {"skipped": "matplotlib is not installed; the 'plots' extra draws them: pip install 'ficrate[plots]'"}
    _draw(matplotlib, out, y_rating, levels, Y, P, ids)
    return {"written": list(PLOT_FILES)}


def _draw(
    matplotlib: Any, out: Path, y_rating: np.ndarray, levels: np.ndarray, Y: np.ndarray, P: np.ndarray, ids: list[str]
) -> None:
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve

    ok = ~np.isnan(y_rating)
    conf = np.zeros((4, 4), dtype=int)
    if ok.any():
        for a, b in zip(y_rating[ok].astype(int), median_level(levels[ok]), strict=True):
            conf[a, b] += 1
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(conf, cmap="Blues")
    for i in range(4):
        for j in range(4):
            ax.text(j, i, str(conf[i, j]), ha="center", va="center")
    ax.set_xticks(range(4), RATING_LEVELS)
    ax.set_yticks(range(4), RATING_LEVELS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("declared")
    ax.set_title("Rating confusion matrix")
    fig.tight_layout()
    fig.savefig(out / "confusion_matrix.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.plot([0, 1], [0, 1], "k:", label="perfect")
    series = []
    if ok.any():
        pred = median_level(levels[ok])
        series.append(
            ("rating (top level)", levels[ok][np.arange(ok.sum()), pred], (pred == y_rating[ok]).astype(float))
        )
    known = ~np.isnan(Y)
    if known.any():
        series.append(("warnings (all)", P[known], Y[known]))
    for name, p, y in series:
        edges = np.linspace(0, 1, 11)
        idx = np.clip(np.digitize(p, edges[1:-1]), 0, 9)
        xs = [p[idx == b].mean() for b in range(10) if (idx == b).any()]
        ys = [y[idx == b].mean() for b in range(10) if (idx == b).any()]
        ax.plot(xs, ys, "o-", label=name)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed frequency")
    ax.set_title("Reliability diagram")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "reliability.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for j, w in enumerate(ids):
        k = known[:, j]
        if k.sum() and 0 < Y[k, j].sum() < k.sum():
            prec, rec, _ = precision_recall_curve(Y[k, j], P[k, j])
            ax.plot(rec, prec, label=w)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title("Precision-recall per warning")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "precision_recall.png", dpi=100)
    plt.close(fig)
