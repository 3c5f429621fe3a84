"""A header's last field followed by story with no blank line: the story is not read into the field.

Rule (classifier.readers.text._continue_multiline / _continue_list): below the header's last
field, the first line that reads as prose starts the body, unless the line above it ends in
a comma (or ``;``, ``&``, ``/``, a dash). A summary keeps every line to the blank line, and so
does any field that a later field line follows. Every text here is written for these tests.
"""

import time

import pytest

from classifier.headers import reads_as_prose
from tests.conftest import read_one

RAIN = "The rain had not stopped for days.\nShe lit the lantern anyway.\n"
LATER = "\nBy morning the harbour was full of boats, and nobody asked where she had been.\n"


def _body_starts_with_the_rain(story):
    assert story.body.startswith("The rain had not stopped for days."), story.body[:80]
    assert "She lit the lantern anyway." in story.body


# -- prose run on below the last field ends the header --------------------------------------
def test_a_two_word_sentence_below_archive_warnings_is_story():
    s = read_one(
        "Title: Run\nRating: Teen And Up Audiences\nArchive Warnings: Graphic Depictions Of Violence\nHe ran.\n" + RAIN
    )
    assert s.declared.warnings.canonical == ["violence"] and s.declared.warnings.unmapped == []
    assert s.body.startswith("He ran.\nThe rain had not stopped")


@pytest.mark.parametrize(
    ("field", "line", "warning"),
    [("Warnings: swearing", "There is rape.", "rape_noncon"), ("Warnings: none", "There is self-harm.", "self_harm")],
)
def test_a_short_author_line_below_warnings_stays_a_warning(field, line, warning):
    s = read_one(f"Title: Run\nRating: Teen And Up Audiences\n{field}\n{line}\n" + RAIN)
    assert warning in s.declared.warnings.canonical
    _body_starts_with_the_rain(s)


def test_a_short_disclaimer_line_stays_in_the_disclaimer():
    s = read_one("Title: Run\nRating: T\nDisclaimer: The characters belong to their creators.\nI own nothing.\n" + RAIN)
    assert "I own nothing." in s.declared.raw["Disclaimer"]
    _body_starts_with_the_rain(s)


def test_prose_below_archive_warnings_is_story_not_warnings():
    s = read_one(
        "Title: The Lantern\nRating: Teen And Up Audiences\nArchive Warnings: No Archive Warnings Apply\n"
        + RAIN
        + LATER
    )
    assert s.title == "The Lantern"
    assert s.declared.rating.canonical == "teen"
    assert s.declared.warnings.status == "none"
    assert s.declared.warnings.raw == ["No Archive Warnings Apply"]
    assert s.declared.raw["Archive Warnings"] == "No Archive Warnings Apply"
    _body_starts_with_the_rain(s)


def test_dialogue_below_warnings_is_story():
    s = read_one('Rating: Mature\nWarnings: violence\n"Get down!" Mara shouted.\nShe lit the lantern anyway.\n')
    assert s.declared.warnings.raw == ["violence"]
    assert s.body.startswith('"Get down!" Mara shouted.')


@pytest.mark.parametrize(
    "field",
    ["Notes: Thanks to my beta.", "A/N: My first fic!", "Disclaimer: I own nothing but the lantern."],
    ids=["notes", "a-n", "disclaimer"],
)
def test_prose_below_a_note_or_disclaimer_is_story(field):
    s = read_one("Title: The Lantern\nRating: Mature\n" + field + "\n" + RAIN + LATER)
    label, value = field.split(": ", 1)
    assert s.declared.raw[label] == value
    _body_starts_with_the_rain(s)


def test_ffn_line_then_a_disclaimer_then_story():
    s = read_one(
        "The Lantern\nBy: a writer\nRated: Fiction T - English - Angst/Drama - Mara - Words: 1,200 - Complete\n"
        "Disclaimer: The lighthouse is not mine.\n" + RAIN + LATER
    )
    assert s.format == "ffn-txt"
    assert s.declared.rating.canonical == "teen"
    assert s.declared.raw["Disclaimer"] == "The lighthouse is not mine."
    _body_starts_with_the_rain(s)


def test_a_story_whose_first_line_warns_is_not_a_declaration():
    # Before the fix, "Rated" and "warning" in the story's first lines were scanned as the note's.
    s = read_one(
        "Rating: General Audiences\nNotes: For my sister.\nThe sign said the bridge was rated unsafe. Warning: rocks.\n"
    )
    assert s.declared.raw["Notes"] == "For my sister."
    assert s.declared.warnings.status == "absent"
    assert s.body.startswith("The sign said")


# -- wrapped values keep working --------------------------------------------------------------
def test_ao3_style_header_with_wrapped_tags_then_story():
    s = read_one(
        "Rating: Mature\nArchive Warning: Graphic Depictions Of Violence\nCategory: F/F\nFandom: Original Work\n"
        "Relationship: Mara/Ines\nCharacters: Mara, Ines\nAdditional Tags: Angst, Hurt/Comfort,\n"
        "  Fluff, Happy Ending\n" + RAIN + LATER
    )
    assert s.declared.tags["freeform"] == ["Angst", "Hurt/Comfort", "Fluff", "Happy Ending"]
    assert s.declared.raw["Additional Tags"] == "Angst, Hurt/Comfort, Fluff, Happy Ending"
    assert s.declared.warnings.canonical == ["violence"]
    _body_starts_with_the_rain(s)


