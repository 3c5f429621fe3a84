"""Every plain-text layout in tests/layouts (text we wrote) is read right: rating, warnings, body."""

import pytest

from tests.layout_check import expected, problems

CASES = expected()


@pytest.mark.parametrize("name", sorted(CASES))
def test_layout_is_read_right(name):
    assert problems(name, CASES[name]) == []


def test_the_layouts_cover_the_families_we_claim():
    # FFN copies and downloads, FanFicFare, AO3 text, front matter, notes first: at least 3 each.
    families = ("ffn-", "fanficfare-", "ao3-", "front-matter-", "yaml-", "an-", "authors-note")
    counts = {f: sum(n.startswith(f) for n in CASES) for f in families}
    assert counts["ffn-"] >= 8 and counts["fanficfare-"] >= 3 and counts["ao3-"] >= 3, counts
    assert counts["front-matter-"] + counts["yaml-"] >= 5 and counts["an-"] + counts["authors-note"] >= 4, counts
    assert len(CASES) >= 40
