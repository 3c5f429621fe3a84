"""The ``Story`` record every reader produces and every later stage consumes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from classifier.labels import DeclaredWarnings, RatingValue

#: A token (after whitespace) with no letter or digit in it: counted and subtracted from the
#: whitespace token count. Starting with ``\s`` lets the regex engine skip ahead to whitespace,
#: so the scan is one fast pass; the look-ahead consumes nothing, so runs like ``- - -`` all count.
_NO_ALNUM_TOKEN = re.compile(r"\s(?:[^\w\s]|_)+(?!\S)")
_FIRST_TOKEN = re.compile(r"\S+")
_ALNUM = re.compile(r"[^\W_]")
#: Whitespace splitting goes this many characters at a time, so no list of a whole huge body's
#: tokens is ever built.
_SPLIT_CHUNK = 1 << 20
_WHITESPACE = re.compile(r"\s")

#: Tag fields every record carries (lists), in output order.
TAG_LIST_FIELDS: tuple[str, ...] = (
    "fandoms",
    "relationships",
    "characters",
    "categories",
    "freeform",
    "genres",
    "series",
)


def count_words(text: str) -> int:
    """Count whitespace-separated tokens that contain a letter or digit.

    Linear in ``len(text)``, in bounded memory (the text is split a chunk at a time).
    """
    n = 0
    i, end = 0, len(text)
    while i < end:
        j = min(end, i + _SPLIT_CHUNK)
        if j < end:  # cut chunks at whitespace only, so no token is split in two
            ws = _WHITESPACE.search(text, j)
            j = ws.start() if ws else end
        # Each chunk after the first starts at whitespace, so its first token is seen whole.
        chunk = text[i:j]
        n += len(chunk.split()) - len(_NO_ALNUM_TOKEN.findall(chunk))
        i = j
    first = _FIRST_TOKEN.match(text)
    return n - (1 if first and not _ALNUM.search(first.group()) else 0)


@dataclass
class Chapter:
    """A chapter's title and its character span in :attr:`Story.body`."""

    title: str | None
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"title": self.title, "start": self.start, "end": self.end}


@dataclass
class Declared:
    """What the author declared: rating, warnings, tags and the raw header fields."""

    rating: RatingValue | None = None
    warnings: DeclaredWarnings = field(default_factory=DeclaredWarnings)
    tags: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in TAG_LIST_FIELDS})
    language: str | None = None
    words: int | None = None
    chapters: str | None = None
    summary: str | None = None
    #: Free-form content notes found in author's notes (not site labels), kept apart.
    note_warnings: list[str] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)

    def add_tags(self, key: str, values: list[str]) -> None:
        """Append tag values, skipping blanks and duplicates."""
        bucket = self.tags.setdefault(key, [])
        for v in values:
            v = v.strip()
            if v and v not in bucket:
                bucket.append(v)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the ``declared`` object of the record schema)."""
        tags: dict[str, Any] = {k: list(self.tags.get(k, [])) for k in TAG_LIST_FIELDS}
        for k, v in self.tags.items():
            if k not in tags:
                tags[k] = list(v)
        tags["language"] = self.language
        tags["words"] = self.words
        tags["chapters"] = self.chapters
        return {
            "rating": self.rating.to_dict() if self.rating else None,
            "warnings": self.warnings.to_dict(),
            "tags": tags,
            "note_warnings": list(self.note_warnings),
            "summary": self.summary,
            "raw": dict(self.raw),
        }


@dataclass
class Story:
    """One story: identity, declared header, body without header, diagnostics."""

    id: str
    path: str
    format: str
    title: str | None = None
    declared: Declared = field(default_factory=Declared)
    body: str = ""
    chapters: list[Chapter] = field(default_factory=list)
    diagnostics: list[str] = field(default_factory=list)

    #: Word count kept when the body is dropped (results sent back from cluster workers).
    words_cache: int | None = None
    #: The body last counted and its count (the count is reused while the body is that string).
    _counted: tuple[str, int] | None = field(default=None, repr=False, compare=False)

    @property
    def body_words(self) -> int:
        """Words in the body (see :func:`count_words`)."""
        if self.words_cache is not None and not self.body:
            return self.words_cache
        if self._counted is None or self._counted[0] is not self.body:
            self._counted = (self.body, count_words(self.body))
        return self._counted[1]

    def without_body(self) -> Story:
        """A copy without the body text (cheap to ship between processes)."""
        from dataclasses import replace

        return replace(self, body="", words_cache=self.body_words)

    def note(self, message: str) -> None:
        """Record a diagnostic (what was found where, anything unrecognised)."""
        self.diagnostics.append(message)

    def to_record(self, *, include_body: bool = False) -> dict[str, Any]:
        """The JSON record of ``ficrate headers``; later commands extend it."""
        rec: dict[str, Any] = {
            "id": self.id,
            "path": self.path,
            "format": self.format,
            "title": self.title,
            "declared": self.declared.to_dict(),
            "body_words": self.body_words,
            "chapters": [c.to_dict() for c in self.chapters],
            "diagnostics": list(self.diagnostics),
        }
        if include_body:
            rec["body"] = self.body
        return rec
