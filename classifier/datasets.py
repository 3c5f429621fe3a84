"""Training data: labelled texts from ``../shared/data``, story files and tables.

Every source becomes rows of one frame: ``text``, ``group`` (the work: splits never cut a
group), ``source``, ``weight``, ``rating`` (0..3 or NaN) and one column per warning id
(1, 0 or NaN). NaN means *unknown* ("Not Rated", withheld warnings, a site without
warnings) and is never used as a negative.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from classifier.labels import AO3_RATING_MIX, ARCHIVE_WARNINGS, RATING_LEVELS, Taxonomy

NAN = float("nan")

#: Trigger-passage warnings mapped onto the taxonomy (others have no counterpart).
PASSAGE_WARNING_MAP = {"violence": "violence", "war": "violence", "death": "major_character_death"}

SHARED_FILES = {
    "fulltext": "fulltext.jsonl.gz",
    "ao3_summaries": "ao3_summaries.jsonl.gz",
    "ffn_summaries": "ffn_summaries.jsonl.gz",
    "trigger_passages": "trigger_passages.jsonl.gz",
}


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _name_mask(names: Iterable[str]) -> re.Pattern[str] | None:
    # Character names are fandom-specific: masking them keeps the model from learning
    # that "Garak" means Explicit in a single-fandom training set.
    words = {w for n in names for w in re.findall(r"[A-Za-z][\w'-]{2,}", n) if w[0].isupper()}
    if not words:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b")


def _masked(text: str, names: Iterable[str]) -> str:
    pat = _name_mask(names)
    return pat.sub(" ", text) if pat else text


def _row(
    text: str, group: str, source: str, warnings: list[str], weight: float = 1.0, scale: str = ""
) -> dict[str, Any]:
    # ``rating_upper``: the highest level the declared rating allows (FFN's M is mature or
    # explicit); NaN means exactly ``rating``. ``scale``: the rating scale it was declared on.
    row: dict[str, Any] = {
        "text": text,
        "group": group,
        "source": source,
        "weight": weight,
        "rating": NAN,
        "rating_upper": NAN,
        "scale": scale,
    }
    for w in warnings:
        row[w] = NAN
    return row


def load_ao3_summaries(path: Path, taxonomy: Taxonomy) -> pd.DataFrame:
    """AO3 blurbs: rating, archive warnings, and freeform tags mapped to the other warnings."""
    ids = taxonomy.warning_ids
    level = {"General Audiences": 0, "Teen And Up Audiences": 1, "Mature": 2, "Explicit": 3}
    rows = []
    for rec in _jsonl(path):
        text = (rec.get("title") or "") + "\n" + (rec.get("summary") or "")
        names = list(rec.get("characters") or []) + [
            p for r in rec.get("relationships") or [] for p in re.split(r"[/&]", r)
        ]
        row = _row(_masked(text, names).strip(), f"ao3:{rec['id']}", "ao3_summaries", list(ids), scale="ao3")
        row["rating"] = level.get(rec.get("rating", ""), NAN)
        declared = taxonomy.parse_warnings(list(rec.get("warnings") or []))
        tag_hits: set[str] = set()
        for tag in rec.get("tags") or []:
            tag_hits.update(taxonomy.map_term(tag))
        if declared.status in ("none", "declared"):
            for w in ARCHIVE_WARNINGS:
                if w in ids:
                    row[w] = 1.0 if w in declared.canonical else 0.0
        else:
            for w in ARCHIVE_WARNINGS:
                if w in ids and w in tag_hits:
                    row[w] = 1.0
        tags = rec.get("tags") or []
        for w in ids:
            if w in ARCHIVE_WARNINGS:
                continue
            if w in tag_hits:
                row[w] = 1.0
            elif len(tags) >= 4:
                # Authors who tag extensively would usually tag these; weak negative.
                row[w] = 0.0
        if row["rating"] == 0:
            for w in ("sexual_content", "strong_language"):
                if w in ids and math.isnan(row[w]):
                    row[w] = 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def load_fulltext(path: Path, taxonomy: Taxonomy) -> pd.DataFrame:
    """Full-length works with declared ratings (FFN M = mature or explicit) and AO3 archive warnings."""
    ids = taxonomy.warning_ids
    ao3 = {"General Audiences": 0, "Teen And Up Audiences": 1, "Mature": 2, "Explicit": 3}
    ffn = {"K": 0, "K+": 0, "T": 1, "M": 2}
    rows = []
    for rec in _jsonl(path):
        site = rec.get("site")
        row = _row(str(rec.get("text") or ""), str(rec["id"]), f"fulltext_{site}", list(ids), scale=str(site or ""))
        if site == "ao3":
            row["rating"] = ao3.get(rec.get("rating", ""), NAN)
            declared = taxonomy.parse_warnings(list(rec.get("warnings") or []))
            if declared.status in ("none", "declared") and not declared.unmapped:
                for w in ARCHIVE_WARNINGS:
                    if w in ids:
                        row[w] = 1.0 if w in declared.canonical else 0.0
        elif site == "ffn":
            row["rating"] = ffn.get(rec.get("rating", ""), NAN)
            if rec.get("rating") == "M":
                row["rating_upper"] = 3.0
        rows.append(row)
    frame = pd.DataFrame(rows)
    if len(frame):
        sel = frame["source"] == "fulltext_ao3"
        share = frame.loc[sel, "rating"].value_counts(normalize=True)
        for level, mix in enumerate(AO3_RATING_MIX):
            if level in share.index:
                frame.loc[sel & (frame["rating"] == level), "weight"] = mix / float(share[level])
    return frame


def load_ffn_summaries(path: Path, taxonomy: Taxonomy) -> pd.DataFrame:
    """FanFiction.Net blurbs: K/K+ → general, T → teen; K/K+ also imply no graphic content."""
    ids = taxonomy.warning_ids
    level = {"K": 0, "K+": 0, "T": 1, "M": 2, "MA": 3}
    rows = []
    for rec in _jsonl(path):
        text = (rec.get("title") or "") + "\n" + (rec.get("summary") or "")
        names = list(rec.get("characters") or [])
        row = _row(_masked(text, names).strip(), f"ffn:{rec['id']}", "ffn_summaries", list(ids), scale="ffn")
        row["rating"] = level.get(rec.get("rating", ""), NAN)
        if rec.get("rating") in ("K", "K+"):
            # FFN's K/K+ guidelines exclude coarse language, sex and graphic violence.
            for w in ("violence", "rape_noncon", "underage", "sexual_content", "strong_language"):
                if w in ids:
                    row[w] = 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def load_trigger_passages(path: Path, taxonomy: Taxonomy) -> pd.DataFrame:
    """Annotated story passages; the label is the majority vote, weighted by agreement."""
    ids = taxonomy.warning_ids
    rows = []
    for rec in _jsonl(path):
        target = PASSAGE_WARNING_MAP.get(rec.get("warning", ""))
        if target is None or target not in ids:
            continue
        row = _row(rec["text"], f"ao3:{rec['work_id']}", "trigger_passages", list(ids))
        votes = int(rec.get("positive_votes", 0))
        row[target] = 1.0 if votes >= 2 else 0.0
        row["weight"] = 1.0 if votes in (0, 3) else 0.5
        rows.append(row)
    return pd.DataFrame(rows)


def stories_frame(stories: Iterable[Any], taxonomy: Taxonomy) -> pd.DataFrame:
    """Story records (from any reader) with labels from their declared headers."""
    ids = taxonomy.warning_ids
    rows = []
    for s in stories:
        r = s.declared.rating
        row = _row(s.body, f"story:{s.id}", "stories", list(ids), scale=r.scale if r is not None else "")
        if r is not None and r.canonical is not None:
            row["rating"] = float(RATING_LEVELS.index(r.canonical))
            if r.scale == "ffn" and r.canonical == "mature":
                row["rating_upper"] = float(len(RATING_LEVELS) - 1)
        w = s.declared.warnings
        if w.status == "none":
            # "No Archive Warnings Apply" speaks only for AO3's four archive warnings.
            archive_only = any("archive" in t.lower() for t in w.raw)
            for wid in ids:
                if not archive_only or wid in ARCHIVE_WARNINGS:
                    row[wid] = 0.0
        elif w.status == "declared":
            for wid in ids:
                row[wid] = 1.0 if wid in w.canonical else NAN
            if not w.unmapped:
                # An explicit list names everything the author warns for.
                for wid in ARCHIVE_WARNINGS:
                    if wid in ids and wid not in w.canonical:
                        row[wid] = 0.0
        row["path"] = s.path
        rows.append(row)
    return pd.DataFrame(rows)


def resolve_sources(sources: Iterable[str]) -> list[tuple[str, Path | str]]:
    """Name each source: a shared-data folder expands to its three labelled files."""
    out: list[tuple[str, Path | str]] = []
    for src in sources:
        p = Path(src)
        if p.is_dir() and any((p / f).exists() for f in SHARED_FILES.values()):
            for kind, fname in SHARED_FILES.items():
                if (p / fname).exists():
                    out.append((kind, p / fname))
            continue
        name = p.name
        kind = next((k for k, f in SHARED_FILES.items() if name.startswith(k)), "stories")
        out.append((kind, p if kind != "stories" else src))
    return out


def load_training_frame(
    sources: Iterable[str], taxonomy: Taxonomy, read_options: Any = None
) -> tuple[pd.DataFrame, list[str]]:
    """Load every source into one frame; return it and the per-file read errors."""
    from classifier.readers import ReadError, ReadOptions, iter_stories

    frames = []
    errors: list[str] = []
    story_paths: list[str] = []
    for kind, path in resolve_sources(sources):
        if kind == "fulltext":
            frames.append(load_fulltext(Path(path), taxonomy))
        elif kind == "ao3_summaries":
            frames.append(load_ao3_summaries(Path(path), taxonomy))
        elif kind == "ffn_summaries":
            frames.append(load_ffn_summaries(Path(path), taxonomy))
        elif kind == "trigger_passages":
            frames.append(load_trigger_passages(Path(path), taxonomy))
        else:
            story_paths.append(str(path))
    if story_paths:
        options = read_options or ReadOptions(taxonomy=taxonomy)
        stories = []
        for item in iter_stories(story_paths, options):
            if isinstance(item, ReadError):
                errors.append(str(item))
            else:
                stories.append(item)
        if stories:
            frames.append(stories_frame(stories, taxonomy))
    if not frames:
        return pd.DataFrame(
            columns=["text", "group", "source", "weight", "rating", "rating_upper", "scale", *taxonomy.warning_ids]
        ), errors
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[frame["text"].astype(str).str.strip().astype(bool)].reset_index(drop=True)
    for col in ["rating", "rating_upper", *taxonomy.warning_ids]:
        frame[col] = frame[col].astype(float)
    frame["weight"] = frame["weight"].astype(float)
    return frame, errors


def label_summary(frame: pd.DataFrame, warning_ids: Iterable[str]) -> dict[str, Any]:
    """Counts per source and label distributions (for the model card)."""
    out: dict[str, Any] = {"rows": len(frame), "groups": int(frame["group"].nunique()) if len(frame) else 0}
    out["sources"] = {str(k): int(v) for k, v in frame["source"].value_counts().sort_index().items()}
    ratings = frame["rating"].dropna().astype(int)
    out["rating"] = {RATING_LEVELS[k]: int((ratings == k).sum()) for k in range(4)}
    out["rating"]["unknown"] = int(frame["rating"].isna().sum())
    out["warnings"] = {}
    for w in warning_ids:
        col = frame[w]
        out["warnings"][w] = {
            "positive": int((col == 1).sum()),
            "negative": int((col == 0).sum()),
            "unknown": int(col.isna().sum()),
        }
    return out


def apply_exclusions(
    frame: pd.DataFrame, exclude: pd.DataFrame | None, relabel: pd.DataFrame | None, warning_ids: Iterable[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Drop rows whose group/id/path is listed in ``exclude``; apply label corrections from ``relabel``."""
    info = {"excluded": 0, "relabelled": 0}
    keys = frame["group"].astype(str)
    paths = frame["path"].astype(str) if "path" in frame else pd.Series([""] * len(frame))
    if exclude is not None and len(exclude):
        col = next((c for c in ("group", "id", "path") if c in exclude.columns), exclude.columns[0])
        wanted = set(exclude[col].astype(str))
        mask = keys.isin(wanted) | keys.str.split(":", n=1).str[-1].isin(wanted) | paths.isin(wanted)
        info["excluded"] = int(mask.sum())
        frame = frame[~mask].reset_index(drop=True)
        keys = frame["group"].astype(str)
        paths = frame["path"].astype(str) if "path" in frame else pd.Series([""] * len(frame))
    if relabel is not None and len(relabel):
        col = next((c for c in ("group", "id", "path") if c in relabel.columns), relabel.columns[0])
        for _, fix in relabel.iterrows():
            key = str(fix[col])
            mask = (keys == key) | (keys.str.split(":", n=1).str[-1] == key) | (paths == key)
            if not mask.any():
                continue
            if "rating" in fix and isinstance(fix["rating"], str) and fix["rating"] in RATING_LEVELS:
                frame.loc[mask, "rating"] = float(RATING_LEVELS.index(fix["rating"]))
            for w in warning_ids:
                if w in fix and not pd.isna(fix[w]):
                    frame.loc[mask, w] = float(fix[w])
            info["relabelled"] += int(mask.sum())
    return frame, info


