"""Evidence snippets: the part of a passage that shows why it supports a label."""

from __future__ import annotations

import re
from functools import lru_cache

from classifier.features import TOKEN_RE, lexicon_spec, load_lexicon

#: Lexicon categories whose words show why a passage supports the rating.
RATING_EVIDENCE = (
    "profanity_severe",
    "profanity_moderate",
    "sex_explicit",
    "sex_suggestive",
    "gore",
    "violence",
    "substance_drugs",
    "self_harm",
    "death",
    "nonconsent",
)


def snippet(text: str, start: int, end: int, limit: int = 200) -> str:
    """At most ``limit`` characters of the span, whitespace collapsed, cut at a word."""
    s = " ".join(text[start:end].split())
    if len(s) <= limit:
        return s
    cut = s[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def evidence_categories(label: str) -> set[str]:
    """Lexicon categories that bear on ``label`` (a warning id or ``rating``)."""
    if label == "rating":
        return set(RATING_EVIDENCE)
    return set(lexicon_spec().get("head_features", {}).get(label, []))


@lru_cache(maxsize=64)
def evidence_words(label: str) -> frozenset[str]:
    """Lexicon words (exact forms) that bear on ``label``."""
    lex = load_lexicon()
    cats = evidence_categories(label)
    wanted = {k for k, name in enumerate(lex.names) if name in cats}
    return frozenset(w for w, ks in lex.words.items() if wanted.intersection(ks))


#: A position where a TOKEN_RE token may start: not inside a token, nor after its inner ' or -.
_TOKEN_START = re.compile(r"(?<![^\W_])(?<![^\W_]['\-])")


def evidence_hits(low: str, label: str) -> list[int]:
    """Offsets of the lexicon words bearing on ``label`` in lower-cased ``low``, as whole tokens.

    Tokens are found in C (``findall`` + a set intersection); only the few words present are
    then located with ``str.find``, each occurrence checked to be a whole token, so no Python
    loop runs over every token and no regex is compiled per passage.
    """
    present = evidence_words(label).intersection(TOKEN_RE.findall(low))
    hits: list[int] = []
    for word in present:
        pos = low.find(word)
        while pos >= 0:
            m = TOKEN_RE.match(low, pos)
            if m is not None and m.end() - pos == len(word) and _TOKEN_START.match(low, pos):
                hits.append(pos)
            pos = low.find(word, pos + 1)
    return sorted(hits)


def best_snippet(text: str, start: int, end: int, label: str, limit: int = 200) -> str:
    """The ≤``limit``-character window of the passage with the most words bearing on ``label``."""
    passage = text[start:end]
    hits = evidence_hits(passage.lower(), label)
    if not hits:
        return snippet(passage, 0, len(passage), limit)
    best_lo, best_n = hits[0], 0
    j = 0
    for i, lo in enumerate(hits):
        while j < len(hits) and hits[j] < lo + limit - 20:
            j += 1
        if j - i > best_n:
            best_n, best_lo = j - i, lo
    # Start at the beginning of the word just before the densest window.
    lo = max(0, best_lo - 40)
    lo = passage.rfind(" ", 0, lo) + 1 if lo > 0 else 0
    return ("…" if lo > 0 else "") + snippet(passage, lo, len(passage), limit - (1 if lo > 0 else 0))
