"""The saved model as data: named numpy arrays (``weights.npz``) plus a JSON spec.

Loading never runs code: arrays are read with ``allow_pickle=False`` and every array is
checked against the spec (name, dtype, shape, finite values) before a scorer is built, so a
tampered model can at worst give wrong numbers. Anything unexpected is refused with one line.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS_FILE = "weights.npz"
SPEC_FILE = "model.json"
SPEC_FORMAT = "ficrate-weights/1"
#: Refuse absurd files before reading them (the default model is a few KB).
MAX_WEIGHTS_BYTES = 64 * 1024 * 1024
MAX_SPEC_BYTES = 8 * 1024 * 1024


class WeightsError(Exception):
    """A weights file or spec that does not describe a ficrate model; ``str()`` is the reason."""


def array_shapes(spec: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """The exact shape of every array a spec calls for."""
    n_feat = len(spec["features"])
    n_warn = len(spec["warning_ids"])
    n_cum = len(spec["levels"]) - 1
    return {
        "feature_mean": (n_feat,),
        "feature_scale": (n_feat,),
        "rating_coef": (n_cum, n_feat),
        "rating_intercept": (n_cum,),
        "warning_coef": (n_warn, n_feat),
        "warning_intercept": (n_warn,),
        "warning_learned": (n_warn,),
    }


def save_weights(directory: Path, spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write ``weights.npz`` and ``model.json`` into ``directory`` (validated first)."""
    validate(spec, arrays)
    buf = io.BytesIO()
    np.savez(buf, **{k: np.ascontiguousarray(v, dtype=np.float64) for k, v in arrays.items()})  # type: ignore[arg-type]
    (directory / WEIGHTS_FILE).write_bytes(buf.getvalue())
    (directory / SPEC_FILE).write_text(json.dumps(spec, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def load_weights(directory: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read and validate ``model.json`` and ``weights.npz`` of a model directory."""
    spec_path, weights_path = directory / SPEC_FILE, directory / WEIGHTS_FILE
    for p, cap in ((spec_path, MAX_SPEC_BYTES), (weights_path, MAX_WEIGHTS_BYTES)):
        if not p.is_file():
            raise WeightsError(f"{directory}: {p.name} is missing")
        if p.stat().st_size > cap:
            raise WeightsError(f"{p}: {p.stat().st_size:,} bytes is more than a ficrate model holds")
    spec = read_json(spec_path, WeightsError, "spec")
    if not isinstance(spec, dict) or spec.get("format") != SPEC_FORMAT:
        raise WeightsError(f"{spec_path}: not a {SPEC_FORMAT} spec")
    try:
        with np.load(weights_path, allow_pickle=False) as npz:
            arrays = {k: np.asarray(npz[k]) for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise WeightsError(f"{weights_path}: not a plain array file ({str(exc).splitlines()[0][:80]})") from None
    validate(spec, arrays)
    return spec, arrays


def read_json(path: Path, error: type[Exception], what: str) -> Any:
    """A JSON file, or ``error`` with one line naming the file (model files are never trusted)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{path}: unreadable {what} ({exc.__class__.__name__})") from None


def validate(spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Refuse a spec/array set that is not exactly what the scorer reads."""
    try:
        for key, kind in (
            ("levels", list),
            ("warning_ids", list),
            ("features", list),
            ("lexicon", dict),
            ("guidelines", dict),
            ("thresholds", dict),
            ("passage_words", int),
            ("max_passage_words", int),
        ):
            if not isinstance(spec.get(key), kind):
                raise WeightsError(f"spec field {key!r} missing or not a {kind.__name__}")
        if not all(isinstance(x, str) for x in [*spec["levels"], *spec["warning_ids"], *spec["features"]]):
            raise WeightsError("spec names must be strings")
        cats = spec["lexicon"].get("categories")
        if not isinstance(cats, dict) or not all(
            isinstance(v, list) and all(isinstance(w, str) for w in v) for v in cats.values()
        ):
            raise WeightsError("spec lexicon must map category names to word lists")
        for key, what in (("context", "word"), ("exclude", "phrase")):
            entries = spec["lexicon"].get(key, {})
            if not isinstance(entries, dict) or not all(
                k in cats and isinstance(v, list) and all(isinstance(w, str) for w in v) for k, v in entries.items()
            ):
                raise WeightsError(f"spec lexicon {key} must map its categories to {what} lists")
        if not 50 <= spec["passage_words"] <= spec["max_passage_words"] <= 5000:
            raise WeightsError("spec passage sizes out of range")
        shapes = array_shapes(spec)
    except (TypeError, AttributeError, KeyError) as exc:
        raise WeightsError(f"malformed spec ({exc.__class__.__name__})") from None
    if set(arrays) != set(shapes):
        extra, missing = sorted(set(arrays) - set(shapes)), sorted(set(shapes) - set(arrays))
        raise WeightsError(f"arrays do not match the spec (unexpected {extra}, missing {missing})")
    for name, shape in shapes.items():
        a = arrays[name]
        if a.dtype.kind not in "fiub" or a.shape != shape:
            raise WeightsError(f"array {name!r} has {a.dtype} {a.shape}, expected float {shape}")
        if not np.all(np.isfinite(a)):
            raise WeightsError(f"array {name!r} holds non-finite values")
    if np.any(arrays["feature_scale"] <= 0):
        raise WeightsError("array 'feature_scale' must be positive")
