"""Evidence snippets: the part of a passage that shows why it supports a label."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from classifier.features import (
    TOKEN_RE,
    CompiledLexicon,
    lexicon_spec,
    load_lexicon,
    normalize_in_place,
    phrase_offsets,
    tokenize,
)

#: Lexicon categories whose words show why a passage supports the rating.
RATING_EVIDENCE = (
    "profanity_severe",
    "profanity_moderate",
    "sex_explicit",
    "sex_suggestive",
    "sex_sensual",
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
def evidence_words(label: str, lexicon: CompiledLexicon | None = None) -> frozenset[str]:
    """Lexicon words (exact forms) that bear on ``label`` (in ``lexicon``, default the packaged one)."""
    lex = lexicon or load_lexicon()
    wanted = _category_indices(label, lex)
    return frozenset(w for w, ks in lex.words.items() if wanted.intersection(ks))


@lru_cache(maxsize=64)
def evidence_phrases(label: str, lexicon: CompiledLexicon | None = None) -> frozenset[str]:
    """Lexicon phrases (several words: "body bag", "fifteen years old") that bear on ``label``."""
    lex = lexicon or load_lexicon()
    wanted = _category_indices(label, lex)
    return frozenset(p for p, ks in lex.phrases.items() if wanted.intersection(ks))


@lru_cache(maxsize=64)
def _category_indices(label: str, lexicon: CompiledLexicon | None = None) -> frozenset[int]:
    cats = evidence_categories(label)
    return frozenset(k for k, name in enumerate((lexicon or load_lexicon()).names) if name in cats)


@lru_cache(maxsize=64)
def _context_entries(
    label: str, lexicon: CompiledLexicon | None = None
) -> tuple[tuple[int, frozenset[str], frozenset[str]], ...]:
    """Categories bearing on ``label`` that have context entries: ``(index, words, phrases)`` of each."""
    lex = lexicon or load_lexicon()
    if lex.context is None:
        return ()
    out = []
    for k in sorted(_category_indices(label, lex)):
        words = frozenset(w for w, ks in lex.context.words.items() if k in ks)
        phrases = frozenset(p for p, ks in lex.context.phrases.items() if k in ks)
        if words or phrases:
            out.append((k, words, phrases))
    return tuple(out)


def open_categories(low: str, lexicon: CompiledLexicon | None = None) -> frozenset[int]:
    """Categories whose context entries count in lower-cased ``low`` (the counter's gate).

    Counted from ``low``'s own token list, not a set of its tokens: an everyday phrase takes back
    one hit of its word, so "blood" twice beside one "blood bank" still opens gore.
    """
    lex = lexicon or load_lexicon()
    if lex.context is None:
        return frozenset()
    return frozenset(lex.context_open(lex.own_counts(low, tokenize(low))))


def _open_context(
    label: str,
    low: str,
    opened: frozenset[int] | None = None,
    lexicon: CompiledLexicon | None = None,
) -> list[tuple[int, frozenset[str], frozenset[str]]]:
    gated = _context_entries(label, lexicon)
    if not gated:
        return []
    if opened is None:
        opened = open_categories(low, lexicon)
    return [entry for entry in gated if entry[0] in opened]


def passage_evidence_words(label: str, low: str) -> frozenset[str]:
    """:func:`evidence_words` plus the context words that lower-cased ``low`` counts for ``label``.

    Context words (high, drink) count for their category only where one of its own words occurs,
    as :class:`~classifier.features.CompiledLexicon` counts them; the quote and its marks follow the
    same rule, so "got high on pills" shows *high* and "high marks" shows nothing.
    """
    words = evidence_words(label)
    extra = [w for _, w, _ in _open_context(label, low)]
    return words.union(*extra) if extra else words


#: A position where a TOKEN_RE token may start: not inside a token, nor after its inner ' or -.
_TOKEN_START = re.compile(r"(?<![^\W_])(?<![^\W_]['\-])")


def evidence_spans(
    low: str,
    label: str,
    tokens: Iterable[str] | None = None,
    *,
    opened: frozenset[int] | None = None,
    lexicon: CompiledLexicon | None = None,
    excluded: dict[int, set[int]] | None = None,
) -> list[tuple[int, int]]:
    """``(start, end)`` of the lexicon words and phrases bearing on ``label`` in lower-cased ``low``.

    Words are whole tokens and phrases begin and end on whole tokens, as the counter counts them
    (context entries only where their category's own words occur). Tokens are found in C
    (``findall`` + a set intersection); only the few words present are then located with
    ``str.find``, so no Python loop runs over every token and no regex is compiled per passage.
    Spans are sorted; a word inside a phrase is merged into the phrase. ``opened``
    (:func:`open_categories` of ``low``) spares recounting the gate for each label of a passage,
    as ``excluded`` (:meth:`~classifier.features.CompiledLexicon.excluded_words` of ``low``) spares
    finding its everyday phrases again. ``lexicon`` is the one the scores were counted with (a
    model's own; default the packaged one).
    """
    toks = frozenset(tokenize(low) if tokens is None else tokens)
    lex = lexicon or load_lexicon()
    own = evidence_words(label, lexicon).intersection(toks)
    phrases = _phrases_present(lex, toks, evidence_phrases(label, lexicon))
    context: set[str] = set()
    for _, context_words, context_phrases in _open_context(label, low, opened, lexicon):
        context |= context_words.intersection(toks)
        if lex.context is not None:
            phrases += _phrases_present(lex.context, toks, context_phrases)
    # A word inside an everyday phrase ("blood pressure") counts nothing there for the categories
    # the phrase is listed under: no mark either, unless it still counts for another of the label's.
    if excluded is None:
        excluded = lex.excluded_words(low, toks)
    cats = _category_indices(label, lexicon) if excluded else frozenset()
    spans: list[tuple[int, int]] = []
    for word in own | context:
        pos = low.find(word)
        while pos >= 0:
            m = TOKEN_RE.match(low, pos)
            if m is not None and m.end() - pos == len(word) and _TOKEN_START.match(low, pos):
                gone = excluded.get(pos)
                if not gone or word in context or cats.intersection(lex.words[word]) - gone:
                    spans.append((pos, pos + len(word)))
            pos = low.find(word, pos + 1)
    for phrase in phrases:
        spans.extend((a, a + len(phrase)) for a in phrase_offsets(low, phrase))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _phrases_present(lex: CompiledLexicon, toks: frozenset[str], wanted: frozenset[str]) -> list[str]:
    """Phrases of ``wanted`` all of whose words are among ``toks``: the counter's own test, reached
    through its index by key word, so only the few phrases whose key word occurs are looked at."""
    out = []
    for key in lex.phrase_keys.intersection(toks):
        for phrase in lex.phrases_by_key[key]:
            if phrase in wanted and toks >= lex.phrase_words[phrase]:
                out.append(phrase)
    return out


#: Where a sentence ends: terminal punctuation (with closing quotes or brackets) before
#: whitespace, or a blank line (a paragraph or a scene break without punctuation).
_SENTENCE_END = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s)|\n[ \t]*\n""")


#: Words that a period follows inside a sentence ("Mr. Smith", "e.g. tea"), lower-cased, dots
#: inside kept. "etc." and "a.m." are left out: they end sentences as often as not.
_ABBREVIATIONS = frozenset(
    "mr mrs ms mx dr st prof sr jr mt ft lt col gen capt cpt sgt cmdr rev fr hon gov pres sen rep "
    "vs cf e.g i.e approx".split()
)
#: Longest abbreviation, so the look back before a period stays a few characters.
_ABBREV_MAX = max(len(a) for a in _ABBREVIATIONS)


def _inside_sentence(text: str, lo: int, dot: int) -> bool:
    """Whether the period at ``dot`` ends an abbreviation or an initial ("J. R. Hartley"), not a sentence.

    Only the word before it is read, at most a few characters back, so splitting stays linear.
    """
    if dot - lo > _ABBREV_MAX and text[dot - _ABBREV_MAX - 1 : dot].isalpha():
        return False  # the common case, a word longer than any abbreviation, in one C call
    j = dot
    while j > lo and (text[j - 1].isalpha() or text[j - 1] == "."):
        j -= 1
        if dot - j > _ABBREV_MAX:
            return False  # a longer word: no abbreviation of ours
    word = text[j:dot]
    if len(word) == 1:
        return word.isupper()
    return word.lower() in _ABBREVIATIONS


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentences of ``text[start:end]`` as body offsets, surrounding whitespace left out.

    A period after a title or common abbreviation (``Mr.``, ``Dr.``, ``e.g.``) or an initial
    (``J. R.``) does not end a sentence.
    """
    spans: list[tuple[int, int]] = []
    lo = start
    for m in _SENTENCE_END.finditer(text, start, end):
        if m.group() == "." and _inside_sentence(text, lo, m.start()):
            continue
        spans.append((lo, m.end()))
        lo = m.end()
    spans.append((lo, end))
    out = []
    for a, b in spans:
        piece = text[a:b]
        stripped = piece.strip()
        if stripped:
            a += len(piece) - len(piece.lstrip())
            out.append((a, a + len(stripped)))
    return out


def _shown_len(text: str, start: int, end: int) -> int:
    """Length of ``text[start:end]`` once whitespace is collapsed, as the snippet shows it."""
    return len(" ".join(text[start:end].split()))


def _window(text: str, lo: int, hi: int, hits: list[int], limit: int) -> tuple[int, int]:
    """The ≤``limit``-character stretch of ``text[lo:hi]`` with the most hits, cut at spaces."""
    inside = [h for h in hits if lo <= h < hi] or [lo]
    best_at, best_n, j = inside[0], 0, 0
    for i, h in enumerate(inside):
        while j < len(inside) and inside[j] < h + limit - 20:
            j += 1
        if j - i > best_n:
            best_n, best_at = j - i, h
    # A little context before the first hit, starting at a word.
    a = max(lo, best_at - 40)
    if a > lo:
        space = text.rfind(" ", lo, a)
        a = space + 1 if space >= 0 else a
    b = min(hi, a + limit)
    if b < hi:
        space = text.rfind(" ", a, b)
        b = space if space > a else b
    return a, b


class PassageParts(NamedTuple):
    """What quoting a passage needs whatever the label: its sentences, lower-cased text, tokens,
    the categories whose context words count in it, and where ``low``'s characters come from."""

    sentences: list[tuple[int, int]]
    low: str
    tokens: frozenset[str]
    opened: frozenset[int]
    #: :func:`lower_with_offsets`' map from ``low`` to the passage text; None when offsets agree.
    origin: list[int] | None = None
    #: The lexicon the scores were counted with (None: the packaged one).
    lexicon: CompiledLexicon | None = None
    #: Word start in ``low`` -> categories an everyday phrase takes its hit back from there.
    excluded: dict[int, set[int]] | None = None


def lower_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """``text.lower()``, and where each of its characters comes from in ``text`` when lengths differ.

    Lower-casing a dotted capital İ gives two characters (i and a combining dot), so offsets in
    the lower-cased text drift from offsets in ``text``. The counter reads the lower-cased text as
    it is (the dot splits a token there), so evidence is found in it too and mapped back with
    :func:`to_text_spans`.

    Returns
    -------
    tuple
        The lower-cased text and None when it is as long as ``text`` (offsets are the same);
        otherwise the list ``origin`` with ``origin[j]`` the index in ``text`` of character ``j``
        of the lower-cased text, and ``len(text)`` appended.
    """
    low = text.lower()
    if len(low) == len(text):
        return low, None
    origin = [i for i, c in enumerate(text) for _ in range(len(c.lower()))]
    if len(origin) != len(low):  # no known character does this; keep the offsets exact regardless
        low = "".join(c.lower() for c in text)
    origin.append(len(text))
    return low, origin


def to_text_spans(spans: Iterable[tuple[int, int]], origin: list[int] | None, base: int = 0) -> list[tuple[int, int]]:
    """``spans`` in a :func:`lower_with_offsets` text as offsets in the original text, plus ``base``.

    A span covers every original character one of its characters comes from: a mark on the *i*
    of a lower-cased İ covers the İ.
    """
    if origin is None:
        return [(base + a, base + b) for a, b in spans]
    return [(base + origin[a], base + origin[b - 1] + 1) for a, b in spans]


def passage_parts(
    text: str,
    start: int,
    end: int,
    lexicon: CompiledLexicon | None = None,
    *,
    counted: Iterable[float] | None = None,
) -> PassageParts:
    """The label-independent parts of quoting ``text[start:end]``, to reuse across its labels.

    ``lexicon`` is the one the scores were counted with (a model's own, which may differ from the
    packaged lists it was trained before), so the marks are the hits that model counted.
    ``counted``, the counter's hits per category in this passage, spares counting them again for
    the context gate: a category is open exactly where it counted anything (its context words
    are only added where its own words occur).
    """
    low, origin = lower_with_offsets(normalize_in_place(text[start:end]))
    tokens = frozenset(tokenize(low))
    lex = lexicon or load_lexicon()
    if counted is None:
        opened = open_categories(low, lexicon)
    else:
        opened = frozenset(lex.context_open(list(counted)))
    excluded = lex.excluded_words(low, tokens)
    return PassageParts(sentence_spans(text, start, end), low, tokens, opened, origin, lexicon, excluded)


def passage_marks(
    text: str, start: int, end: int, label: str, *, parts: PassageParts | None = None
) -> list[tuple[int, int]]:
    """Offsets in ``text`` of the lexicon words and phrases bearing on ``label`` that the counter
    counts in the passage ``text[start:end]`` (context entries only where the passage opens their
    category), sorted, a word inside a phrase merged into it: :func:`evidence_spans` mapped back
    onto ``text``."""
    if parts is None:
        parts = passage_parts(text, start, end)
    spans = evidence_spans(
        parts.low, label, parts.tokens, opened=parts.opened, lexicon=parts.lexicon, excluded=parts.excluded
    )
    return to_text_spans(spans, parts.origin, start)


class Quote(NamedTuple):
    """What :func:`quote_marked` quotes: offsets of the quoted text in the story text, the snippet
    shown, and the marks in both (``[start, end)`` pairs, sorted)."""

    start: int
    end: int
    snippet: str
    #: Lexicon hits the counter counts in the passage, inside ``start``-``end``: story offsets.
    marks: tuple[tuple[int, int], ...] = ()
    #: The same marks as offsets into ``snippet``.
    snippet_marks: tuple[tuple[int, int], ...] = ()


def _snippet_marks(
    text: str, qa: int, marks: list[tuple[int, int]], lead: int, collapsed: bool
) -> tuple[tuple[int, int], ...]:
    """``marks`` (in ``text[qa:]``) as offsets into the snippet, which starts with ``lead``
    characters (an ellipsis) of its own and, if ``collapsed``, is shorter than the text it shows."""
    if not collapsed:  # the usual quote: single spaces and line breaks only, each kept as one space
        return tuple((lead + a - qa, lead + b - qa) for a, b in marks)
    out = []
    for a, b in marks:
        # A mark starts on a token, so it sits where an "x" appended to what precedes it lands.
        at = lead + len(" ".join((text[qa:a] + "x").split())) - 1
        out.append((at, at + len(" ".join(text[a:b].split()))))
    return tuple(out)


def quote(
    text: str, start: int, end: int, label: str, limit: int = 200, *, parts: PassageParts | None = None
) -> tuple[int, int, str]:
    """The sentence(s) of a passage that carry ``label``: ``(start, end, snippet)`` with body offsets.

    The sentence with the most lexicon words bearing on ``label`` is taken, then its neighbours
    while they carry such words too and the quote stays within ``limit`` characters; a sentence
    longer than that is cut to its densest stretch, marked with ``…``. Without any such word the
    passage's first sentence is quoted.

    Parameters
    ----------
    text : str
        The story body.
    start, end : int
        The passage's offsets in ``text``.
    label : str
        ``rating`` or a warning id.
    limit : int
        Most characters in the snippet (ellipses included).
    parts : PassageParts, optional
        :func:`passage_parts` of this passage, when it is quoted for several labels.

    Returns
    -------
    tuple
        Offsets of the quoted text in ``text`` and the snippet (whitespace collapsed).
    """
    q = quote_marked(text, start, end, label, limit, parts=parts)
    return q.start, q.end, q.snippet


def quote_marked(
    text: str, start: int, end: int, label: str, limit: int = 200, *, parts: PassageParts | None = None
) -> Quote:
    """:func:`quote`, with the marks: the lexicon hits of :func:`passage_marks` wholly inside the quote.

    The marks are found once, on the story text with the passage's own context gate, so the
    report marks what the counter counted rather than re-reading the snippet (where a collapsed
    line break would join a phrase and the context gate would see the quote, not the passage).

    Parameters
    ----------
    text, start, end, label, limit, parts
        As for :func:`quote`.

    Returns
    -------
    Quote
        The quote's offsets and snippet, and its marks in story offsets and in snippet offsets.
    """
    if parts is None:
        parts = passage_parts(text, start, end)
    sentences = parts.sentences
    if not sentences:
        return Quote(start, start, "")
    spans = passage_marks(text, start, end, label, parts=parts)
    hits = [a for a, _ in spans]
    counts = [bisect.bisect_left(hits, b) - bisect.bisect_left(hits, a) for a, b in sentences]
    best = max(range(len(sentences)), key=lambda k: (counts[k], -k)) if hits else 0
    lo_k = hi_k = best
    if counts[best]:
        while True:
            # Grow towards the neighbour that carries more (the earlier one on a tie).
            options = [k for k in (lo_k - 1, hi_k + 1) if 0 <= k < len(sentences) and counts[k]]
            grown = False
            for k in sorted(options, key=lambda k: -counts[k]):
                a, b = sentences[min(k, lo_k)][0], sentences[max(k, hi_k)][1]
                if _shown_len(text, a, b) <= limit:
                    lo_k, hi_k = min(k, lo_k), max(k, hi_k)
                    grown = True
                    break
            if not grown:
                break
    a, b = sentences[lo_k][0], sentences[hi_k][1]
    if _shown_len(text, a, b) <= limit:
        qa, qb, lead, tail = a, b, "", ""
    else:
        qa, qb = _window(text, a, b, hits, limit - 2)
        lead, tail = "…" if qa > a else "", "…" if qb < b else ""
    body = " ".join(text[qa:qb].split())
    shown = lead + body + tail
    if not spans:
        return Quote(qa, qb, shown)
    # Only whole hits: half a phrase cut by the window is not what the counter counted.
    inside = spans[bisect.bisect_left(hits, qa) : bisect.bisect_left(hits, qb)]
    marks = [(x, y) for x, y in inside if y <= qb]
    return Quote(qa, qb, shown, tuple(marks), _snippet_marks(text, qa, marks, len(lead), len(body) != qb - qa))
