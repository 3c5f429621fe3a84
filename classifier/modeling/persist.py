"""Saving and loading models: a directory holding the pickle and its model card.

Loading a pickle runs code, so ficrate only loads a directory whose card says it is a
ficrate model, whose SHA-256 matches the card, and whose library versions match the
running ones. Anything else is refused with a message that says what to do.
"""

from __future__ import annotations

import contextlib
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

MODEL_FILE = "model.joblib"
CARD_JSON = "model_card.json"
CARD_MD = "MODEL_CARD.md"
FORMAT = "ficrate-model/1"
DEFAULT_MODEL_NAME = "ficrate-default"

#: Libraries whose pickles must match (major.minor) for a model to load.
PINNED = ("scikit-learn", "numpy", "scipy")


class ModelError(Exception):
    """A model that cannot be saved or loaded; ``str()`` is the one-line reason."""


def library_versions() -> dict[str, str]:
    """Versions of everything a saved model depends on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("ficrate", "scikit-learn", "numpy", "scipy", "joblib", "pandas", "better-profanity"):
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


def default_model_dir() -> Path:
    """``$FICRATE_MODEL``, else the repository's ``models/ficrate-default`` (beside the package
    for a source checkout or editable install, or under the current directory)."""
    env = os.environ.get("FICRATE_MODEL")
    if env:
        return Path(env)
    beside = Path(__file__).resolve().parents[2] / "models" / DEFAULT_MODEL_NAME
    here = Path.cwd() / "models" / DEFAULT_MODEL_NAME
    return beside if beside.exists() or not here.exists() else here


def save_model(model: Any, out_dir: str | Path, card: dict[str, Any], *, force: bool = False) -> Path:
    """Write ``model`` and its card into ``out_dir`` atomically (a complete directory or nothing)."""
    import joblib

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
        joblib.dump(model, tmp / MODEL_FILE, compress=3)
        card = dict(card)
        card["format"] = FORMAT
        card["artifact"] = {
            "file": MODEL_FILE,
            "sha256": sha256_file(tmp / MODEL_FILE),
            "bytes": (tmp / MODEL_FILE).stat().st_size,
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
        raise ModelError(f"{d}: a model is a directory with {MODEL_FILE} and {CARD_JSON}, not a single file")
    if not d.is_dir():
        raise ModelError(f"{d}: no such model directory")
    card_path = d / CARD_JSON
    if not card_path.exists():
        raise ModelError(f"{d}: not a ficrate model (no {CARD_JSON})")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"{card_path}: unreadable model card ({exc})") from None
    if not isinstance(card, dict) or card.get("format") != FORMAT:
        raise ModelError(
            f"{d}: not a ficrate model (card format {card.get('format') if isinstance(card, dict) else None!r})"
        )
    return card


def _major_minor(v: str) -> tuple[str, ...]:
    return tuple(v.split(".")[:2])


def load_model(model_dir: str | Path | None = None) -> tuple[Any, dict[str, Any]]:
    """Load a trusted model directory; return ``(model, card)``.

    Raises
    ------
    ModelError
        Not a model directory, hash mismatch, or library versions that differ.
    """
    import joblib

    d = Path(model_dir) if model_dir is not None else default_model_dir()
    if model_dir is None and not d.exists():
        raise ModelError(f"no default model at {d}; train one (see README) or pass --model")
    card = read_card(d)
    artifact = card.get("artifact") or {}
    path = d / str(artifact.get("file", MODEL_FILE))
    if not path.exists():
        raise ModelError(f"{d}: model file {path.name} is missing")
    digest = sha256_file(path)
    if digest != artifact.get("sha256"):
        raise ModelError(f"{path}: content hash does not match its model card; refusing to load a modified model")
    have = library_versions()
    built = card.get("versions", {})
    for lib in PINNED:
        want = str(built.get(lib, ""))
        if want and _major_minor(want) != _major_minor(have.get(lib, "")):
            raise ModelError(
                f"{d}: built with {lib} {want}, but {have.get(lib)} is installed; "
                f"install {lib}=={want} or retrain with: {card.get('command', 'ficrate train ...')}"
            )
    with contextlib.redirect_stderr(sys.stderr):
        model = joblib.load(path)
    from classifier.modeling.model import StoryModel

    if not isinstance(model, StoryModel):
        raise ModelError(f"{path}: does not hold a ficrate StoryModel")
    return model, card


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


def _fmt_metric(m: Any) -> str:
    if isinstance(m, dict) and "value" in m:
        ci = m.get("ci95") or []
        return f"{m['value']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]" if len(ci) == 2 else f"{m['value']:.3f}"
    return str(m)


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
    full = metrics.get("full", {})
    for kind, title in (("bag", "story-like bags of held-out texts"), ("story", "held-out multi-passage stories")):
        entry = full.get(kind, {})
        if not entry or entry.get("n", 0) < 10 or ("rating" not in entry and "warnings" not in entry):
            continue
        lines += ["", f"## Cross-validated metrics: {title} (n={entry.get('n')})", ""]
        if "rating" in entry:
            r = entry["rating"]
            lines += ["| rating metric | value [95% CI] |", "| --- | --- |"]
            for k in ("exact_accuracy", "within_one_accuracy", "adult_accuracy", "macro_f1", "ece"):
                if k in r:
                    lines.append(f"| {k} | {_fmt_metric(r[k])} |")
        if "warnings" in entry:
            w = entry["warnings"]
            lines += ["", f"Warnings micro-F1 {_fmt_metric(w['micro_f1'])}, macro-F1 {_fmt_metric(w['macro_f1'])}", ""]
            lines += [
                "| warning | support | precision | recall | F1 | threshold |",
                "| --- | ---: | ---: | ---: | ---: | ---: |",
            ]
            for k, v in w["per_label"].items():
                lines.append(
                    f"| {k} | {v['support']} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} "
                    f"| {v['threshold']:.2f} |"
                )
    auc = metrics.get("passages", {}).get("auc", {})
    if auc:
        lines += ["", "## Passage heads (out-of-fold AUC on single texts)", "", "| head | AUC |", "| --- | ---: |"]
        lines += [f"| {k} | {v:.3f} |" for k, v in auc.items()]
    lines += [
        "",
        "## Thresholds",
        "",
        "Warnings: " + ", ".join(f"{k} {v:.2f}" for k, v in card.get("thresholds", {}).items()),
    ]
    lines += ["", "## Lexicons and licences", ""] + [f"- {k}: {v}" for k, v in card.get("lexicons", {}).items()]
    lines += ["", "## Versions", ""] + [f"- {k} {v}" for k, v in card.get("versions", {}).items()]
    lines += ["", "## Limits", "", card.get("limits", ""), ""]
    return "\n".join(lines)
