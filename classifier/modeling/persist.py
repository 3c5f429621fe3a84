"""Saving and loading model directories: weights as data (``weights.npz`` + ``model.json``) and a card.

A model directory holds no code: arrays are read with ``allow_pickle=False`` and validated
against the spec (see :mod:`classifier.modeling.weights`). The card records a SHA-256 of each
file, checked on load: that catches a damaged or edited model, not a forged one (whoever
hands you a directory can rewrite the card too), and a forged model can at worst give wrong
numbers. Models are found only where ``--model``/``$FICRATE_MODEL`` say, or inside the
installed package; never in the current directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classifier.config import default_model_dir
from classifier.modeling.weights import SPEC_FILE, WEIGHTS_FILE, WeightsError, load_weights, read_json, save_weights

CARD_JSON = "model_card.json"
CARD_MD = "MODEL_CARD.md"
FORMAT = "ficrate-model/2"
ARTIFACTS = (WEIGHTS_FILE, SPEC_FILE)


class ModelError(Exception):
    """A model that cannot be saved or loaded; ``str()`` is the one-line reason."""


def library_versions() -> dict[str, str]:
    """Versions of everything a saved model depends on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("ficrate", "scikit-learn", "numpy", "scipy", "pandas", "better-profanity"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit(cwd: Path | None = None) -> str | None:
    """Current commit (with ``-dirty`` when the tree has changes), or None outside git."""
    try:
        root = cwd or Path(__file__).resolve().parents[2]
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_model(
    spec: dict[str, Any], arrays: dict[str, Any], out_dir: str | Path, card: dict[str, Any], *, force: bool = False
) -> Path:
    """Write a model directory atomically (a complete directory or nothing)."""
    out = Path(out_dir)
    if out.exists() and not force:
        raise ModelError(f"{out}: already exists; pass --force to overwrite it")
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(out)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        save_weights(tmp, spec, arrays)
        card = dict(card)
        card["format"] = FORMAT
        card["artifacts"] = {
            name: {"sha256": sha256_file(tmp / name), "bytes": (tmp / name).stat().st_size} for name in ARTIFACTS
        }
        (tmp / CARD_JSON).write_text(
            json.dumps(card, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
        )
        (tmp / CARD_MD).write_text(render_card_markdown(card), encoding="utf-8")
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _remove_stale_temps(out: Path) -> None:
    # A killed save leaves .NAME.tmp-PID behind; remove those whose process is gone.
    for stale in out.parent.glob(f".{out.name}.tmp-*"):
        try:
            pid = int(stale.name.rsplit("-", 1)[1])
            os.kill(pid, 0)
            continue  # still running: not ours to remove
        except (ValueError, ProcessLookupError):
            shutil.rmtree(stale, ignore_errors=True)
        except PermissionError:
            continue


def read_card(model_dir: str | Path) -> dict[str, Any]:
    """The model card of a model directory (validated to be a ficrate card)."""
    d = Path(model_dir)
    if d.is_file():
        raise ModelError(
            f"{d}: a model is a directory with {WEIGHTS_FILE}, {SPEC_FILE} and {CARD_JSON}, not a single file"
        )
    if not d.is_dir():
        raise ModelError(f"{d}: no such model directory")
    card_path = d / CARD_JSON
    if not card_path.is_file():
        raise ModelError(f"{d}: not a ficrate model (no {CARD_JSON})")
    card = read_json(card_path, ModelError, "model card")
    if not isinstance(card, dict) or card.get("format") != FORMAT:
        found = card.get("format") if isinstance(card, dict) else None
        hint = " (a pickled model from an older ficrate: retrain it)" if found == "ficrate-model/1" else ""
        raise ModelError(f"{d}: not a {FORMAT} model (card format {found!r}){hint}")
    return card


def load_model(model_dir: str | Path | None = None) -> tuple[Any, dict[str, Any]]:
    """Load a model directory; return ``(scorer, card)``.

    Raises
    ------
    ModelError
        Not a model directory, a file whose hash differs from the card, or arrays/spec that
        are not exactly what the scorer reads.
    """
    from classifier.modeling.scorer import StoryScorer

    d = Path(model_dir) if model_dir is not None else default_model_dir()
    if model_dir is None and not d.exists():
        raise ModelError(f"no default model at {d}; train one (see README) or pass --model")
    card = read_card(d)
    recorded = card.get("artifacts")
    if not isinstance(recorded, dict) or set(recorded) != set(ARTIFACTS):
        raise ModelError(f"{d}: model card must list exactly {', '.join(ARTIFACTS)}")
    for name in ARTIFACTS:
        path = d / name
        if not path.is_file():
            raise ModelError(f"{d}: model file {name} is missing")
        entry = recorded[name]
        if not isinstance(entry, dict) or sha256_file(path) != entry.get("sha256"):
            raise ModelError(f"{path}: content hash does not match its model card; refusing a damaged or edited model")
    try:
        spec, arrays = load_weights(d)
        scorer = StoryScorer(spec, arrays)
    except WeightsError as exc:
        raise ModelError(f"{d}: {exc}") from None
    return scorer, card


def new_card(**fields: Any) -> dict[str, Any]:
    """Common card fields: date, versions, commit, command."""
    import shlex

    card = {
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "versions": library_versions(),
        "git_commit": git_commit(),
        "command": " ".join(shlex.quote(a) for a in (["ficrate", *sys.argv[1:]] if sys.argv else [])),
    }
    card.update(fields)
    return card


def format_metric(m: Any) -> str:
    """``value [low, high]`` of a protocol figure; its value alone when the interval is missing or
    undefined, and "–" when the figure itself is undefined (None or NaN: a set of one class has no
    AUC, a set without warning labels no macro-F1)."""
    if not isinstance(m, dict) or m.get("value") is None or m["value"] != m["value"]:  # NaN: undefined
        return "–"
    ci = m.get("ci95") or []
    if len(ci) == 2 and not any(c is None or c != c for c in ci):
        return f"{m['value']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"
    return f"{m['value']:.3f}"


PROTOCOL_NOTE = (
    "Every figure is on works the model did not see in training, with a 95% bootstrap interval. The audit "
    "figures replay the audit on honestly labelled works (false alarms) and on planted errors made from them "
    "(the declared rating lowered by one or two levels; every archive warning removed), at the default "
    "confidences, which were chosen on these same out-of-fold works to keep false alarms within budget "
    "(under-rated <= 4% of honest works counted at each archive's own rating mix, AO3's and FFN's among K-T; "
    "missing-warning <= 8% counted as sampled). The corpus was sampled per rating, so the audit figures count "
    "each work at its archive's rating mix, and the rating accuracies are also given at AO3's mix."
)


def render_length_bands(bands: list[dict[str, Any]] | None) -> list[str]:
    """Markdown lines of the rating figures by story length (none when the report has no word counts)."""
    if not bands or not any(b["n"] for b in bands):
        return []
    lines = [
        "",
        "By story length (mean error: predicted minus declared level; > 0 rates that length up):",
        "",
        "| words | works | mean error [95% CI] | exact [95% CI] |",
        "| --- | ---: | --- | --- |",
    ]
    for b in bands:
        if b["n"]:
            lines.append(
                f"| {b['words']} | {b['n']} | {format_metric(b['mean_error'])} | {format_metric(b['exact_accuracy'])} |"
            )
    return lines


def render_protocol(title: str, rep: dict[str, Any]) -> list[str]:
    """Markdown lines for one protocol report (rating, confusion, warnings, audit)."""
    lines = ["", f"### {title}", ""]
    r = rep.get("rating", {})
    if r.get("n"):
        lines += [f"Rating (n={r['n']}):", "", "| metric | value [95% CI] |", "| --- | --- |"]
        for k in (
            "exact_accuracy",
            "within_one_accuracy",
            "adult_accuracy",
            "macro_f1",
            "ece",
            "adult_auc",
            "teen_auc",
            "rank_correlation",
        ):
            if k in r:
                lines.append(f"| {k} | {format_metric(r[k])} |")
        mix = r.get("at_ao3_mix")
        if mix:
            for k in ("exact_accuracy", "within_one_accuracy", "adult_accuracy"):
                lines.append(f"| {k} at AO3's rating mix ({mix['n']} AO3 works) | {format_metric(mix[k])} |")
        conf = r.get("confusion", {})
        if conf:
            names = conf["rows_true_cols_pred"]
            lines += ["", "| true \\ predicted | " + " | ".join(names) + " |", "| --- |" + " ---: |" * len(names)]
            lines += [
                f"| {names[i]} | " + " | ".join(str(x) for x in row) + " |" for i, row in enumerate(conf["matrix"])
            ]
        lines += render_length_bands(r.get("by_length"))
    for key, name in (("archive_warnings", "AO3 archive warnings"), ("warnings", "all warnings")):
        w = rep.get(key)
        if not w or not any(v.get("support") for v in w.get("per_label", {}).values()):
            # No labels of this kind in the set: no figure, rather than a 0.000 / nan one.
            continue
        lines += ["", f"{name}: micro-F1 {format_metric(w['micro_f1'])}, macro-F1 {format_metric(w['macro_f1'])}", ""]
        if key == "archive_warnings":
            lines += [
                "| warning | support | known | precision | recall | F1 | AUC [95% CI] | threshold |",
                "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
            ]
            for k, v in w["per_label"].items():
                lines.append(
                    f"| {k} | {v['support']} | {v['known']} | {v['precision']:.3f} | {v['recall']:.3f} "
                    f"| {v['f1']:.3f} | {format_metric(v.get('auc'))} | {v['threshold']:.2f} |"
                )
    a = rep.get("audit")
    if a:
        lines += [
            "",
            "Audit at under-rated confidence "
            + (
                ", ".join(f"declared {k} {v:.2f}" for k, v in (a.get("confidence_by_level") or {}).items())
                or f"{a['min_confidence']:.2f}"
            )
            + "".join(
                f" ({scale.upper()} scale: " + ", ".join(f"{k} {v:.2f}" for k, v in conf.items()) + ")"
                for scale, conf in (a.get("confidence_by_scale") or {}).items()
            )
            + "; missing-warning "
            + (
                ", ".join(f"{k} {v:.2f}" for k, v in (a.get("warning_confidence_by_label") or {}).items())
                or f"{a['warning_confidence']:.2f}"
            )
            + (
                "; works counted at their archive's rating mix:"
                if a.get("at_rating_mix")
                else "; works counted as sampled (no level mix to weigh them to):"
            ),
            "",
        ]
        lines += ["| audit figure | value [95% CI] |", "| --- | --- |"]
        for k in (
            "under_rated_false_alarms",
            "under_rated_recall_1_level",
            "under_rated_recall_2_level",
            "missing_warning_false_alarms",
            "missing_warning_recall",
            "missing_warning_recall_per_warning",
        ):
            v = a.get(k)
            if v and v.get("value") is not None:
                lines.append(f"| {k} (n={v['n']}) | {format_metric(v)} |")
    return lines


def _plain(value: Any) -> str:
    """A card value as text: nested mappings as ``{key value, ...}``, without Python's quotes."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} {_plain(v)}" for k, v in value.items()) + "}"
    return str(value)


def render_card_markdown(card: dict[str, Any]) -> str:
    """Human-readable model card."""
    lines = [f"# Model card: {card.get('name', 'ficrate model')}", ""]
    lines += [
        f"- created: {card.get('created')}",
        f"- ficrate: {card.get('versions', {}).get('ficrate')}",
        f"- git commit: {card.get('git_commit')}",
        f"- command: `{card.get('command')}`",
        "",
    ]
    lines += ["## What it does", "", card.get("description", ""), ""]
    data = card.get("data", {})
    lines += ["## Training data", ""]
    for src in card.get("sources", []):
        lines.append(f"- `{src}`")
    if data:
        lines += ["", f"Rows: {data.get('rows')}, groups (works): {data.get('groups')}", ""]
        lines += ["| source | rows |", "| --- | ---: |"] + [
            f"| {k} | {v} |" for k, v in data.get("sources", {}).items()
        ]
        lines += ["", "| rating | rows |", "| --- | ---: |"] + [
            f"| {k} | {v} |" for k, v in data.get("rating", {}).items()
        ]
        lines += ["", "| warning | positive | negative | unknown |", "| --- | ---: | ---: | ---: |"]
        lines += [
            f"| {k} | {v['positive']} | {v['negative']} | {v['unknown']} |" for k, v in data.get("warnings", {}).items()
        ]
    if card.get("exclusions"):
        lines += ["", f"Excluded/relabelled: {card['exclusions']}"]
    metrics = card.get("metrics", {})
    cv = metrics.get("cross_validation")
    if cv:
        lines += ["", "## Protocol", "", PROTOCOL_NOTE, ""]
        lines += render_protocol("Grouped cross-validation (out-of-fold, in-fandom: optimistic for other fandoms)", cv)
        for src_name, rep in cv.get("by_source", {}).items():
            lines += render_protocol(f"Cross-validation, the `{src_name}` part", rep)
    for src_name, rep in metrics.get("leave_one_source_out", {}).items():
        lines += render_protocol(f"Leave one source out: trained without `{src_name}`, tested on it", rep)
    for src_name, rep in metrics.get("transfer", {}).items():
        lines += render_protocol(
            f"Transfer: `{src_name}`, other fandoms, never trained on (median {rep.get('median_words')} words)", rep
        )
    if metrics.get("skipped_labels"):
        lines += ["", "## Labels not learned", ""] + [f"- {k}: {v}" for k, v in metrics["skipped_labels"].items()]
    lines += [
        "",
        "## Thresholds",
        "",
        "Warnings: " + ", ".join(f"{k} {v:.2f}" for k, v in card.get("thresholds", {}).items()),
        "",
        "Audit defaults: " + ", ".join(f"{k} {_plain(v)}" for k, v in card.get("audit_defaults", {}).items()),
    ]
    lines += ["", "## Lexicons and licences", ""] + [f"- {k}: {v}" for k, v in card.get("lexicons", {}).items()]
    lines += ["", "## Versions", ""] + [f"- {k} {v}" for k, v in card.get("versions", {}).items()]
    lines += ["", "## Limits", "", card.get("limits", ""), ""]
    return "\n".join(lines)
