"""Plain-text stories (author-written headers, FanFicFare and FFN text exports, markdown).

Only the header zone counts as declared: the top of the file up to the first line of
story, and author's notes at the very end. Dialogue such as ``"Rating: ten out of ten,"
he said`` inside the story is never read as a declaration.

The top is read line by line: each kind of header line (inline fields, ``Label: value``,
an unknown label inside a header, an author's note, a bracketed note, a title, a byline)
has one reader that either takes its lines or passes; the first line no reader takes
starts the story.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from classifier.headers import (
    LINE_DECOR,
    MULTILINE_FIELDS,
    HeaderContext,
    apply_field,
    parse_field_line,
    scan_note_declarations,
    unknown_field,
)
from classifier.labels import Taxonomy
from classifier.readers.chapters import lift_headings
from classifier.story import Declared, Story

_AN_RE = re.compile(
    r"^" + LINE_DECOR + r"(?:a/n|an|a\.n\.|author'?s'? ?notes?|authors? notes?|notes?)\s*(?:\d+\s*)?(?:[:\-–—]|$)",
    re.I,
)
_END_NOTES_RE = re.compile(
    r"^" + LINE_DECOR + r"(?:end ?notes?|a/n|author'?s'? ?notes?|authors? notes?|a\.n\.)\b", re.I
)
_BYLINE_RE = re.compile(r"^\s*(?:by|written by|author:)\s+\S", re.I)
#: `` | `` and the like between inline fields. A match starts only where a whitespace run starts
#: (look-behind), so a long run of spaces is scanned once rather than once per space.
_INLINE_SPLIT = re.compile(r"(?<!\s)\s+(?:\||\|\||//|~|\u2022|\u00b7)\s+")
_FANFICFARE_LABELS = {"story url", "author url", "publisher", "packaged", "status", "published", "updated"}
#: Story formats by the convention the header follows.
_FORMATS = {"fanficfare": "fanficfare-txt", "ffn": "ffn-txt"}


def is_separator(line: str) -> bool:
    """A scene-break / rule line: short and mostly symbols (``***``, ``---``, ``&%$ POW $%&``)."""
    s = line.strip()
    if not s or len(s) > 40:
        return False
    if s.lower() in {"<hr>", "<hr/>", "<hr />"}:
        return True
    alnum = sum(ch.isalnum() for ch in s)
    symbols = sum((not ch.isalnum()) and (not ch.isspace()) for ch in s)
    return symbols >= 3 and symbols >= alnum


def read_plain_text(
    text: str, taxonomy: Taxonomy, *, id: str = "text", path: str = "<text>", max_header_lines: int = 200
) -> Story:
    """Split an author-written / FanFicFare / FFN text into declared header and body.

    The story's format is ``txt``, ``fanficfare-txt`` or ``ffn-txt`` by the header's convention.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    zone = _Zone(text.split("\n"), taxonomy, HeaderContext(where="top header"))
    zone.read_front_matter()
    zone.read_top(max_header_lines)
    kind = zone.convention()
    declared, title = zone.declared, zone.title
    if kind == "fanficfare":
        # Read the header again with FanFicFare's conventions now that the source is known.
        ao3 = "archiveofourown" in " ".join(declared.raw.values()).lower()
        ctx = HeaderContext(fanficfare=True, ao3_source=ao3, where="FanFicFare title page")
        again = _Zone(zone.lines[: zone.body_start], taxonomy, ctx)
        again.read_fields()
        declared, title = again.declared, title or again.title
    if title and kind in ("ffn", "fanficfare"):
        # Both put "Title by Author" on one line; the author is not ours to keep.
        title = re.sub(r"\s+by\s+.+$", "", title) or title
    end = zone.read_end_notes(declared)
    body, chapters = lift_headings(zone.lines[zone.body_start : end])
    diags = zone.diags
    if zone.ctx.found:
        diags.extend(sorted(set(zone.ctx.found)))
    if not zone.seen_header and title is None:
        diags.append("no header found")
    return Story(
        id=id,
        path=path,
        format=_FORMATS.get(kind, "txt"),
        title=title,
        declared=declared,
        body=body,
        chapters=chapters,
        diagnostics=diags,
    )


