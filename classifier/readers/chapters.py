"""Chapter assembly: a story body and the :class:`~classifier.story.Chapter` spans in it.

Two shapes of input: page readers hand over units already cut into chapters (AO3 and FFN
pages); the plain-text reader hands over lines in which standalone headings mark chapters.
"""

from __future__ import annotations

import re

from classifier.story import Chapter

_CHAPTER_RE = re.compile(
    r"^\s*(?:#+\s*)?(?:chapter|ch\.|part|book)\s+"
    r"(?:\d+|[ivxlc]+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty[- \w]*)\b\s*(?:[:.\-–—]\s*.{0,100})?$"
    r"|^\s*(?:#+\s*)?(?:prologue|epilogue|interlude)\b\s*(?:[:.\-–—]\s*.{0,100})?$",
    re.I,
)


_LANDMARK_RE = re.compile(r"^\s*(?:chapter text|work text)\s*:?\s*$", re.I)
#: The first character of every line the two patterns can match: most paragraphs are
#: turned away by this one test, before any splitting or matching.
_HEADING_FIRST = frozenset("#cCpPbBeEiI\u0130\u0131")  # with the dotted and dotless i re.I folds to i


def is_chapter_heading(line: str) -> bool:
    """A standalone chapter title line (``Chapter 3: Return``, ``Prologue``, ``## Heading``)."""
    s = line.strip()
    if not s or s[0] not in _HEADING_FIRST or len(s.split()) > 14:
        return False
    return bool(_CHAPTER_RE.match(s)) or bool(re.match(r"^#{1,3}\s+\S", s))


def join_units(units: list[tuple[str | None, str]]) -> tuple[str, list[Chapter]]:
    """Join ``(chapter title, text)`` units with blank lines; a lone untitled unit has no chapters."""
    body_parts: list[str] = []
    chapters: list[Chapter] = []
    pos = 0
    for title, text in units:
        if not text:
            continue
        if body_parts:
            pos += 2
        chapters.append(Chapter(title=title, start=pos, end=pos + len(text)))
        body_parts.append(text)
        pos += len(text)
    body = "\n\n".join(body_parts)
    if len(chapters) == 1 and chapters[0].title is None:
        chapters = []
    return body, chapters


def lift_headings(lines: list[str]) -> tuple[str, list[Chapter]]:
    """Join body lines, lifting standalone chapter headings out into :class:`Chapter` spans.

    A heading counts when it stands alone between blank lines; the body is stripped and the
    spans index the stripped body.
    """
    parts: list[str] = []
    chapters: list[Chapter] = []
    pos = 0
    current_title: str | None = None
    current_start = 0
    prev_blank = True
    for idx, ln in enumerate(lines):
        next_blank = idx + 1 >= len(lines) or not lines[idx + 1].strip()
        if prev_blank and next_blank and ln.lstrip()[:1] in ("c", "C", "w", "W") and _LANDMARK_RE.match(ln):
            continue  # AO3's "Chapter Text" landmark above each chapter, copied as text
        if prev_blank and next_blank and is_chapter_heading(ln):
            if chapters or current_title is not None or pos > 0:
                chapters.append(Chapter(title=current_title, start=current_start, end=pos))
            current_title = ln.strip().lstrip("#").strip()
            current_start = pos
            prev_blank = True
            continue
        parts.append(ln)
        pos += len(ln) + 1
        prev_blank = not ln.strip()
    body = "\n".join(parts)
    lead = len(body) - len(body.lstrip())
    body = body.strip()
    if chapters or current_title is not None:
        chapters.append(Chapter(title=current_title, start=current_start, end=pos))
        chapters = [
            Chapter(c.title, max(0, min(len(body), c.start - lead)), max(0, min(len(body), c.end - lead)))
            for c in chapters
        ]
        chapters = [c for c in chapters if c.end > c.start or c.title]
    return body, chapters
