"""On-page content evidence for warnings: guideline rules over lexicon densities.

See ``classifier/data/guidelines.json`` for the rules and why they exist. The rules are
data saved inside each model, so a model always scores with the rules it was built with.
Inputs are raw per-passage lexicon counts and word counts.
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


def _floor(cfg: dict[str, Any]) -> float:
    return float(cfg.get("min_passage_words", 150))


def _passage_signals(
    counts: np.ndarray, words: np.ndarray, categories: list[str], cfg: dict[str, Any]
) -> dict[str, np.ndarray]:
    """Every signal per passage (densities per 1,000 words)."""
    index = {c: k for k, c in enumerate(categories)}
    dens = counts * 1000.0 / np.maximum(np.asarray(words, dtype=float), _floor(cfg))[:, None]
    out: dict[str, np.ndarray] = {}
    for name, spec in cfg["signals"].items():
        if "product" in spec:
            a, b = (index.get(c) for c in spec["product"])
            out[name] = np.sqrt(dens[:, a] * dens[:, b]) if a is not None and b is not None else np.zeros(len(dens))
        else:
            w = np.zeros(len(categories))
            for cat, x in spec["terms"].items():
                if cat in index:
                    w[index[cat]] = x
            out[name] = dens @ w
    return out


def signals(counts: np.ndarray, words: np.ndarray, categories: list[str], cfg: dict[str, Any]) -> dict[str, float]:
    """Story-level signals: ``story`` scope over the whole text, ``max_passage`` over the densest passage."""
    counts = np.asarray(counts, dtype=float)
    if counts.shape[0] == 0:
        return dict.fromkeys(cfg["signals"], 0.0)
    per = _passage_signals(counts, words, categories, cfg)
    whole = _passage_signals(counts.sum(axis=0, keepdims=True), np.array([float(np.sum(words))]), categories, cfg)
    return {
        name: float(whole[name][0]) if spec.get("scope") == "story" else float(per[name].max())
        for name, spec in cfg["signals"].items()
    }


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


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
    counts: np.ndarray, words: np.ndarray, categories: list[str], cfg: dict[str, Any]
) -> dict[str, np.ndarray]:
    """Rule probability of every label for each passage on its own."""
    n = np.asarray(counts).shape[0]
    if n == 0:
        return {}
    return _noisy_or(_passage_signals(np.asarray(counts, dtype=float), words, categories, cfg), cfg, (n,))


#: Rule labels that floor the rating's cumulative probabilities P(>= teen / mature / explicit).
RATING_RULES = ("rating>=teen", "rating>=mature", "rating>=explicit")


def story_rules(
    counts: list[np.ndarray],
    words: list[np.ndarray],
    categories: list[str],
    cfg: dict[str, Any],
    warning_ids: tuple[str, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Per story: rule probabilities of the rating floors ``(n, 3)`` and of each warning ``(n, W)``."""
    rating = np.zeros((len(counts), len(RATING_RULES)))
    warn = np.zeros((len(counts), len(warning_ids)))
    for i, (c, w) in enumerate(zip(counts, words, strict=True)):
        probs = rule_probs(signals(c, w, categories, cfg), cfg)
        rating[i] = [probs.get(h, 0.0) for h in RATING_RULES]
        warn[i] = [probs.get(wid, 0.0) for wid in warning_ids]
    return rating, warn


def raise_levels(levels: np.ndarray, rating_rules: np.ndarray) -> np.ndarray:
    """Level probabilities with P(>= level k) raised by its rule (noisy-OR), kept monotone."""
    if not np.any(rating_rules):
        return levels
    cum = np.cumsum(levels[:, ::-1], axis=1)[:, ::-1][:, 1:]
    cum = combine(cum, rating_rules)
    cum = np.maximum.accumulate(cum[:, ::-1], axis=1)[:, ::-1]  # a floor on >= k also floors >= k-1
    n = cum.shape[0]
    return np.clip(np.hstack([np.ones((n, 1)), cum]) - np.hstack([cum, np.zeros((n, 1))]), 0.0, 1.0)


def combine(model_p: Any, rule_p: Any) -> Any:
    """Noisy-OR: either the learned model or the on-page evidence can raise a label."""
    return 1.0 - (1.0 - model_p) * (1.0 - rule_p)
