"""Review: header fields that are valid but large must still read in well under a second."""

from __future__ import annotations

import time

from classifier.readers import ReadOptions, read_bytes

BODY = "She walked to the market and bought bread. The morning was quiet and the baker smiled.\n"


def _read_seconds(data: bytes) -> tuple[float, object]:
    opts = ReadOptions()
    opts.get_taxonomy()
    t = time.perf_counter()
    out = list(read_bytes(data, "story.txt", opts))
    return time.perf_counter() - t, out[0]


def test_many_warnings_in_an_authors_note_read_in_linear_time():
    # 2,000 distinct "Warning: ..." declarations in one note (about 30 KB): each used to re-map
    # every term seen so far, so this took minutes.
    note = " ".join(f"Warning: w{i}." for i in range(2000))
    data = f"Author's Note: {note}\n\n{BODY}".encode()
    seconds, story = _read_seconds(data)
    assert seconds < 5  # generous: minutes before
    from classifier.labels import MAX_WARNING_TERMS

    # The first MAX_WARNING_TERMS distinct terms are read; no real header declares more.
    assert story.declared.warnings.unmapped == [f"w{i}" for i in range(MAX_WARNING_TERMS)]  # type: ignore[attr-defined]


def test_one_huge_warnings_term_reads_fast():
    # A single 800 KB term without separators was matched against every taxonomy pattern in full.
    data = ("Warnings: " + "violence " * 90_000 + "\n\n" + BODY).encode()
    seconds, story = _read_seconds(data)
    assert seconds < 5  # generous: 3 s for this one line before
    assert story.declared.warnings.canonical == ["violence"]  # type: ignore[attr-defined]


def test_only_a_terms_first_characters_are_matched():
    from classifier.labels import TERM_MATCH_MAX_CHARS, load_taxonomy

    tax = load_taxonomy()
    assert tax.map_term("x" * (TERM_MATCH_MAX_CHARS - 20) + " violence") == ["violence"]
    assert tax.map_term("x" * TERM_MATCH_MAX_CHARS + " violence") == []


def test_a_warning_repeated_in_a_note_is_listed_once():
    data = f"Author's Note: Warning: angst. Also, warning: angst.\n\n{BODY}".encode()
    _, story = _read_seconds(data)
    assert story.declared.warnings.unmapped == ["angst"]  # type: ignore[attr-defined]


def test_ffn_fiction_k_plus_line_keeps_its_plus():
    # FFN's own story-page line: "K+" was read as "K", "+" became the language, "English" a character.
    data = f"Rated: Fiction K+ - English - Romance - Words: 1,234\n\n{BODY}".encode()
    _, story = _read_seconds(data)
    declared = story.declared  # type: ignore[attr-defined]
    assert declared.rating.raw == "K+" and declared.rating.scale == "ffn"
    assert declared.language == "English"
    assert declared.tags["characters"] == [] and declared.tags["genres"] == ["Romance"]
