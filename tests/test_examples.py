"""Our own examples: what each header declares (the audit tests build on these)."""

import pytest

from classifier.readers import iter_stories
from tests.conftest import EXAMPLES

EXPECTED = {
    "bakery-morning.txt": ("txt", "general", "none", []),
    "storm-watch.md": ("markdown", "teen", "declared", ["strong_language"]),
    "the-last-watch.html": ("ao3-html", "mature", "declared", ["violence", "major_character_death"]),
    "garden-party.html": ("ao3-download-html", "general", "none", []),
    "quiet-harbour.txt": ("fanficfare-txt", "teen", "none", []),
    "rooftop.txt": ("ffn-txt", "general", "absent", []),
    "letters-home.txt": ("txt", "teen", "declared", ["violence", "strong_language"]),
    "library-cat.txt": ("txt", None, "absent", []),
}


def test_examples_are_what_we_wrote():
    assert sorted(p.name for p in EXAMPLES.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_headers(name):
    fmt, rating, status, warnings = EXPECTED[name]
    (s,) = list(iter_stories([str(EXAMPLES / name)]))
    assert s.format == fmt
    assert (s.declared.rating.canonical if s.declared.rating else None) == rating
    assert s.declared.warnings.status == status
    assert s.declared.warnings.canonical == warnings
    assert 200 < s.body_words < 1000
    # The header never leaks into the body.
    for marker in ("Rating:", "Rated:", "Warnings:", "A/N:", "Summary"):
        assert marker not in s.body[:200]


HANDWRITTEN = EXAMPLES.parent / "handwritten"


def test_handwritten_stories_declare_the_band_their_names_give():
    """data/handwritten: each story's Rating line is the band in its file name, read as a header
    (so ``ficrate evaluate data/handwritten`` scores them against it), and none leaks into the body."""
    files = sorted(HANDWRITTEN.glob("*.txt"))
    assert len(files) == 37
    stories = list(iter_stories([str(f) for f in files]))
    assert [s.path.rsplit("/", 1)[-1] for s in stories] == [f.name for f in files]
    for s in stories:
        band = s.path.rsplit("/", 1)[-1].split("_")[1]
        assert s.declared.rating is not None and s.declared.rating.canonical == band, s.path
        assert not s.body.startswith("Rating") and s.body_words >= 5
