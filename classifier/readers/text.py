"""Plain-text stories (author-written headers, FanFicFare and FFN text exports, markdown).

Only the header zone counts as declared: the top of the file up to the first line of
story, and author's notes at the very end. Dialogue such as ``"Rating: ten out of ten,"
he said`` inside the story is never read as a declaration.

The top is read line by line: each kind of header line (inline fields, ``Label: value``,
an unknown label inside a header, an author's note, a bracketed note, a title, a byline)
has one reader that either takes its lines or passes; the first line no reader takes
starts the story.

A field's value may wrap onto the lines below it, never past a blank line, a field line or
a separator. Story run on below the header's last field with no blank line is not part of
that field: its first line of prose (:func:`~classifier.headers.reads_as_prose`) starts the
body, unless the line above ends in a comma or the like (a wrapped list or sentence). Two
kinds of field keep every line to the blank line: a summary, which is prose itself, and any
field that more header lines follow, since the story cannot start above them. Tags and the
other list fields wrap only after a separator or onto an indented line of terms.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from classifier.headers import (
    LINE_DECOR,
    LIST_CONTINUES,
    LIST_FIELDS,
    LIST_LINE_MAX_WORDS,
    MULTILINE_FIELDS,
    HeaderContext,
    apply_field,
    ends_sentence,
    is_ffn_line,
    label_key,
    parse_field_line,
    reads_as_prose,
    scan_note_declarations,
    unknown_field,
)
from classifier.labels import Taxonomy
from classifier.readers.chapters import is_chapter_heading, lift_headings
from classifier.story import Declared, Story

_AN_RE = re.compile(
    r"^" + LINE_DECOR + r"(?:(?:a/n|an|a\.n\.|author'?s'? ?notes?|authors? notes?|notes?)\s*(?:\d+\s*)?(?:[:\-–—]|$)"
    # "A/N thanks to my beta": the slash and dot forms with no colon; _opens_note checks the word after.
    r"|(?P<bare>a/n|a\.n\.)\s+(?P<first>\S+))",
    re.I,
)
#: Words that open an author's note written "A/N Thanks ..." with no colon. Any other capitalised
#: word after "A.N." is more likely a name ("A.N. Other came home"): story.
_NOTE_OPENERS = frozenset(
    "thanks thank this so hey hello hi i ok okay edit just sorry please here well first welcome wow "
    "disclaimer warning warnings rated dedicated written".split()
)
#: A note with no colon must end (a blank line) within this many lines: a story never becomes a note.
_BARE_NOTE_LINES = 10


def _opens_note(line: str) -> re.Match[str] | None:
    """``A/N:``-style note opener (with no colon only before a lower-case word or a usual opener)."""
    m = _AN_RE.match(line)
    if m is None or not m.group("bare"):
        return m
    first = m.group("first").strip("\"'.,!?:;()*_~-")
    return m if first[:1].islower() or first.lower() in _NOTE_OPENERS else None


_END_NOTES_RE = re.compile(
    r"^" + LINE_DECOR + r"(?:end ?notes?|a/n|author'?s'? ?notes?|authors? notes?|a\.n\.)\b", re.I
)
#: The rest of an FFN metadata line wrapped onto the next line.
_FFN_CONTINUED_RE = re.compile(
    r"(?:^|\s[-\u00b7\u2022]\s)(?:words|chapters|reviews|favs|follows|updated|published|status|id):\s", re.I
)
#: A label alone on its line that opens the notes after a story (AO3's afterword, as text).
_END_LABEL_RE = re.compile(
    r"^" + LINE_DECOR + r"(?:afterword|end notes|chapter end notes|author'?s'? notes?|a/n|notes)[*_ ]*:?[*_ ]*$", re.I
)
_BYLINE_RE = re.compile(r"^\s*(?:by|written by|author:)\s+\S", re.I)
#: `` | `` and the like between inline fields. A match starts only where a whitespace run starts
#: (look-behind), so a long run of spaces is scanned once rather than once per space.
_INLINE_SPLIT = re.compile(r"(?<!\s)\s+(?:\||\|\||//|~|\u2022|\u00b7)\s+")
#: A label alone on its line that opens a part of a preface (AO3 pages and downloads as text).
_SECTION_RE = re.compile(
    r"^" + LINE_DECOR + r"(?P<label>summary|notes|author'?s'? notes?|work text|chapter text|table of contents|contents)"
    r"[*_ ]*:?[*_ ]*$",
    re.I,
)
#: Lines a site or downloader prints above a header: never a title or a summary.
_BOILERPLATE_RE = re.compile(
    r"^(?:posted originally on the archive of our own|this is a story from|follow/fav|fanfiction\.net|"
    r"https?://|www\.)",
    re.I,
)
#: The paragraphs a preface may hold above the header line it leads to (title, byline, summary).
_LEAD_MAX_LINES = 8
_LEAD_MAX_PARAGRAPHS = 3
_LEAD_MAX_CHARS = 800
#: Front matter larger than this is not given to the YAML parser (read line by line instead).
FRONT_MATTER_MAX_BYTES = 64 * 1024
FRONT_MATTER_MAX_LINES = 400
#: PyYAML's scanner slows down with every open bracket (quadratic in the depth): deeper is refused.
FRONT_MATTER_MAX_DEPTH = 32
_BRACKETS = re.compile(r"[\[\]{}]")
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
        #: Set by a line that ends the header (``Work Text:``): the story starts after it.
        self.stop = False

    # -- the top ---------------------------------------------------------------------------
    def read_front_matter(self) -> None:
        """YAML front matter (markdown) between ``---`` lines at the very top.

        Parsed with PyYAML (safe loader, no aliases, at most ``FRONT_MATTER_MAX_BYTES``), so block
        and flow lists come out as lists. Front matter that is not valid YAML, or too large, is
        read line by line as ``Label: value`` fields, with a one-line reason in the diagnostics.
        """
        lines = self.lines
        first = next((k for k, ln in enumerate(lines) if ln.strip()), None)
        if first is None or lines[first].strip() != "---":
            return
        limit = min(len(lines), first + 1 + FRONT_MATTER_MAX_LINES)
        close = next((k for k in range(first + 1, limit) if lines[k].strip() in ("---", "...")), None)
        if close is None or not _front_matter_shaped(lines, first + 1, close):
            # An opening rule whose block never closes, or "closes" at a scene break after
            # prose, is no front matter: taking it would make the story's start a header.
            self.diags.append("unclosed front matter at top: read as story text")
            return
        self.body_start = close + 1
        self.diags.append("front matter at top")
        source = "\n".join(lines[first + 1 : close])
        data, why = load_front_matter(source)
        if data is None:
            self.diags.append(f"front matter read line by line: {why}")
            self._front_matter_lines(first + 1, close)
            return
        for label, value in _front_matter_fields(data):
            key = label_key(label)
            if key is None:
                continue
            if key == "title":
                if isinstance(value, str) and value:
                    self.title = value
                continue
            if key != "author":
                self._apply(key, label, value)
                self.seen_header = True

    def _front_matter_lines(self, lo: int, hi: int) -> None:
        """Front matter PyYAML refused, read as ``Label: value`` lines (the story is still read)."""
        for k in range(lo, hi):
            fl = parse_field_line(self.lines[k])
            if not fl:
                continue
            key, label, value = fl
            if key == "title" and value:
                self.title = value.strip("\"'")
            elif key != "author":
                self._apply(key, label, value)
                self.seen_header = True

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
                if self.stop:
                    return

    def _take_line(self, i: int, s: str) -> int | None:
        """The line after what the first willing reader took from line ``i``; None: the story starts."""
        readers: tuple[Callable[[int, str], int | None], ...] = (
            self._inline_fields,
            self._field,
            self._section,
            self._unknown_field,
            self._authors_note,
        )
        for read in readers:
            after = read(i, s)
            if after is not None:
                return after
        if s[0] in "([":
            return self._bracketed_note(i, s)  # a bracket that opens no note opens the story
        for read in (self._title, self._byline, self._lead):
            after = read(i, s)
            if after is not None:
                return after
        return None

    def _inline_fields(self, i: int, s: str) -> int | None:
        """``Rating: T | Warnings: none`` or ``[Rating: T]`` on one line."""
        if is_ffn_line(s):
            return None  # "Rated: K · Words: 900" splits into fields too, but is FFN's one line
        shape = _inline_fields(s)
        if not shape:
            return None
        title, fields = shape
        if title and self.title is None and not self.seen_header:
            self.title = title
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
        m = _opens_note(s)
        if m is None:
            return None
        j = i
        while j < len(self.lines) and self.lines[j].strip():
            j += 1
        if m.group("bare") and (j - i > _BARE_NOTE_LINES or j >= len(self.lines)):
            return None
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
        if nxt is None or not (parse_field_line(nxt) or _BYLINE_RE.match(nxt) or _opens_note(nxt) or is_separator(nxt)):
            return None
        self.title = s.lstrip("#").strip().strip("*_").strip()
        return i + 1

    def _byline(self, i: int, s: str) -> int | None:
        """``by Someone`` under the title (authors are not kept)."""
        if self.title is None or self.seen_header or not _BYLINE_RE.match(s) or len(s.split()) > 12:
            return None
        return i + 1

    def _section(self, i: int, s: str) -> int | None:
        """A preface part's label alone on its line (``Summary``, ``Notes``, ``Work Text:``, a table of contents).

        AO3 pages and downloads turned into text put the label on one line and the text in the
        paragraph after it; ``Work Text:`` / ``Chapter Text`` is the last line before the story.
        """
        m = _SECTION_RE.match(s)
        if m is None or not (self.seen_header or self.title is not None):
            return None  # a first line "Notes" is a story's title or first word, not a label
        label = m.group("label").lower()
        if label in ("work text", "chapter text"):
            self.seen_header = True
            self.stop = True
            return i + 1
        lo = self._next_nonblank(i + 1)
        if lo is None:
            return None
        hi = lo
        while hi < len(self.lines) and self.lines[hi].strip():
            hi += 1
        para = "\n".join(ln.strip() for ln in self.lines[lo:hi])
        if label in ("table of contents", "contents"):
            # A downloader's list of chapter titles: short lines, never story.
            if any(len(ln.split()) > 12 for ln in para.splitlines()):
                return None
        elif label == "summary":
            if self.declared.summary is None:
                self.declared.summary = para
        else:
            self._scan_note(para, "author's note at top")
            self.diags.append("author's note at top")
        self.seen_header = True
        return hi

    def _lead(self, i: int, s: str) -> int | None:
        """Short lines (title, byline, summary) above a header line a few lines further down.

        FFN's story page, copied or saved as text, puts the title, ``By: Author`` and a one-line
        summary above its ``Rated:`` line; AO3 pages put the title and author above ``Summary``.
        Taken only when such an opener follows within a few short paragraphs, so a story whose
        first lines are prose is left alone.
        """
        k, paragraphs, chars = i, 1, 0
        lead: list[str] = []
        while True:
            line = self.lines[k].strip()
            if len(line) > _LEAD_MAX_CHARS:
                return None  # no lead line or opener is this long: not parsed at all
            if line:
                if self._opens_header(line):
                    break
                lead.append(line)
                chars += len(line)
                if len(lead) > _LEAD_MAX_LINES or chars > _LEAD_MAX_CHARS or is_separator(line):
                    return None
                if is_chapter_heading(line):
                    return None  # the story (its first chapter) starts here
            elif k + 1 < len(self.lines) and self.lines[k + 1].strip():
                paragraphs += 1
                if paragraphs > _LEAD_MAX_PARAGRAPHS:
                    return None
            k += 1
            if k >= len(self.lines) or k - i > 4 * _LEAD_MAX_LINES:
                return None
        if not lead:
            return None  # the opener is this very line, which no reader took
        opener = self.lines[k].strip()
        rated = self._opens_rating(opener)
        if rated and self.title is None and not self.seen_header and not is_ffn_line(opener):
            # With nothing above it, the lead must start like a title: a story's first lines
            # ("She ran.") followed by a sign reading "Warning: ..." are not a header. FFN's
            # metadata line is no sentence, so a summary alone above it is still a summary.
            first = lead[0] if lead else ""
            if lead and not (_title_candidate(first) or _BOILERPLATE_RE.match(first)):
                return None
        summary: list[str] = []
        for line in lead:
            field = parse_field_line(line)
            if _BOILERPLATE_RE.match(line) or _BYLINE_RE.match(line) or (field is not None and field[0] == "author"):
                continue
            if self.title is None and not summary and _title_candidate(line):
                self.title = line.lstrip("#").strip().strip("*_").strip()
            else:
                summary.append(line)
        if summary and rated and self.declared.summary is None:
            self.declared.summary = "\n".join(summary)
        self.seen_header = True
        return k

    def _opens_header(self, line: str) -> bool:
        """A line that starts (or goes on with) a header: a rating or warnings line, a preface label."""
        if _SECTION_RE.match(line):
            return True
        fl = parse_field_line(line)
        return self._opens_rating(line, fl) or (fl is not None and fl[0] == "summary" and self.seen_header)

    def _opens_rating(self, line: str, fl: tuple[str, str, str] | None = None) -> bool:
        """A rating or warnings line while the header has declared neither (``fl``: the line parsed, if it was)."""
        fl = fl or parse_field_line(line)
        if fl is None:
            return False
        if fl[0] == "rating":
            return self.declared.rating is None
        return fl[0] == "warnings" and self.declared.warnings.status == "absent" and self.declared.rating is None

    def _next_nonblank(self, k: int) -> int | None:
        while k < len(self.lines) and not self.lines[k].strip():
            k += 1
        return k if k < len(self.lines) else None

    # -- fields ----------------------------------------------------------------------------
    def field_at(self, i: int) -> int | None:
        """Take the known field on line ``i`` and its continuation lines; the line after them."""
        fl = parse_field_line(self.lines[i].strip())
        if not fl:
            return None
        key, label, value = fl
        if value:
            value, after = _continue_value(self.lines, i + 1, key, value)
        else:
            value, after = _value_below(self.lines, i + 1, key)
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

    def _apply(self, key: str, label: str, value: str | list[str]) -> None:
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
        paras = _paragraphs(self.lines, self.body_start, len(self.lines))
        if paras and " ".join(self.lines[paras[-1][0] : paras[-1][1]]).strip().lower() == "end file.":
            # FanFicFare's text files end with this line.
            end = paras.pop()[0]
        # AO3 downloads as text: "Afterword" / "End Notes" alone, the notes in the paragraphs after.
        labels = [k for k in range(max(0, len(paras) - 4), len(paras)) if _END_LABEL_RE.match(self._para(paras[k]))]
        if labels and len(paras) - labels[0] <= 4 and labels[0] > 0:
            notes = " ".join(self._para(p) for p in paras[labels[0] :])
            self.ctx.where = "end notes"
            scan_note_declarations(notes, declared, self.taxonomy, self.ctx)
            self.diags.append("author's note at end")
            end = paras[labels[0]][0]
            paras = paras[: labels[0]]
        trailing = 0
        for start, stop in reversed(paras):
            if trailing >= 3:
                break
            para = " ".join(ln.strip() for ln in self.lines[start:stop])
            # Notes at the end follow some story: the body's first paragraph is never one.
            if start > paras[0][0] and _END_NOTES_RE.match(para):
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

    def _para(self, span: tuple[int, int]) -> str:
        return " ".join(ln.strip() for ln in self.lines[span[0] : span[1]])


@functools.lru_cache(maxsize=1)
def _no_alias_loader() -> Any:
    """PyYAML's safe loader without aliases: ``*ref`` is refused, so no alias can multiply a document.

    Built on first use: most stories have no front matter, and PyYAML is a third of a cold
    first score.
    """
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(None, None, "aliases are not allowed", event.start_mark)
            return super().compose_node(parent, index)

    # Without the bool resolver "warnings: no" stays the text "no" (YAML 1.1 would make it False).
    NoAliasLoader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return NoAliasLoader


#: A line front matter may hold at its left margin: a ``key:`` (plain or quoted key of a few
#: words), a list item, a comment, a tag, or the end of a flow collection. Prose fails this.
_YAML_KEY_LINE = re.compile(r"""^(?:[^\s:#"'\-!\[\]{}][^:.!?,;"\n]{0,40}|"[^"\n]{1,40}"|'[^'\n]{1,40}')\s*:(?:\s|$)""")
_YAML_MARGIN_LINE = re.compile(r"^(?:-(?:\s|$)|#|!|[\]}])")
#: ``summary: |`` / ``notes: >-``: indented paragraphs follow, blank lines between them.
_YAML_BLOCK_SCALAR = re.compile(r":\s*[|>][-+0-9]*\s*(?:#.*)?$")


def _front_matter_shaped(lines: list[str], lo: int, hi: int) -> bool:
    """Whether ``lines[lo:hi]`` can be a front-matter block.

    It must open with a key, list item or comment; every line at the left margin must be
    YAML-like; an indented line after a blank line must belong to a ``|`` / ``>`` block
    (elsewhere it is an indented paragraph of story).
    """
    opened = in_block = after_blank = False
    for k in range(lo, hi):
        line = lines[k]
        if not line.strip():
            after_blank = True
            continue
        if line[0].isspace():
            if not opened or (after_blank and not in_block):
                return False
        elif _YAML_KEY_LINE.match(line) or _YAML_MARGIN_LINE.match(line):
            opened = True
            in_block = bool(_YAML_BLOCK_SCALAR.search(line))
        else:
            return False
        after_blank = False
    return True


def load_front_matter(source: str) -> tuple[dict[str, Any] | None, str]:
    """Parse front matter as YAML.

    Parameters
    ----------
    source
        The text between the ``---`` lines.

    Returns
    -------
    tuple
        ``(mapping, "")``, or ``(None, reason)`` with a one-line reason when the front matter is
        too large, not valid YAML, uses aliases or is not a mapping.
    """
    if len(source.encode("utf-8", "replace")) > FRONT_MATTER_MAX_BYTES:
        return None, f"over {FRONT_MATTER_MAX_BYTES // 1024} KB"
    depth = deepest = 0
    for m in _BRACKETS.finditer(source):
        depth = depth + 1 if m.group() in "[{" else max(0, depth - 1)
        deepest = max(deepest, depth)
    if deepest > FRONT_MATTER_MAX_DEPTH:
        return None, f"nested over {FRONT_MATTER_MAX_DEPTH} brackets deep"
    import yaml

    try:
        # A SafeLoader subclass: plain data only, never Python objects.
        data = yaml.load(source, Loader=_no_alias_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or type(exc).__name__
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return None, f"not valid YAML ({problem}{where})"
    except RecursionError:
        return None, "not valid YAML (nested too deeply)"
    if not isinstance(data, dict):
        return None, "not a YAML mapping"
    return data, ""


def _front_matter_fields(data: dict[Any, Any]) -> list[tuple[str, str | list[str]]]:
    """``(label, value)`` pairs of a front-matter mapping; one nested mapping level is flattened."""
    out: list[tuple[str, str | list[str]]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            out.extend((str(k), v) for k, v in ((k, _yaml_value(v)) for k, v in value.items()) if v is not None)
            continue
        v = _yaml_value(value)
        if v is not None:
            out.append((str(key), v))
    return out


def _yaml_value(value: Any) -> str | list[str] | None:
    """A YAML scalar as text, a list as a list of texts; nested containers are dropped."""
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, list):
        items = [str(v).strip() for v in value if v is not None and not isinstance(v, (list, dict))]
        return [i for i in items if i]
    return str(value).strip()


def _inline_fields(line: str) -> tuple[str | None, list[tuple[str, str, str]]] | None:
    """``Rating: T | Warnings: none`` or ``[Rating: T]`` on one line: ``(title, fields)``; None if not that shape.

    Tumblr-style headers put the title first (``Title | Pairing: A x B | Rating: E``): a first
    segment that is no field is the title when at least two fields follow it.
    """
    s = line.strip()
    bracketed = len(s) > 2 and s[0] in "([" and s[-1] == {"(": ")", "[": "]"}[s[0]]
    if bracketed:
        s = s[1:-1].strip()
    segments = _INLINE_SPLIT.split(s)
    if len(segments) < 2 and not bracketed:
        return None
    fields = [parse_field_line(seg) for seg in segments]
    title = None
    if not bracketed and len(fields) >= 3 and fields[0] is None and _title_candidate(segments[0].strip()):
        title = segments[0].strip().lstrip("#").strip().strip("*_").strip()
        fields = fields[1:]
    if not all(fields):
        return None
    return title, [f for f in fields if f is not None]


def _continue_value(lines: list[str], j: int, key: str, value: str) -> tuple[str, int]:
    """Append the continuation lines of a multi-line field; return the value and the next line."""
    if key == "rating" and is_ffn_line("Rated: " + value):
        # A wrapped FFN line: "... - Romance - Tomas," / "Irene W. - Chapters: 3 - Words: 900 - ...".
        for _ in range(3):
            if j >= len(lines) or not lines[j].strip():
                break
            nxt = lines[j].strip()
            if not (value.rstrip().endswith(("-", ",", "\u00b7", "\u2022")) or _FFN_CONTINUED_RE.search(nxt)):
                break
            value = value.rstrip() + " " + nxt
            j += 1
        return value, j
    if key in MULTILINE_FIELDS:
        return _continue_multiline(lines, j, key, value)
    if key in LIST_FIELDS:
        return _continue_list(lines, j, value)
    return value, j


def _continue_multiline(lines: list[str], j: int, key: str, value: str) -> tuple[str, int]:
    """Continuation lines of a summary, notes, disclaimer or warnings field.

    They run to a blank line, a field line or a separator. When that run ends the header
    (no field line follows it), story may have been run on below the last field without a
    blank line: it starts at the first line that reads as prose, unless the line above it
    plainly goes on (it ends in a comma: a wrapped list or sentence). A summary is prose
    itself, so it keeps every line to the blank line; so does any field a later field line
    follows, since the header goes on below it.
    """
    k = j
    header_goes_on = False
    while k < len(lines) and lines[k].strip() and not is_separator(lines[k]):
        if parse_field_line(lines[k]):
            header_goes_on = True
            break
        if key == "warnings" and len(lines[k].split()) > LIST_LINE_MAX_WORDS:
            break
        k += 1
    parts = [value]
    for m in range(j, k):
        line = lines[m].strip()
        if not header_goes_on and key != "summary" and _story_starts(parts[-1], line):
            return "\n".join(parts), m
        parts.append(line)
    return "\n".join(parts), k


def _story_starts(last: str, line: str) -> bool:
    """Whether ``line``, under a field's line ``last``, is story run on below a header's last field.

    A line ending in a comma, a semicolon, ``&``, ``/``, ``+`` or a dash is cut mid-list or
    mid-sentence, so the line under it goes on with the value whatever it reads like.
    """
    return not last.rstrip().endswith(LIST_CONTINUES) and reads_as_prose(line)


def _continue_list(lines: list[str], j: int, value: str) -> tuple[str, int]:
    """Continuation lines of a one-line list field (tags, characters, fandoms...).

    Such a field wraps onto a line only after a separator (``Angst, Hurt/Comfort,``) or onto
    an indented line of terms; an indented line that reads as a sentence is story.
    """
    parts = [value.rstrip()]
    while j < len(lines) and lines[j].strip():
        line = lines[j]
        wrapped = parts[-1].endswith(LIST_CONTINUES)
        if not (wrapped or line[:1].isspace()):
            break
        if parse_field_line(line) or is_separator(line) or len(line.split()) > LIST_LINE_MAX_WORDS:
            break
        if not wrapped and (ends_sentence(line) or reads_as_prose(line)):
            break
        parts.append(line.strip())
        j += 1
    return " ".join(parts), j


def _value_below(lines: list[str], j: int, key: str) -> tuple[str, int]:
    """The value of a label alone on its line (``Rating:`` then ``    Mature``); the value and the next line.

    AO3 pages copied or dumped as text put each value under its label. A summary or notes
    paragraph may follow a blank line when it is indented or another header line follows it,
    so a story that starts after an empty ``Notes:`` keeps its first paragraph.
    """
    k = j
    if key in MULTILINE_FIELDS:
        while k < len(lines) and not lines[k].strip():
            k += 1
        if k > j and k < len(lines):
            end = k
            while end < len(lines) and lines[end].strip():
                end += 1
            nxt = next((ln for ln in lines[end : end + 3] if ln.strip()), "")
            if not (lines[k][:1].isspace() or parse_field_line(nxt) or _SECTION_RE.match(nxt.strip())):
                return "", j
    taken: list[str] = []
    while k < len(lines) and lines[k].strip() and len(taken) < 20:
        ln = lines[k]
        if parse_field_line(ln) or is_separator(ln) or _SECTION_RE.match(ln.strip()):
            break
        if key not in MULTILINE_FIELDS and len(ln) > 300:
            break
        taken.append(ln.strip())
        k += 1
    if not taken:
        return "", j
    return ("\n" if key in MULTILINE_FIELDS else ", ").join(taken), k


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