def test_tags_wrapped_after_a_comma_onto_an_unindented_line():
    s = read_one("Rating: Teen\nTags: Angst, Lighthouses,\nFound Family, Slow Burn\n\n" + RAIN)
    assert s.declared.tags["freeform"] == ["Angst", "Lighthouses", "Found Family", "Slow Burn"]
    _body_starts_with_the_rain(s)


def test_an_indented_sentence_below_characters_is_story():
    s = read_one("Rating: Teen\nCharacters: Mara, Ines\n    She ran to the harbour wall.\n" + RAIN)
    assert s.declared.tags["characters"] == ["Mara", "Ines"]
    assert s.body.lstrip().startswith("She ran to the harbour wall.")


@pytest.mark.parametrize(
    "warnings",
    [
        "Archive Warnings: Graphic Depictions Of Violence,\nMajor Character Death\n",
        "Archive Warnings: Graphic Depictions Of Violence, Major\nCharacter Death.\n",
        "Warnings: Graphic Depictions Of Violence,\nMajor character death, and the lantern goes out.\n",
    ],
    ids=["after-comma", "mid-term", "sentence-after-comma"],
)
def test_wrapped_warnings_stay_warnings(warnings):
    s = read_one("Rating: Mature\n" + warnings + RAIN)
    assert sorted(s.declared.warnings.canonical) == ["major_character_death", "violence"]
    _body_starts_with_the_rain(s)


def test_a_summary_last_keeps_its_prose_to_the_blank_line():
    # Summary prose is prose: nothing tells a second line of it from story, so it runs to the blank line.
    s = read_one("Title: The Lantern\nRating: Teen\nSummary: Mara finds a lantern.\nIt does not go out.\n\n" + RAIN)
    assert s.declared.summary == "Mara finds a lantern.\nIt does not go out."
    _body_starts_with_the_rain(s)


def test_a_note_wrapped_after_a_comma_or_lower_case_goes_on():
    s = read_one(
        "Rating: Teen\nNotes: This one is a little different from my usual stories,\n"
        "So please be patient with me. Thank you!\nand thanks to my beta.\n\n" + RAIN
    )
    assert s.declared.raw["Notes"].endswith("Thank you!\nand thanks to my beta.")
    _body_starts_with_the_rain(s)


def test_sentences_of_a_note_that_more_header_follows_stay_in_the_note():
    s = read_one(
        "Notes: Thanks to my beta.\nThis one is for my sister, who wanted a lighthouse.\n"
        "Rating: Explicit\nWarnings: none\n\n" + RAIN
    )
    assert s.declared.raw["Notes"] == "Thanks to my beta.\nThis one is for my sister, who wanted a lighthouse."
    assert s.declared.rating.canonical == "explicit"
    _body_starts_with_the_rain(s)


def test_one_word_sign_off_stays_in_the_note():
    s = read_one("Rating: Teen\nA/N: My first fic!\nEnjoy!~\n" + RAIN)
    assert s.declared.raw["A/N"] == "My first fic!\nEnjoy!~"
    _body_starts_with_the_rain(s)


# -- what reads as prose ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "The rain had not stopped for days.",
        "She lit the lantern anyway!",
        "She ran. He followed.",
        '"Get down!" Mara shouted.',
        "\u201cRun,\u201d she said.",
        "Why would anyone light it now?\u201d",
        "He ran.",
        "The door shut!",
    ],
)
def test_reads_as_prose(line):
    assert reads_as_prose(line)


@pytest.mark.parametrize(
    "line",
    [
        "Major Character Death.",
        "No Archive Warnings Apply",
        "Fluff, Happy Ending",
        "Violence, gore, some swearing.",
        "implied self-harm.",
        "so please be patient with me.",
        "Enjoy!~",
        "She ran",
        "The Mighty Ducks.",
        "I own nothing.",
        "There is gore.",
        "There is rape.",
        "You were warned!",
        "It gets better!",
        "This is crack.",
        "A Sad Ending.",
        "Gore.",
        "",
    ],
)
def test_does_not_read_as_prose(line):
    assert not reads_as_prose(line)


# -- linear time ------------------------------------------------------------------------------
def _seconds(text: str) -> float:
    start = time.perf_counter()
    read_one(text)
    return time.perf_counter() - start


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "Rating: T\nWarnings: a,\n" + "b,\n" * n + "The rain fell on the roof.\n",
        lambda n: "Rating: T\nTags: a,\n" + "b,\n" * n + "The rain fell on the roof.\n",
        lambda n: "Rating: T\nNotes: x\n" + "y " * n + "\nThe rain fell on the roof.\n",
        lambda n: "Rating: T\nNotes: x.\nThe rain fell. " + "A. " * n + "\n",
        lambda n: "Rating: T\nWarnings: x\nA rain" + "." * n + ")" * n + "\n",
        lambda n: "Rating: T\nCharacters: x\n " + "!)" * n + "\n",
    ],
    ids=["wrapped-warnings", "wrapped-tags", "long-note-line", "many-sentences", "dots-then-closers", "marks"],
)
def test_continuation_is_linear(make):
    n = 20_000
    _seconds(make(n))  # warm up
    t1 = _seconds(make(n))
    t4 = _seconds(make(4 * n))
    assert t1 < 5
    assert t4 < 10 * t1 + 1.0, f"{t1:.2f} s at n={n}, {t4:.2f} s at 4n (quadratic?)"