class _Zone:
    """The header zone of one text: what it declares and the line where the story starts."""

    def __init__(self, lines: list[str], taxonomy: Taxonomy, ctx: HeaderContext) -> None:
        self.lines = lines
        self.taxonomy = taxonomy
        self.ctx = ctx
        self.declared = Declared()
        self.title: str | None = None
        self.diags: list[str] = []
        self.labels: set[str] = set()
        self.seen_header = False
        self.body_start = 0

    # -- the top ---------------------------------------------------------------------------
    def read_front_matter(self) -> None:
        """YAML-style front matter (markdown) between ``---`` lines at the very top."""
        lines = self.lines
        first = next((k for k, ln in enumerate(lines) if ln.strip()), None)
        if first is None or lines[first].strip() != "---":
            return
        close = next(
            (k for k in range(first + 1, min(len(lines), first + 80)) if lines[k].strip() in ("---", "...")), None
        )
        if close is None:
            return
        for k in range(first + 1, close):
            fl = parse_field_line(lines[k])
            if not fl:
                continue
            key, label, value = fl
            if key == "title" and value:
                self.title = value.strip("\"'")
                continue
            self._apply(key, label, value)
            self.seen_header = True
        self.body_start = close + 1
        self.diags.append("front matter at top")

    def read_top(self, max_lines: int) -> None:
        """Take header lines from the top until the first line of story (or a separator after a header)."""
        i = self.body_start
        limit = min(len(self.lines), i + max_lines)
        while i < limit:
            s = self.lines[i].strip()
            if not s:
                i += 1
            elif is_separator(s):
                i += 1
                if self.seen_header or self.title is not None:
                    self.body_start = i
                    return
            else:
                after = self._take_line(i, s)
                if after is None:
                    return
                i = self.body_start = after

    def _take_line(self, i: int, s: str) -> int | None:
        """The line after what the first willing reader took from line ``i``; None: the story starts."""
        readers: tuple[Callable[[int, str], int | None], ...] = (
            self._inline_fields,
            self._field,
            self._unknown_field,
            self._authors_note,
        )
        for read in readers:
            after = read(i, s)
            if after is not None:
                return after
        if s[0] in "([":
            return self._bracketed_note(i, s)  # a bracket that opens no note opens the story
        after = self._title(i, s)
        return after if after is not None else self._byline(i, s)

    def _inline_fields(self, i: int, s: str) -> int | None:
        """``Rating: T | Warnings: none`` or ``[Rating: T]`` on one line."""
        fields = _inline_fields(s)
        if not fields:
            return None
        for key, label, value in fields:
            self._take(key, label, value)
        self.seen_header = True
        return i + 1

    def _field(self, i: int, s: str) -> int | None:
        """``Label: value`` with a known label, with continuation lines for multi-line fields."""
        after = self.field_at(i)
        if after is not None:
            self.seen_header = True
        return after

    def _unknown_field(self, i: int, s: str) -> int | None:
        """``Some Label: value`` inside a header: kept raw and reported."""
        m = unknown_field(s) if self.seen_header else None
        if m is None:
            return None
        name = m.group("label").strip()
        self.diags.append(f"unrecognized header field {name[:40]!r} in top header")
        self.declared.raw[name] = m.group("value").strip()
        return i + 1

    def _authors_note(self, i: int, s: str) -> int | None:
        """An ``A/N:`` paragraph: declarations inside it count."""
        if not _AN_RE.match(s):
            return None
        j = i
        while j < len(self.lines) and self.lines[j].strip():
            j += 1
        self._scan_note("\n".join(ln.strip() for ln in self.lines[i:j]), "author's note at top")
        self.diags.append("author's note at top")
        self.seen_header = True
        return j

    def _bracketed_note(self, i: int, s: str) -> int | None:
        """A closed ``(...)`` / ``[...]`` note right at the top that talks about the story."""
        closer = ")" if s[0] == "(" else "]"
        block: list[str] = []
        j = i
        closed = False
        while j < len(self.lines) and self.lines[j].strip() and j - i < 30:
            block.append(self.lines[j].strip())
            j += 1
            if block[-1].endswith(closer):
                closed = True
                break
        note = " ".join(block)
        if not (closed and len(note.split()) >= 3 and self.body_start == i and _note_like(note)):
            return None
        self._scan_note(note, "parenthesised note at top")
        self.diags.append("parenthesised author's note at top")
        self.seen_header = True
        return j

    def _title(self, i: int, s: str) -> int | None:
        """A short first line followed by a header line, a byline, a note or a separator."""
        if self.title is not None or self.seen_header or not _title_candidate(s):
            return None
        nxt = next((self.lines[k].strip() for k in range(i + 1, len(self.lines)) if self.lines[k].strip()), None)
        if nxt is None or not (
            parse_field_line(nxt) or _BYLINE_RE.match(nxt) or _AN_RE.match(nxt) or is_separator(nxt)
        ):
            return None
        self.title = s.lstrip("#").strip().strip("*_").strip()
        return i + 1

    def _byline(self, i: int, s: str) -> int | None:
        """``by Someone`` under the title (authors are not kept)."""
        if self.title is None or self.seen_header or not _BYLINE_RE.match(s) or len(s.split()) > 12:
            return None
        return i + 1

    # -- fields ----------------------------------------------------------------------------
    def field_at(self, i: int) -> int | None:
        """Take the known field on line ``i`` and its continuation lines; the line after them."""
        fl = parse_field_line(self.lines[i].strip())
        if not fl:
            return None
        key, label, value = fl
        value, after = _continue_value(self.lines, i + 1, key, value)
        self._take(key, label, value)
        return after

    def read_fields(self) -> None:
        """Every known field of the lines, cut exactly as :meth:`read_top` cuts them."""
        i = 0
        while i < len(self.lines):
            after = self.field_at(i)
            i = after if after is not None else i + 1

    def _take(self, key: str, label: str, value: str) -> None:
        """Apply one header field; a title is kept, an author is not."""
        self.labels.add(label.lower())
        if key == "title" and value:
            self.title = value
        elif key != "author":
            self._apply(key, label, value)

    def _apply(self, key: str, label: str, value: str) -> None:
        msg = apply_field(self.declared, key, label, value, self.taxonomy, self.ctx)
        if msg:
            self.diags.append(msg)

    def _scan_note(self, note: str, where: str) -> None:
        self.ctx.where = where
        scan_note_declarations(note, self.declared, self.taxonomy, self.ctx)
        self.ctx.where = "top header"

    # -- after the top ---------------------------------------------------------------------
    def convention(self) -> str:
        """``fanficfare``, ``ffn`` or ``txt``: whose header conventions the top follows."""
        if len(self.labels & _FANFICFARE_LABELS) >= 2:
            return "fanficfare"
        if any(k.startswith("ffn ") for k in self.declared.raw):
            return "ffn"
        return "txt"

    def read_end_notes(self, declared: Declared) -> int:
        """Scan up to three trailing author's-note paragraphs into ``declared``; the line where they start."""
        end = len(self.lines)
        trailing = 0
        for start, stop in reversed(_paragraphs(self.lines, self.body_start, len(self.lines))):
            if trailing >= 3:
                break
            para = " ".join(ln.strip() for ln in self.lines[start:stop])
            if _END_NOTES_RE.match(para):
                self.ctx.where = "end notes"
                scan_note_declarations(para, declared, self.taxonomy, self.ctx)
                self.diags.append("author's note at end")
                end = start
                trailing += 1
            elif is_separator(para) and trailing:
                end = start
            else:
                break
        return end