def frame_scales(frame: pd.DataFrame) -> np.ndarray | None:
    """Each row's rating scale (``ao3``, ``ffn``, ...; empty when unknown), or None for a frame
    without the column: the audit's confidences are chosen and replayed per scale."""
    return frame["scale"].astype(str).to_numpy() if "scale" in frame else None


def frame_to_arrays(
    frame: pd.DataFrame, warning_ids: Iterable[str]
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Texts, label matrix (rating then warnings; NaN unknown), groups, weights."""
    cols = ["rating", *warning_ids]
    return (
        frame["text"].astype(str).tolist(),
        frame[cols].to_numpy(dtype=float),
        frame["group"].astype(str).to_numpy(),
        frame["weight"].to_numpy(dtype=float),
    )


def read_label_table(path: Path | None, what: str) -> pd.DataFrame | None:
    """A CSV (or JSONL) of stories to exclude or relabel, all as strings; None without a path.

    Raises ValueError naming the file and ``what`` it should hold when it cannot be read.
    """
    if path is None:
        return None
    try:
        if path.suffix.lower() != ".jsonl":
            return pd.read_csv(path, dtype=str)
        return pd.read_json(path, lines=True, dtype=False)
    except Exception as exc:
        raise ValueError(f"{path}: cannot read {what} ({type(exc).__name__}: {str(exc)[:120]})") from None
