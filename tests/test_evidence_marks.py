"""Evidence marks: the lexicon hits the counter counts in a passage, carried in the evidence record
and shown by the report as they are, never found again in the snippet."""

import itertools
import random
import re
from collections import Counter

import pytest

from classifier.features import TOKEN_RE, lexicon_spec, load_lexicon, normalize_text, phrase_offsets, split_passages
from classifier.modeling.evidence import evidence_categories, quote, quote_marked
from classifier.modeling.prediction import Evidence
from classifier.report import ReportBuilder, highlight
from tests.test_report import DEFAULT, parse, record, verdict

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
    # Exclusions: inside each occurrence of an everyday phrase ("blood test"), the words of the
    # categories it is listed under count nothing for them (a phrase hit is not a word hit).
    for phrase, listed in lex.exclusions.items():
        if lex.phrase_words[phrase] <= present:
            for x in phrase_offsets(low, phrase):
                gone = {k for k, _ in listed}
                own = [
                    (a, b, tuple(k for k in ks if k not in gone))
                    if x <= a and b <= x + len(phrase) and " " not in low[a:b]
                    else (a, b, ks)
                    for a, b, ks in own
                ]
    own = [h for h in own if h[2]]
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
    phrases = sorted(lex.phrases) + sorted(lex.exclusions)
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


# -- the report shows the record's marks --------------------------------------------------------------------------


def shown(text: str, label: str = "rating") -> str:
    """The quote of the one-passage ``text`` as the report shows it, through the evidence record."""
    q = quote_marked(text, 0, len(text), label)
    ev = Evidence(0, len(text), 0.9, q.snippet, label, q.start, q.end, q.marks, q.snippet_marks).to_dict()
    return str(highlight(ev["snippet"], label, ev["snippet_marks"]))


def test_a_phrase_split_by_a_line_break_is_not_marked():
    assert shown("The medics zipped the dead man into the body\nbag.") == (
        "The medics zipped the <mark>dead</mark> man into the body bag."
    )
    assert shown("The medics zipped the dead man into the body bag.") == (
        "The medics zipped the <mark>dead</mark> man into the <mark>body bag</mark>."
    )


def test_a_context_word_is_marked_when_its_passage_holds_the_category_word():
    text = "She had thought about suicide for a week. Nobody noticed a thing that spring. At dawn she jumped off the bridge."
    for label in ("self_harm", "rating"):
        assert shown(text, label) == "She had thought about <mark>suicide</mark> for a week."
    # a passage without the category's own word: the gate is shut, as the counter's is
    q = quote_marked(text, text.index("At dawn"), len(text), "self_harm")
    assert q.snippet == "At dawn she jumped off the bridge." and q.marks == ()
    text = text.replace("the bridge.", "the bridge and died.")
    assert shown(text, "self_harm") == "At dawn she <mark>jumped off</mark> the bridge and <mark>died</mark>."


def test_a_dotted_capital_i_keeps_marks_on_their_words():
    text = "In İzmir the medics zipped the dead man into the body bag."
    assert shown(text) == "In İzmir the medics zipped the <mark>dead</mark> man into the <mark>body bag</mark>."
    q = quote_marked(text, 0, len(text), "rating")
    assert [text[a:b] for a, b in q.marks] == ["dead", "body bag"]
    # the counter splits "i̇blood" at the dot and counts "blood": the mark covers what it came from
    text = "İBLOOD ran down the İzmir road."
    assert shown(text) == "İ<mark>BLOOD</mark> ran down the İzmir road."


def test_the_report_marks_the_record_offsets_and_rescans_only_records_without_them():
    rec = record(1)
    snippet = "He drew the knife, and blood ran. The body\nbag."
    ev = {"start": 0, "end": 60, "score": 0.9, "quote_start": 0, "quote_end": 47}
    rec["audit"]["verdicts"][0]["evidence"] = [
        {**ev, "snippet": " ".join(snippet.split()), "snippet_marks": [[23, 28]]}
    ]
    rec["audit"]["verdicts"].append(
        dict(
            verdict("missing-warning:violence", "violence", 0.9),
            evidence=[{**ev, "quote_start": 100, "snippet": "İ blood"}],
        )
    )
    b = ReportBuilder()
    b.add(rec)
    html = b.render()
    # what the record marks, not the "body bag" that the snippet's collapsed line break shows
    assert "He drew the knife, and <mark>blood</mark> ran. The body bag." in html
    assert "İ <mark>blood</mark>" in html  # an older record: found in the snippet, at the right place
    # marks a record cannot hold are left out, not shown wrong
    assert str(highlight("a b", "rating", [[0, 9], [2, 3], [2, 3], [-1, 1]])) == "a <mark>b</mark>"


@pytest.mark.skipif(not (DEFAULT / "model_card.json").exists(), reason="no default model")
def test_scored_records_carry_the_marks_the_report_shows():
    import classifier

    text = (
        "She had thought about suicide for a week. Nobody noticed a thing that spring.\n\n"
        "In İzmir, at dawn, she jumped off the bridge and died; they zipped the dead girl into the body\nbag."
    )
    pred = classifier.load_model().score(text).to_dict()
    rec = record(1)
    rec["audit"]["verdicts"][0]["evidence"] = pred["evidence"]["rating"]
    b = ReportBuilder()
    b.add(rec)
    html = b.render()
    (ev,) = pred["evidence"]["rating"]
    assert [text[a:b] for a, b in ev["marks"]] == ["jumped off", "died", "dead"]
    assert "she <mark>jumped off</mark> the bridge and <mark>died</mark>" in html
    assert "the <mark>dead</mark> girl into the body bag." in html
    assert parse(html).visible.count("jumped off") == 1


@pytest.mark.parametrize("marks", [[[0, "a"]], [[0, 1, 2]], [[None, 1]], 5, "ab", [[0.5, 3.7]], [[True, 1]], [3]])
def test_report_skips_malformed_marks_from_a_record_written_elsewhere(marks):
    assert str(highlight("a <b>", "rating", marks)) == "a &lt;b&gt;"


def test_the_counters_hits_open_the_same_context_gate_as_counting_again():
    # The scorer hands evidence its own counts; the gate they give must be the one recounting gives.
    from classifier.features import passage_counts
    from classifier.modeling.evidence import passage_parts

    rng = random.Random(7)
    lex = load_lexicon()
    opened = 0
    for _ in range(60):
        text = _random_text(rng)
        spans = split_passages(text, 40, 80) or [(0, len(text))]
        counts, _ = passage_counts(text, spans, lex)
        for (a, b), row in zip(spans, counts, strict=True):
            fresh = passage_parts(text, a, b, lex)
            given = passage_parts(text, a, b, lex, counted=row)
            assert given.opened == fresh.opened
            opened += len(given.opened)
    assert opened > 100


def test_the_gate_counts_every_occurrence_as_the_counter_does():
    # Two "blood" and one "blood bank": the phrase takes back one hit, so gore still counts one.
    from classifier.modeling.evidence import open_categories

    lex = load_lexicon()
    low = "she gave at the blood bank. later there was blood on the floor."
    counts, _ = lex.count(low)
    gore = lex.names.index("gore")
    assert counts[gore] == 1
    assert gore in open_categories(low, lex)
    assert gore not in open_categories("she gave at the blood bank.", lex)
