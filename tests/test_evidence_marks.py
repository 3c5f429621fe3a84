"""Evidence marks: the lexicon hits the counter counts in a passage, carried in the evidence record."""

import itertools
import random
import re
from collections import Counter

import pytest

from classifier.features import TOKEN_RE, lexicon_spec, load_lexicon, normalize_text, phrase_offsets, split_passages
from classifier.modeling.evidence import evidence_categories, quote, quote_marked

LABELS = ["rating", *(k for k in lexicon_spec().get("head_features", {}) if k != "about")]


def counted_hits(passage: str) -> list[tuple[int, int, frozenset[int]]]:
    """Every word and phrase occurrence the counter counts in ``passage``, with its categories, as
    ``(start, end)`` offsets in ``passage``: found here token by token and phrase by phrase, and
    checked against the counter's own tallies so the reference cannot drift from it."""
    lex = load_lexicon()
    low = normalize_text(passage).lower()
    # Where each character of the counter's text comes from (an em dash widens, an İ doubles).
    origin = [i for i, c in enumerate(passage) for _ in normalize_text(c).lower()]
    assert len(origin) == len(low)
    tokens = [(m.start(), m.end(), m.group()) for m in TOKEN_RE.finditer(low)]
    present = {t for *_, t in tokens}

    def occurrences(words, phrases, phrase_words):
        for a, b, tok in tokens:
            if tok in words:
                yield a, b, words[tok]
        for phrase, ks in phrases.items():
            if phrase_words[phrase] <= present:
                for a in phrase_offsets(low, phrase):
                    yield a, a + len(phrase), ks

    own = list(occurrences(lex.words, lex.phrases, lex.phrase_words))
    tally = Counter(k for *_, ks in own for k in ks)
    opened = set(lex.context_open([float(tally[k]) for k in range(len(lex.names))]))
    hits = own
    if lex.context is not None:
        ctx = lex.context
        extra = [
            (a, b, tuple(k for k in ks if k in opened))
            for a, b, ks in occurrences(ctx.words, ctx.phrases, ctx.phrase_words)
        ]
        hits += [h for h in extra if h[2]]
    total = Counter(k for *_, ks in hits for k in ks)
    assert [float(total[k]) for k in range(len(lex.names))] == lex.count(low)[0]
    return sorted((origin[a], origin[b - 1] + 1, frozenset(ks)) for a, b, ks in hits)


def check_marks(text: str, start: int, end: int, label: str) -> int:
    """Assert the quote's marks are exactly the counted hits inside it; the number of marks."""
    lex = load_lexicon()
    cats = {k for k, name in enumerate(lex.names) if name in evidence_categories(label)}
    q = quote_marked(text, start, end, label)
    assert (q.start, q.end, q.snippet) == quote(text, start, end, label)
    hits = [(start + a, start + b) for a, b, ks in counted_hits(text[start:end]) if ks & cats]
    inside = [(a, b) for a, b in hits if q.start <= a and b <= q.end]
    marks = list(q.marks)
    assert marks == sorted(marks) and all(b <= c for (_, b), (c, _) in itertools.pairwise(marks))
    # every counted occurrence in the quote is marked ...
    for a, b in inside:
        assert any(x <= a and b <= y for x, y in marks), (text[a:b], marks)
    # ... and every mark is counted occurrences, end to end (a word inside a phrase is the phrase's)
    for x, y in marks:
        assert q.start <= x < y <= q.end
        cover = sorted((a, b) for a, b in inside if x <= a and b <= y)
        assert cover and cover[0][0] == x, text[x:y]
        reach = x
        for a, b in cover:
            assert a <= reach or a < max(b for _, b in cover if _ < a), text[x:y]
            reach = max(reach, b)
        assert reach == y, text[x:y]
    # the same marks in the snippet show the same words
    assert len(q.snippet_marks) == len(marks)
    for (x, y), (sa, sb) in zip(marks, q.snippet_marks, strict=True):
        assert q.snippet[sa:sb] == " ".join(text[x:y].split())
    return len(marks)


HAND_WRITTEN = [
    "The medics zipped the dead man into the body\nbag. Later the body bag was gone.",
    "She had thought about suicide for a week. Nobody noticed a thing that spring. At dawn she jumped off the bridge.",
    "They jumped off the pier into the sea. The water was cold and nobody died.",
    "In İzmir the medics zipped the dead man into the body bag. İBLOOD and blood, İ.",
    "He got high on the pills\u2014then smoked a joint. High marks, she said, \u201cdon\u2019t tell.\u201d",
    "What the fuck\u2019s going on? Fuck. SHIT, she said, re-fuck and fuck-up. Her self\u2013harm scars.",
    "  Blood   pooled,\n\n\tthe  knife   in his\nhand.  He was dead.  ",
    "ΑΣ ΑΣ blood. " * 3 + "Ὰ\u0345 killed, grave.",
]


@pytest.mark.parametrize("text", HAND_WRITTEN)
def test_marks_are_the_counted_hits_in_hand_written_texts(text):
    assert sum(check_marks(text, 0, len(text), label) for label in LABELS) > 0


def _random_text(rng: random.Random) -> str:
    lex = load_lexicon()
    words = sorted(lex.words)
    phrases = sorted(lex.phrases)
    context = sorted({*lex.context.words, *lex.context.phrases}) if lex.context else []
    filler = "the a she he it was and said quietly garden tea rain over under İstanbul \u0130 x".split()
    seps = [" "] * 12 + [
        "  ",
        "\n",
        "\n\n",
        "\t",
        ", ",
        ". ",
        "! ",
        "? ",
        "\u2014",
        " \u2014 ",
        "-",
        "'",
        "\u2019",
        '"',
    ]
    out = []
    for _ in range(rng.randint(5, 250)):
        r = rng.random()
        if r < 0.2:
            w = rng.choice(words)
        elif r < 0.3:
            w = rng.choice(phrases)
            w = re.sub(" ", lambda _: rng.choice([" ", " ", " ", "\n", "  "]), w)
        elif r < 0.4 and context:
            w = rng.choice(context)
        else:
            w = rng.choice(filler)
        if rng.random() < 0.15:
            w = w.upper() if rng.random() < 0.5 else w.capitalize()
        out.append(w + rng.choice(seps))
    return "".join(out)


def test_marks_are_the_counted_hits_in_random_texts():
    rng = random.Random(20261208)
    marked = 0
    for _ in range(150):
        text = _random_text(rng)
        for start, end in split_passages(text, 40, 80) or [(0, len(text))]:
            for label in LABELS:
                marked += check_marks(text, start, end, label)
    assert marked > 1000


def test_marks_map_onto_snippets_cut_and_collapsed():
    body = (
        "It went on,\t\t" + "and  on, " * 60 + "until the blood and the  body\nbag and the body bag " + "and on, " * 60
    )
    q = quote_marked(body, 0, len(body), "rating")
    assert q.snippet.startswith("…") and q.snippet.endswith("…") and "the body bag and the body bag" in q.snippet
    assert [body[a:b] for a, b in q.marks] == ["blood", "body bag"]
    assert [q.snippet[a:b] for a, b in q.snippet_marks] == ["blood", "body bag"]
    assert q.snippet_marks[1][0] == q.snippet.rindex("body bag")
