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
    # maxsplit: a long paragraph is turned away after its first 15 words, not split whole.
    if not s or s[0] not in _HEADING_FIRST or len(s.split(None, 14)) > 14:
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


#: First characters of the lines :func:`lift_headings` must look at (headings and landmarks).
_LIFT_FIRST = _HEADING_FIRST | frozenset("wW")


def lift_headings(lines: list[str]) -> tuple[str, list[Chapter]]:
    """Join body lines, lifting standalone chapter headings out into :class:`Chapter` spans.

    A heading counts when it stands alone between blank lines; the body is stripped and the
    spans index the stripped body.
    """
    n = len(lines)
    # Only lines between blank lines that start with a heading's first letter can be lifted;
    # the rest of the body is joined in one piece, so most lines cost one set lookup.
    lifted: list[tuple[int, str | None]] = []  # (line index, title; None for a landmark)
    for i, ln in enumerate(lines):
        head = ln[:1]
        if head not in _LIFT_FIRST:
            if not head.isspace():
                continue
            head = ln.lstrip()[:1]
            if head not in _LIFT_FIRST:
                continue
        if (i and lines[i - 1].strip()) or (i + 1 < n and lines[i + 1].strip()):
            continue
        if head in "cCwW" and _LANDMARK_RE.match(ln):
            lifted.append((i, None))  # AO3's "Chapter Text" landmark above each chapter, copied as text
        elif is_chapter_heading(ln):
            lifted.append((i, ln.strip().lstrip("#").strip()))
    if not lifted:
        body = "\n".join(lines).strip()
        return body, []
    parts: list[str] = []
    chapters: list[Chapter] = []
    pos = 0
    current_title: str | None = None
    current_start = 0
    seen_heading = False
    prev = 0
    for i, title in lifted:
        kept = lines[prev:i]
        parts.extend(kept)
        pos += sum(map(len, kept)) + len(kept)
        prev = i + 1
        if title is None:
            continue
        if chapters or seen_heading or pos > 0:
            chapters.append(Chapter(title=current_title, start=current_start, end=pos))
        current_title, current_start, seen_heading = title, pos, True
    kept = lines[prev:]
    parts.extend(kept)
    pos += sum(map(len, kept)) + len(kept)
    body = "\n".join(parts)
    lead = len(body) - len(body.lstrip())
    body = body.strip()
    if chapters or seen_heading:
        chapters.append(Chapter(title=current_title, start=current_start, end=pos))
        chapters = [
            Chapter(c.title, max(0, min(len(body), c.start - lead)), max(0, min(len(body), c.end - lead)))
            for c in chapters
        ]
        chapters = [c for c in chapters if c.end > c.start or c.title]
    return body, chapters
