"""Where evidence sentences end: abbreviations and initials do not end them."""

import time

import pytest

from classifier.modeling.evidence import quote, sentence_spans


def _sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text, 0, len(text))]


@pytest.mark.parametrize(
    "sentence",
    [
        "Mr. Smith said the blood on the steps was still wet.",
        "Mrs. Okafor and Ms. Lund found the blood by the gate.",
        "Dr. Ng cleaned the blood from the cut on his arm.",
        "The blood ran down St. Mary's steps in the rain.",
        "Some things, e.g. the blood on the rail, were never explained.",
        "That is, i.e. the blood, was what the police wanted.",
        "J. R. Hartley saw the blood first.",
        "They read the letter from Prof. Ivanova about the blood.",
    ],
)
def test_abbreviations_and_initials_do_not_end_a_sentence(sentence):
    text = "The lane was quiet. " + sentence + " Nobody spoke after that."
    assert _sentences(text) == ["The lane was quiet.", sentence, "Nobody spoke after that."]
    a, b, shown = quote(text, 0, len(text), "violence")
    assert shown == text[a:b] == sentence


@pytest.mark.parametrize(
    "text, expected",
    [
        ("She said no. Then she left.", ["She said no.", "Then she left."]),
        ("They stopped, etc. The road went on.", ["They stopped, etc.", "The road went on."]),
        ("It was over by ten p.m. He slept.", ["It was over by ten p.m.", "He slept."]),
        ('"Come in, Dr." She waited.', ['"Come in, Dr."', "She waited."]),
        ("Ask Dr. Ng.\n\nShe left.", ["Ask Dr. Ng.", "She left."]),
        ("He asked Mr.\n\nNo answer came.", ["He asked Mr.", "No answer came."]),
    ],
    ids=["no", "etc", "pm", "quoted", "paragraph", "abbreviation-before-a-blank-line"],
)
def test_other_periods_still_end_sentences(text, expected):
    assert _sentences(text) == expected


def test_splitting_stays_linear_on_runs_of_abbreviations_and_initials():
    def elapsed(n: int) -> float:
        text = ("Mr. " * n) + ("A. " * n) + ("e.g. " * n) + ("abcdefghij. " * n)
        start = time.perf_counter()
        spans = sentence_spans(text, 0, len(text))
        took = time.perf_counter() - start
        assert len(spans) == n  # all up to the first "abcdefghij." is one sentence
        return took

    elapsed(1_000)  # warm up
    t1 = elapsed(50_000)
    t4 = elapsed(200_000)
    assert t1 < 5 and t4 < 10 * t1 + 0.5, (t1, t4)
