"""On-page content evidence: rating-guideline rules over lexicon densities.

See ``classifier/data/guidelines.json`` for the rules and why they exist. The rules are
data saved inside each model, so a model always scores with the rules it was built with.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from typing import Any

import numpy as np


def load_guidelines() -> dict[str, Any]:
    """The packaged guideline rules."""
    return dict(json.loads(resources.files("classifier").joinpath("data/guidelines.json").read_text(encoding="utf-8")))


def _signal_weights(categories: list[str], cfg: dict[str, Any]) -> dict[str, np.ndarray]:
    """Per signal, its weight on each lexicon category."""
    index = {c: k for k, c in enumerate(categories)}
    out: dict[str, np.ndarray] = {}
    for name, spec in cfg["signals"].items():
        weights = np.zeros(len(categories))
        for cat, w in spec["terms"].items():
            if cat in index:
                weights[index[cat]] = w
        out[name] = weights
    return out


def _counts(lex_log: np.ndarray, words: np.ndarray, categories: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per-passage lexicon counts (from log1p densities per 1,000 words) and word counts."""
    words = np.asarray(words, dtype=float)
    dens = np.expm1(lex_log[:, : len(categories)].astype(float))
    return dens * words[:, None] / 1000.0, words


def _floor(cfg: dict[str, Any]) -> float:
    # A density needs enough text behind it: short texts (summaries, one-liners) are
    # measured as if they were ``min_passage_words`` long, so one word cannot fire a rule.
    return float(cfg.get("min_passage_words", 80))


def signals(lex_log: np.ndarray, words: np.ndarray, categories: list[str], cfg: dict[str, Any]) -> dict[str, float]:
    """Story-level signals (per 1,000 words) from per-passage log1p lexicon densities."""
    if lex_log.shape[0] == 0:
        return dict.fromkeys(cfg["signals"], 0.0)
    counts, words = _counts(lex_log, words, categories)
    story = counts.sum(axis=0) * 1000.0 / max(float(words.sum()), _floor(cfg))
    dens = counts * 1000.0 / np.maximum(words, _floor(cfg))[:, None]
    out: dict[str, float] = {}
    for name, weights in _signal_weights(categories, cfg).items():
        scope_story = cfg["signals"][name].get("scope") == "story"
        out[name] = float(story @ weights) if scope_story else float((dens @ weights).max())
    return out


def _noisy_or(sig: dict[str, Any], cfg: dict[str, Any], shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Every rule's sigmoid, combined per label by noisy-OR; signals may be scalars or arrays."""
    keep: dict[str, np.ndarray] = {}
    for rule in cfg["rules"]:
        x = np.asarray(sig.get(rule["signal"], 0.0), dtype=float)
        p = 1.0 / (1.0 + np.exp(-np.clip((x - rule["midpoint"]) / rule["width"], -30, 30)))
        # Rescaled so that no evidence at all gives exactly 0, not the sigmoid's tail.
        p0 = _sigmoid(-rule["midpoint"] / rule["width"])
        p = np.maximum(0.0, (p - p0) / (1.0 - p0))
        keep[rule["label"]] = 1.0 - (1.0 - keep.get(rule["label"], np.zeros(shape))) * (1.0 - p)
    return keep


def rule_probs(sig: dict[str, float], cfg: dict[str, Any]) -> dict[str, float]:
    """Noisy-OR of every rule's sigmoid per label."""
    return {label: float(p) for label, p in _noisy_or(sig, cfg, ()).items()}


def passage_rule_matrix(
    lex_log: np.ndarray, words: np.ndarray, categories: list[str], cfg: dict[str, Any]
) -> dict[str, np.ndarray]:
    """Rule probability of every label for each passage on its own (vectorised ``rule_probs``)."""
    n = lex_log.shape[0]
    if n == 0:
        return {}
    counts, words = _counts(lex_log, words, categories)
    dens = counts * 1000.0 / np.maximum(words, _floor(cfg))[:, None]
    sig = {name: dens @ weights for name, weights in _signal_weights(categories, cfg).items()}
    return _noisy_or(sig, cfg, (n,))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


def is_quiet(sig: dict[str, float], words: float, cfg: dict[str, Any]) -> bool:
    """Long text where no signal reaches a quarter of its lowest teen-level midpoint."""
    quiet = cfg.get("quiet_text")
    if not quiet or words < quiet.get("min_words", 300):
        return False
    lowest: dict[str, float] = {}
    for rule in cfg["rules"]:
        if rule["label"] == "rating>=teen":
            lowest[rule["signal"]] = min(lowest.get(rule["signal"], float("inf")), rule["midpoint"])
    return all(sig.get(s, 0.0) < m / 4 for s, m in lowest.items())


def combine(model_p: float, rule_p: float) -> float:
    """Noisy-OR: either the learned model or the on-page evidence can raise a label."""
    return 1.0 - (1.0 - model_p) * (1.0 - rule_p)
