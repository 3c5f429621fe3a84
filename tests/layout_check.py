"""Read the plain-text layouts in ``tests/layouts`` and say which are read right.

    .venv/bin/python -m tests.layout_check [-v]

A layout is read right when its declared rating, its warnings (status and canonical ids)
and its body (within 5% of the story's words, first and last lines kept) are what
``tests/layouts/expected.json`` says. Every layout is text we wrote ourselves.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from classifier.readers import read_text
from classifier.story import count_words

LAYOUTS = Path(__file__).resolve().parent / "layouts"


def expected() -> dict[str, dict]:
    """The expectations per layout file name."""
    return json.loads((LAYOUTS / "expected.json").read_text(encoding="utf-8"))


def problems(name: str, want: dict) -> list[str]:
    """What the reader gets wrong on one layout (empty when it is read right)."""
    text = (LAYOUTS / name).read_text(encoding="utf-8")
    story = read_text(text, name)
    out: list[str] = []
    rating = story.declared.rating.canonical if story.declared.rating else None
    if rating != want["rating"]:
        out.append(f"rating {rating!r}, want {want['rating']!r}")
    warnings = story.declared.warnings
    if warnings.status != want["status"] or sorted(warnings.canonical) != want["warnings"]:
        out.append(f"warnings {warnings.status} {sorted(warnings.canonical)}, want {want['status']} {want['warnings']}")
    start = text.find(want["body_first"])
    stop = text.rfind(want["body_last"]) + len(want["body_last"])
    true_words = count_words(text[start:stop])
    if abs(story.body_words - true_words) > 0.05 * true_words:
        out.append(f"body {story.body_words} words, want {true_words} ± 5%")
    if want["body_first"] not in story.body or want["body_last"] not in story.body:
        out.append("body does not keep the story's first and last lines")
    return out


def main() -> None:
    verbose = "-v" in sys.argv
    cases = expected()
    right = 0
    for name, want in cases.items():
        found = problems(name, want)
        right += not found
        if found or verbose:
            print(f"{'ok  ' if not found else 'MISS'} {name}: {'; '.join(found)}")
    print(f"{right}/{len(cases)} layouts read right")


if __name__ == "__main__":
    main()
