"""Text to vectors: passage splitting, lexicon counts, story-level content features.

Every feature measures something a rating guideline names (sex, violence, gore, swearing,
drugs, self-harm, sexual violence, minors, death, ...) in words any fandom uses: lexicon
densities pooled over a story's passages. Nothing here stores training text; the lexicons
are our own word lists plus better-profanity's MIT-licensed list.

Why no word n-grams: n-gram weights learned from one fandom's stories did not transfer
(trained on the full-length corpus, they ranked another fandom's summaries at AUC 0.55), and
n-gram passage heads trained on summaries added < 0.01 exact accuracy on full-length works
while learning topic (romance, drama) rather than content. See the model card.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

#: The one word-token pattern (letters/digits, inner apostrophes and hyphens kept).
TOKEN_RE = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": " - ", "\u2013": "-"})

INTERACTIONS: tuple[tuple[str, str, str], ...] = (
    ("minor_x_sex", "minor", "sex_explicit"),
    ("nonconsent_x_sex", "nonconsent", "sex_explicit"),
    ("gore_x_violence", "gore", "violence"),
)


#: Punctuation that can only edge a token, never join one (none of it is a word character).
_EDGE_PUNCT = "\"'.,!?;:()[]*-\u2026"


def tokenize(low: str) -> list[str]:
    """Word tokens of lower-cased text (letters/digits, inner apostrophes and hyphens kept).

    Exactly ``TOKEN_RE.findall(low)``, 1.6x faster: most whitespace-separated words are
    letters/digits alone or edged by punctuation, so the regular expression (the scorer's
    largest cost) only runs on the rest. ``str.isalnum`` is ``\\w`` without ``_``.
    """
    out: list[str] = []
    keep, cut = out.append, out.extend
    for word in low.split():
        if word.isalnum():
            keep(word)
            continue
        core = word.strip(_EDGE_PUNCT)
        if core.isalnum():
            keep(core)
        else:
            cut(TOKEN_RE.findall(word))
    return out


def normalize_text(text: str) -> str:
    """Unify quotes and dashes so story text, summaries and the lower-cased passages match."""
    return text.translate(_QUOTES)


#: :data:`_QUOTES` without the em dash (which it widens to " - "): every other change keeps length.
_QUOTES_SAME_LENGTH = str.maketrans({k: v for k, v in _QUOTES.items() if len(v) == 1})


def normalize_in_place(text: str) -> str:
    """:func:`normalize_text` with every offset kept: the em dash stays (it splits words either way).

    Evidence marks are offsets in the story text, yet must see the tokens the counter sees: a
    curly ``don’t tell`` counts as the phrase *don't tell*, and ``fuck’s`` is the token *fuck's*.
    """
    return text.translate(_QUOTES_SAME_LENGTH)


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


def phrase_offsets(low: str, phrase: str) -> list[int]:
    """Starts of the non-overlapping occurrences of ``phrase`` in ``low`` whose first and last words
    are whole tokens (as :data:`TOKEN_RE` cuts them), the same rule as for single words: "her father"
    is not in "her father's", nor "please stop" in "p-please stop", as "father" is not the token
    "father's". The counter and the evidence marks both use it."""
    out: list[int] = []
    i, size, end = low.find(phrase), len(phrase), len(low)
    while i >= 0:
        j = i + size
        starts = i == 0 or not (low[i - 1].isalnum() or (low[i - 1] in "'-" and i > 1 and low[i - 2].isalnum()))
        ends = j == end or not (low[j].isalnum() or (low[j] in "'-" and j + 1 < end and low[j + 1].isalnum()))
        if starts and ends:
            out.append(i)
            i = low.find(phrase, j)
        else:
            i = low.find(phrase, i + 1)
    return out


#: Words too common to find a phrase by (pronouns, articles, prepositions, auxiliaries).
_FUNCTION_WORDS = frozenset(
    "a an the and or but of to in on at for with by from up down off out over into onto me my mine him his "
    "her hers herself himself it its i you your he she we they them us our no not all is was be get got let "
    "made make went don't didn't".split()
)


class CompiledLexicon:
    """Word lists compiled for counting: exact-word lookups, and phrases where all their words occur.

    ``context`` (category -> entries) holds words with an everyday sense besides the guideline's
    (high, drink, wrist): they count for a category only in a passage that holds one of its own
    words, so "high marks" counts nothing for drugs and "high on pills" counts the high too.
    """

    def __init__(
        self,
        categories: dict[str, list[str]],
        context: dict[str, list[str]] | None = None,
        exclude: dict[str, list[str]] | None = None,
    ) -> None:
        self.names = list(categories)
        unknown = sorted(set(context or {}) - set(self.names))
        if unknown:
            raise ValueError(f"context words for unknown lexicon categories: {', '.join(unknown)}")
        unknown = sorted(set(exclude or {}) - set(self.names))
        if unknown:
            raise ValueError(f"exclusions for unknown lexicon categories: {', '.join(unknown)}")
        self.context_entries = {name: list(words) for name, words in (context or {}).items() if words}
        self.context = (
            CompiledLexicon({name: self.context_entries.get(name, []) for name in self.names})
            if self.context_entries
            else None
        )
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
        # A phrase is looked for only in passages holding all of its words as tokens (set tests on
        # the token tally, reached from its longest word that is not a function word), then counted
        # by its own ``str.find`` scan (:func:`phrase_offsets`), where its first and last words must
        # be whole tokens too: the test on the tally never rules out a phrase the scan would count,
        # whatever else the passage holds. One regex alternation of every phrase over every passage cost as
        # much as tokenising it.
        self.phrase_words = {p: frozenset(tokenize(p)) for p in self.phrases}
        self.phrases_by_key: dict[str, list[str]] = {}
        for phrase, words in self.phrase_words.items():
            if words:
                key = max(sorted(words), key=lambda w: (w not in _FUNCTION_WORDS, len(w)))
                self.phrases_by_key.setdefault(key, []).append(phrase)
        self.phrase_keys = frozenset(self.phrases_by_key)
        self.word_set = frozenset(self.words)
        # ``exclude`` (category -> phrases): everyday phrases around one of a category's own words
        # ("blood pressure", "dead tired"); in each occurrence, that category's words count nothing.
        # Found like the lexicon's phrases (key word, then the whole-token scan). Per phrase and
        # category: where its words of the category start, relative to the phrase.
        self.exclusions: dict[str, list[tuple[int, tuple[int, ...]]]] = {}
        self.exclusions_by_key: dict[str, list[str]] = {}
        for k, name in enumerate(self.names):
            for entry in (exclude or {}).get(name) or []:
                phrase = " ".join(normalize_text(entry).lower().split())
                toks = [(m.start(), m.group()) for m in TOKEN_RE.finditer(phrase)]
                if " ".join(t for _, t in toks) != phrase:
                    # "kill* time" or "blood, pressure": the scan finds whole words separated by spaces.
                    raise ValueError(f"exclusion {entry!r} of {name}: must be plain words separated by spaces")
                starts = tuple(a for a, t in toks if k in self.words.get(t, ()))
                if len(toks) < 2 or not starts:
                    raise ValueError(f"exclusion {entry!r} of {name}: needs several words, one of them a {name} word")
                if all(k != j for j, _ in self.exclusions.get(phrase, [])):  # listed twice: once
                    self.exclusions.setdefault(phrase, []).append((k, starts))
                self.phrase_words.setdefault(phrase, frozenset(t for _, t in toks))
        for phrase in self.exclusions:
            key = max(sorted(self.phrase_words[phrase]), key=lambda w: (w not in _FUNCTION_WORDS, len(w)))
            self.exclusions_by_key.setdefault(key, []).append(phrase)
        self.exclusion_keys = frozenset(self.exclusions_by_key)

    def count(self, low: str, tokens: list[str] | None = None) -> tuple[list[float], int]:
        """Hits per category in lower-cased ``low`` (words and phrases), and its token count."""
        if tokens is None:
            tokens = tokenize(low)
        # Counter and the set intersections run in C; only the (few) lexicon hits are visited here.
        tally = Counter(tokens)
        counts = self._count_tally(low, tally)
        if self.context is not None and any(counts):
            extra = self.context._count_tally(low, tally)
            for k in self.context_open(counts):
                counts[k] += extra[k]
        return counts, len(tokens)

    def own_counts(self, low: str, tokens: Iterable[str]) -> list[float]:
        """Hits per category of its own words and phrases only (no context words)."""
        return self._count_tally(low, Counter(tokens))

    def context_open(self, own: list[float]) -> list[int]:
        """Categories whose context words count, given ``own`` (:meth:`own_counts`): the context gate.

        The one place the rule lives; the counter and the evidence quotes both ask it, so a
        quote never marks a context word the score did not count.
        """
        if self.context is None:
            return []
        return [k for k, c in enumerate(own) if c]

    def _count_tally(self, low: str, tally: Counter[str]) -> list[float]:
        counts = [0.0] * len(self.names)
        for tok in self.word_set.intersection(tally):
            c = tally[tok]
            for k in self.words[tok]:
                counts[k] += c
        keys = tally.keys()
        # ``keys & set`` walks the smaller side (a passage has ~200 distinct tokens, the lexicon
        # ~120 phrase keys and ~20 exclusion keys); ``set.intersection(keys)`` walks every key.
        for key in keys & self.phrase_keys:
            for phrase in self.phrases_by_key[key]:
                if keys >= self.phrase_words[phrase]:
                    n = len(phrase_offsets(low, phrase))
                    for k in self.phrases[phrase]:
                        counts[k] += n
        for ks in self.excluded_words(low, keys).values():
            for k in ks:
                counts[k] = max(0.0, counts[k] - 1)
        return counts

    def excluded_words(self, low: str, keys: AbstractSet[str]) -> dict[int, set[int]]:
        """Word start in lower-cased ``low`` (whose tokens are ``keys``) -> the categories whose hit
        there an exclusion phrase takes back: the counter does not count them, so evidence marks
        skip them too. By position, so two overlapping exclusions ("blood test", "a blood test")
        take a word's hit back once."""
        out: dict[int, set[int]] = {}
        for key in keys & self.exclusion_keys:
            for phrase in self.exclusions_by_key[key]:
                if keys >= self.phrase_words[phrase]:
                    for a in phrase_offsets(low, phrase):
                        for k, starts in self.exclusions[phrase]:
                            for s in starts:
                                out.setdefault(a + s, set()).add(k)
        return out


