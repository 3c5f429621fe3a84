"""Text to vectors: passage splitting, lexicon densities, stylometry, hashed n-grams.

Nothing here stores training text: n-grams are hashed (``HashingVectorizer``), lexicons
are our own word lists plus better-profanity's MIT-licensed list.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

_TOKEN = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": " - ", "\u2013": "-"})
_DIALOGUE = re.compile(r"\"[^\"\n]{1,2000}\"")
_CAPS = re.compile(r"\b[A-Z]{3,}\b")

STYLE_FEATURES: tuple[str, ...] = ("dialogue_share", "exclaim_rate", "question_rate", "sentence_length", "caps_rate")
INTERACTIONS: tuple[tuple[str, str, str], ...] = (
    ("minor_x_sex", "minor", "sex_explicit"),
    ("nonconsent_x_sex", "nonconsent", "sex_explicit"),
    ("gore_x_violence", "gore", "violence"),
)


def tokenize(low: str) -> list[str]:
    """Word tokens of lower-cased text (letters/digits, inner apostrophes and hyphens kept)."""
    return _TOKEN.findall(low)


def word_ngrams(tokens: list[str], n_max: int = 2) -> list[str]:
    """Tokens plus their 2..n_max-grams: the analyzer the hashed n-gram features use.

    Tokens are computed once per passage and shared with the lexicon counts.
    """
    out = list(tokens)
    for n in range(2, n_max + 1):
        out += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return out


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


_SUFFIXES = (
    "",
    "s",
    "es",
    "ed",
    "d",
    "ing",
    "er",
    "ers",
    "or",
    "ors",
    "ion",
    "ions",
    "ation",
    "ations",
    "ive",
    "ively",
    "ly",
    "al",
    "ally",
    "ic",
    "ical",
    "y",
    "ies",
    "ied",
    "ment",
    "ments",
    "ous",
    "ness",
    "ity",
    "ist",
    "ists",
    "ism",
    "e",
    "ee",
    "ies",
    "able",
    "ful",
)


def _expand_prefix(prefix: str) -> list[str]:
    """Word forms a ``prefix*`` entry stands for (prefix + common English endings)."""
    forms = {prefix + suf for suf in _SUFFIXES}
    forms |= {prefix + "e" + suf for suf in ("", "s", "d", "r", "rs")}
    if prefix.endswith("e"):
        forms |= {prefix[:-1] + suf for suf in ("ing", "ion", "ions", "ation", "or", "ors")}
    return sorted(f for f in forms if f)


def _trie_pattern(words: list[str]) -> str:
    """A regex matching exactly ``words``, factored as a character trie (fast to scan)."""
    trie: dict[str, Any] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return "(?:" + build(trie) + ")"


class _CompiledLexicon:
    def __init__(self, categories: dict[str, list[str]]) -> None:
        self.names = list(categories)
        self.words: dict[str, tuple[int, ...]] = {}
        phrases: dict[str, list[int]] = {}
        for k, name in enumerate(self.names):
            for entry in categories[name]:
                e = entry.lower().strip()
                if " " in e:
                    phrases.setdefault(e, []).append(k)
                    continue
                # ``prefix*`` entries are expanded to common endings up front, so counting
                # is exact-word lookups only.
                for form in _expand_prefix(e[:-1]) if e.endswith("*") else [e]:
                    if k not in self.words.get(form, ()):
                        self.words[form] = (*self.words.get(form, ()), k)
        self.phrases = {p: tuple(v) for p, v in phrases.items()}
        # A trie-factored regex: far cheaper to scan than a flat alternation of phrases.
        self.phrase_fast = re.compile(r"\b" + _trie_pattern(list(self.phrases)) + r"\b") if self.phrases else None
        self.word_set = frozenset(self.words)

    def count(self, low: str, tokens: list[str] | None = None) -> tuple[list[float], int]:
        counts = [0.0] * len(self.names)
        if tokens is None:
            tokens = _TOKEN.findall(low)
        # Set intersection and list.count run in C; only the (few) lexicon hits are visited here.
        for tok in self.word_set.intersection(tokens):
            c = tokens.count(tok)
            for k in self.words[tok]:
                counts[k] += c
        if self.phrase_fast is not None:
            for m in self.phrase_fast.finditer(low):
                for k in self.phrases.get(m.group(), ()):
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
        texts = [normalize_text(str(t)) for t in X]
        lows = [t.lower() for t in texts]
        return self.transform_tokens(texts, lows, [tokenize(low) for low in lows])

    def transform_tokens(self, texts: list[str], lows: list[str], tokens: list[list[str]]) -> np.ndarray:
        """As ``transform``, from normalised texts with their lower-cased forms and tokens."""
        check_is_fitted(self, "feature_names_out_")
        lex = load_lexicon(self.use_better_profanity)
        index = {n: k for k, n in enumerate(lex.names)}
        rows = [self._row(t, low, toks, lex, index) for t, low, toks in zip(texts, lows, tokens, strict=True)]
        if not rows:
            return np.zeros((0, self.n_features_out_), dtype=np.float32)
        return np.asarray(rows, dtype=np.float32)

    def _row(self, text: str, low: str, tokens: list[str], lex: _CompiledLexicon, index: dict[str, int]) -> list[float]:
        counts, n = lex.count(low, tokens)
        scale = self.per / max(n, 1)
        dens = [c * scale for c in counts]
        feats = [math.log1p(d) for d in dens]
        for _, a, b in INTERACTIONS:
            feats.append(math.log1p(math.sqrt(dens[index[a]] * dens[index[b]])))
        chars = max(len(text), 1)
        dialogue = sum(len(m.group()) for m in _DIALOGUE.finditer(text)) / chars
        sentences = max(1, text.count(".") - 2 * text.count("...") + text.count("!") + text.count("?"))
        feats += [
            dialogue,
            math.log1p(text.count("!") * scale),
            math.log1p(text.count("?") * scale),
            math.log1p(n / sentences) / 4.0,
            math.log1p(len(_CAPS.findall(text)) * scale),
        ]
        return feats
