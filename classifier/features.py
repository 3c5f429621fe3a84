"""Text to vectors: passage splitting, lexicon densities, stylometry, hashed n-grams.

Nothing here stores training text: n-grams are hashed (``HashingVectorizer``), lexicons
are our own word lists plus better-profanity's MIT-licensed list.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

_TOKEN = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": " - ", "\u2013": "-"})
_DIALOGUE = re.compile(r"\"[^\"\n]{1,2000}\"")
_CAPS = re.compile(r"\b[A-Z]{3,}\b")

STYLE_FEATURES: tuple[str, ...] = ("dialogue_share", "exclaim_rate", "question_rate", "sentence_length", "caps_rate")
INTERACTIONS: tuple[tuple[str, str, str], ...] = (
    ("minor_x_sex", "minor", "sex_explicit"),
    ("nonconsent_x_sex", "nonconsent", "sex_explicit"),
    ("gore_x_violence", "gore", "violence"),
)


def normalize_text(text: str) -> str:
    """Unify quotes and dashes so story text, summaries and the lower-cased passages match."""
    return text.translate(_QUOTES)


def split_passages(text: str, target_words: int = 300, max_words: int = 500) -> list[tuple[int, int]]:
    """Split ``text`` into passages of about ``target_words`` words on paragraph boundaries.

    Returns character ``(start, end)`` spans covering every non-blank paragraph. Paragraphs
    longer than ``max_words`` are cut at word boundaries; a short tail joins the passage
    before it.
    """
    spans: list[tuple[int, int]] = []
    cur_start = -1
    cur_end = 0
    cur_words = 0
    for m in re.finditer(r"[^\n]+", text):
        line = m.group()
        n = len(line.split())
        if n == 0:
            continue
        if n > max_words:
            if cur_words:
                spans.append((cur_start, cur_end))
                cur_start, cur_words = -1, 0
            words = [(w.start() + m.start(), w.end() + m.start()) for w in re.finditer(r"\S+", line)]
            for k in range(0, len(words), target_words):
                chunk = words[k : k + target_words]
                spans.append((chunk[0][0], chunk[-1][1]))
            continue
        if cur_start < 0:
            cur_start = m.start()
        cur_end = m.end()
        cur_words += n
        if cur_words >= target_words:
            spans.append((cur_start, cur_end))
            cur_start, cur_words = -1, 0
    if cur_words:
        prev_words = len(text[spans[-1][0] : spans[-1][1]].split()) if spans else 0
        if spans and cur_words < target_words // 2 and prev_words + cur_words <= max_words:
            spans[-1] = (spans[-1][0], cur_end)
        else:
            spans.append((cur_start, cur_end))
    return spans


class _CompiledLexicon:
    def __init__(self, categories: dict[str, list[str]]) -> None:
        self.names = list(categories)
        self.words: dict[str, tuple[int, ...]] = {}
        self.prefixes: list[tuple[str, int]] = []
        phrases: dict[str, list[int]] = {}
        for k, name in enumerate(self.names):
            for entry in categories[name]:
                e = entry.lower().strip()
                if " " in e:
                    phrases.setdefault(e, []).append(k)
                elif e.endswith("*"):
                    self.prefixes.append((e[:-1], k))
                else:
                    self.words[e] = (*self.words.get(e, ()), k)
        self.phrases = {p: tuple(v) for p, v in phrases.items()}
        alternation = "|".join(re.escape(p) for p in sorted(self.phrases, key=len, reverse=True))
        self.phrase_re = re.compile(r"\b(?:" + alternation + r")\b") if self.phrases else None
        self._cache: dict[str, tuple[int, ...]] = {}

    def lookup(self, token: str) -> tuple[int, ...]:
        hit = self._cache.get(token)
        if hit is not None:
            return hit
        cats = list(self.words.get(token, ()))
        for prefix, k in self.prefixes:
            if token.startswith(prefix) and k not in cats:
                cats.append(k)
        result = tuple(cats)
        if len(self._cache) < 500_000:
            self._cache[token] = result
        return result

    def count(self, low: str) -> tuple[list[float], int]:
        counts = [0.0] * len(self.names)
        tokens = _TOKEN.findall(low)
        for tok, c in Counter(tokens).items():
            for k in self.lookup(tok):
                counts[k] += c
        if self.phrase_re is not None:
            for m in self.phrase_re.finditer(low):
                for k in self.phrases[m.group()]:
                    counts[k] += 1
        return counts, len(tokens)


def _better_profanity_words() -> list[str]:
    try:
        text = resources.files("better_profanity").joinpath("profanity_wordlist.txt").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return []
    return [w.strip().lower() for w in text.splitlines() if w.strip()]


@lru_cache(maxsize=4)
def load_lexicon(use_better_profanity: bool = True) -> _CompiledLexicon:
    """The packaged lexicons (plus better-profanity's list as ``profanity_broad``)."""
    data = json.loads(resources.files("classifier").joinpath("data/lexicons.json").read_text(encoding="utf-8"))
    categories: dict[str, list[str]] = dict(data["categories"])
    if use_better_profanity:
        # better-profanity's list also holds words that are not profanity in prose (e.g.
        # drink and drug names); words our own lists file elsewhere are left out.
        elsewhere = {
            w.lower() for name, words in categories.items() if not name.startswith(("profanity", "sex_")) for w in words
        }
        categories["profanity_broad"] = [w for w in _better_profanity_words() if w not in elsewhere]
    return _CompiledLexicon(categories)


def lexicon_sources() -> dict[str, str]:
    """Where each word list comes from and its licence (recorded in model cards)."""
    out = {"ficrate lexicons": "own word lists (classifier/data/lexicons.json), CC0"}
    if _better_profanity_words():
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("better-profanity")
        except PackageNotFoundError:
            v = "?"
        out["profanity_broad"] = f"better-profanity {v} wordlist, MIT licence"
    return out


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """Lexicon densities per 1,000 words (log1p), interactions, and simple stylometry.

    Stateless apart from recording feature names at ``fit``; input is an iterable of
    strings. Length itself is not a feature: passages and summaries differ in length for
    reasons unrelated to content.

    Parameters
    ----------
    per : float
        Densities are counts per ``per`` words.
    use_better_profanity : bool
        Add better-profanity's word list as the ``profanity_broad`` category.
    """

    def __init__(self, per: float = 1000.0, use_better_profanity: bool = True) -> None:
        self.per = per
        self.use_better_profanity = use_better_profanity

    def fit(self, X: Any, y: Any = None) -> LexiconFeatures:
        """Record feature names; returns self."""
        lex = load_lexicon(self.use_better_profanity)
        self.categories_ = list(lex.names)
        self.feature_names_out_ = np.array(
            [f"lex_{n}" for n in lex.names] + [n for n, _, _ in INTERACTIONS] + list(STYLE_FEATURES), dtype=object
        )
        self.n_features_out_ = len(self.feature_names_out_)
        return self

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns."""
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_

    def transform(self, X: Any) -> np.ndarray:
        """Dense ``(n_texts, n_features_out_)`` float32 matrix."""
        check_is_fitted(self, "feature_names_out_")
        if isinstance(X, str):
            raise ValueError("LexiconFeatures expects an iterable of strings, not a single string")
        lex = load_lexicon(self.use_better_profanity)
        index = {n: k for k, n in enumerate(lex.names)}
        rows = []
        for text in X:
            rows.append(self._row(normalize_text(str(text)), lex, index))
        if not rows:
            return np.zeros((0, self.n_features_out_), dtype=np.float32)
        return np.asarray(rows, dtype=np.float32)

    def _row(self, text: str, lex: _CompiledLexicon, index: dict[str, int]) -> list[float]:
        low = text.lower()
        counts, n = lex.count(low)
        scale = self.per / max(n, 1)
        dens = [c * scale for c in counts]
        feats = [math.log1p(d) for d in dens]
        for _, a, b in INTERACTIONS:
            feats.append(math.log1p(math.sqrt(dens[index[a]] * dens[index[b]])))
        chars = max(len(text), 1)
        dialogue = sum(len(m.group()) for m in _DIALOGUE.finditer(text)) / chars
        sentences = max(1, len(re.findall(r"[.!?]+", text)))
        feats += [
            dialogue,
            math.log1p(text.count("!") * scale),
            math.log1p(text.count("?") * scale),
            math.log1p(n / sentences) / 4.0,
            math.log1p(len(_CAPS.findall(text)) * scale),
        ]
        return feats