def _better_profanity_words() -> list[str]:
    # Locate the word list without importing better_profanity (its import builds a word set of its own).
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("better_profanity")
    if spec is None or not spec.submodule_search_locations:
        return []
    try:
        folder = Path(next(iter(spec.submodule_search_locations)))
        text = (folder / "profanity_wordlist.txt").read_text(encoding="utf-8")
    except OSError:
        return []
    return [w.strip().lower() for w in text.splitlines() if w.strip()]


def lexicon_categories(use_better_profanity: bool = True) -> dict[str, list[str]]:
    """Category → entries of the packaged lexicons (plus better-profanity's list as ``profanity_broad``)."""
    categories: dict[str, list[str]] = dict(lexicon_spec()["categories"])
    if use_better_profanity:
        # better-profanity's list also holds words that are not profanity in prose (e.g.
        # drink and drug names); words our own lists file elsewhere are left out, and so are the
        # ones it lists that are not profanity in prose (god, pot, stroke) or name who someone is
        # (gay, lesbian, queer): a story about a gay couple must not read as a profane one.
        elsewhere = {
            w.lower() for name, words in categories.items() if not name.startswith(("profanity", "sex_")) for w in words
        }
        elsewhere |= {w.lower() for words in lexicon_context().values() for w in words}
        elsewhere |= {w.lower() for w in lexicon_spec().get("profanity_broad_exclude", [])}
        categories["profanity_broad"] = [w for w in _better_profanity_words() if w not in elsewhere]
    return categories