def _inline_fields(line: str) -> list[tuple[str, str, str]] | None:
    """``Rating: T | Warnings: none`` or ``[Rating: T]`` on one line; None if not that shape."""
    s = line.strip()
    bracketed = len(s) > 2 and s[0] in "([" and s[-1] == {"(": ")", "[": "]"}[s[0]]
    if bracketed:
        s = s[1:-1].strip()
    segments = _INLINE_SPLIT.split(s)
    if len(segments) < 2 and not bracketed:
        return None
    fields = [parse_field_line(seg) for seg in segments]
    if not all(fields):
        return None
    return [f for f in fields if f is not None]


def _continue_value(lines: list[str], j: int, key: str, value: str) -> tuple[str, int]:
    """Append the continuation lines of a multi-line field; return the value and the next line."""
    if key not in MULTILINE_FIELDS:
        return value, j
    while j < len(lines) and lines[j].strip() and not parse_field_line(lines[j]) and not is_separator(lines[j]):
        if key == "warnings" and len(lines[j].split()) > 12:
            break
        value += "\n" + lines[j].strip()
        j += 1
    return value, j


def _note_like(note: str) -> bool:
    # A parenthesised opener is a note if it talks about the story rather than being prose.
    return bool(
        re.search(
            r"\b(warn|disclaim|rated|rating|one-?shot|fic|story|chapter|pov|a/n|author|enjoy|review|own|written|"
            r"prompt|beta|sequel|prequel|pairing)\w*",
            note,
            re.I,
        )
    )


def _title_candidate(s: str) -> bool:
    words = s.split()
    if not words or len(words) > 15 or len(s) > 120:
        return False
    if s[0] in "\"'\u201c\u2018" or (s.endswith((".", ",", "?", "!", ";")) and not s.endswith("...")):
        return False
    return True


def _paragraphs(lines: list[str], lo: int, hi: int) -> list[tuple[int, int]]:
    """``(first line, line after)`` of each paragraph between lines ``lo`` and ``hi``."""
    out: list[tuple[int, int]] = []
    k = lo
    while k < hi:
        while k < hi and not lines[k].strip():
            k += 1
        if k >= hi:
            break
        start = k
        while k < hi and lines[k].strip():
            k += 1
        out.append((start, k))
    return out