@lru_cache(maxsize=4)
def load_lexicon(use_better_profanity: bool = True) -> CompiledLexicon:
    """The packaged lexicons, compiled (cached)."""
    return CompiledLexicon(lexicon_categories(use_better_profanity), lexicon_context(), lexicon_exclusions())


def lexicon_exclusions() -> dict[str, list[str]]:
    """Category -> everyday phrases whose words count nothing for it (``exclude`` in lexicons.json)."""
    return {name: list(phrases) for name, phrases in lexicon_spec().get("exclude", {}).items()}


def lexicon_context() -> dict[str, list[str]]:
    """Category -> words that count for it only beside one of its own words (``context`` in lexicons.json)."""
    return {name: list(words) for name, words in lexicon_spec().get("context", {}).items()}


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


@lru_cache(maxsize=1)
def lexicon_spec() -> dict[str, Any]:
    """``classifier/data/lexicons.json``, parsed once."""
    return dict(json.loads(resources.files("classifier").joinpath("data/lexicons.json").read_text(encoding="utf-8")))


def passage_counts(text: str, spans: list[tuple[int, int]], lexicon: CompiledLexicon) -> tuple[np.ndarray, np.ndarray]:
    """Per passage: lexicon hit counts ``(n, n_categories)`` and word-token counts ``(n,)``."""
    counts = np.zeros((len(spans), len(lexicon.names)))
    words = np.zeros(len(spans))
    for k, (a, b) in enumerate(spans):
        low = normalize_text(text[a:b]).lower()
        c, n = lexicon.count(low, tokenize(low))
        counts[k] = c
        words[k] = n
    return counts, words


#: A density needs enough text behind it: shorter passages count as this many words, so a
#: one-line text with one swear word is not a story full of swearing.
DENSITY_FLOOR = 150.0
#: Pools of each category's per-passage density (per 1,000 words), then interactions, length.
POOLS: tuple[str, ...] = ("story", "max", "top3", "count", "share")
#: A passage "has" a category when its density reaches this (per 1,000 words).
SHARE_DENSITY = 3.0


def story_feature_names(categories: list[str]) -> list[str]:
    """Names of :func:`story_features` columns."""
    names = [f"{c}:{p}" for p in POOLS for c in categories]
    names += [f"{name}:max" for name, _, _ in INTERACTIONS]
    names += ["death:last_third", "log_words"]
    return names


def passage_story_features(counts: np.ndarray, words: np.ndarray, categories: list[str]) -> np.ndarray:
    """:func:`story_features` of every passage taken as a one-passage story, ``(n, n_features)``, vectorised."""
    counts = np.asarray(counts, dtype=float).reshape(-1, len(categories))
    words = np.asarray(words, dtype=float).reshape(-1)
    dens = counts * 1000.0 / np.maximum(words, DENSITY_FLOOR)[:, None]
    ld = np.log1p(dens)
    index = {c: k for k, c in enumerate(categories)}
    inter = [
        np.log1p(np.sqrt(dens[:, index[a]] * dens[:, index[b]])) if a in index and b in index else np.zeros(len(words))
        for _, a, b in INTERACTIONS
    ]
    death = ld[:, index["death"]] if "death" in index else np.zeros(len(words))
    share = (dens >= SHARE_DENSITY).astype(float)
    return np.column_stack([ld, ld, ld, np.log1p(counts), share, *inter, death, np.log1p(words)])


def story_features(counts: np.ndarray, words: np.ndarray, categories: list[str]) -> np.ndarray:
    """One story's content features from its passages' lexicon counts.

    Densities are per 1,000 words with :data:`DENSITY_FLOOR`; pools are the whole-story
    density, the densest passage, the mean of the three densest, the total count and the
    share of passages with the category, all ``log1p``-scaled except the share. Length
    enters once, as ``log(1 + words)``, so the model can learn how length and evidence trade.
    """
    counts = np.asarray(counts, dtype=float).reshape(-1, len(categories))
    words = np.asarray(words, dtype=float).reshape(-1)
    total = float(words.sum())
    if counts.shape[0] == 0:
        counts = np.zeros((1, len(categories)))
        words = np.zeros(1)
    dens = counts * 1000.0 / np.maximum(words, DENSITY_FLOOR)[:, None]
    srt = -np.sort(-dens, axis=0)
    story = counts.sum(axis=0) * 1000.0 / max(total, DENSITY_FLOOR)
    parts = [
        np.log1p(story),
        np.log1p(srt[0]),
        np.log1p(srt[:3].mean(axis=0)),
        np.log1p(counts.sum(axis=0)),
        (dens >= SHARE_DENSITY).mean(axis=0),
    ]
    index = {c: k for k, c in enumerate(categories)}
    inter = [
        float(np.log1p(np.sqrt(dens[:, index[a]] * dens[:, index[b]]).max())) if a in index and b in index else 0.0
        for _, a, b in INTERACTIONS
    ]
    n = dens.shape[0]
    tail = dens[n - max(1, n // 3) :]
    death = float(np.log1p(tail[:, index["death"]].max())) if "death" in index else 0.0
    return np.concatenate([*parts, inter, [death, np.log1p(total)]])
