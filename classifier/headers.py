"""Declared headers: field labels, value normalisation and the plain-text header zone.

Every format ends up here: AO3 ``dl.tags`` entries, FanFicFare title pages, FFN
``Rated:`` lines and author-written headers all become ``(key, value)`` fields applied
to a :class:`~classifier.story.Declared` through :func:`apply_field`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from classifier.labels import Taxonomy, split_terms
from classifier.story import Chapter, Declared

# Label (lower-case, singular or plural) -> canonical field key.
_LABEL_KEYS: dict[str, str] = {}
for _key, _labels in {
    "rating": ["rating", "ratings", "rated", "content rating", "age rating", "maturity rating", "fic rating"],
    "warnings": [
        "warning",
        "warnings",
        "archive warning",
        "archive warnings",
        "tw",
        "tws",
        "cw",
        "cws",
        "content warning",
        "content warnings",
        "trigger warning",
        "trigger warnings",
        "triggers",
        "content notes",
        "content note",
        "warnings/notes",
    ],
    "relationships": ["pairing", "pairings", "relationship", "relationships", "ship", "ships", "couple", "couples"],
    "characters": ["character", "characters"],
    "fandoms": ["fandom", "fandoms", "series/fandom", "crossover"],
    "category": ["category", "categories"],
    "genres": ["genre", "genres"],
    "freeform": ["additional tags", "additional tag", "tags", "tag", "freeform tags", "freeform"],
    "summary": ["summary", "blurb", "description"],
    "disclaimer": ["disclaimer", "disclaimers"],
    "title": ["title", "story title", "fic title"],
    "author": ["author", "authors", "writer", "by", "pseud"],
    "words": ["words", "word count", "wordcount", "length"],
    "chapters": ["chapters", "chapter count"],
    "language": ["language"],
    "series": ["series"],
    "notes": ["author's note", "authors note", "author's notes", "authors notes", "a/n", "note", "notes"],
    "info": [
        "status",
        "published",
        "updated",
        "packaged",
        "story url",
        "author url",
        "publisher",
        "url",
        "link",
        "beta",
        "beta reader",
        "betas",
        "beta'd by",
        "spoilers",
        "timeline",
        "setting",
        "prompt",
        "dedication",
        "feedback",
        "archive",
        "date",
        "type",
        "collections",
        "stats",
        "posted",
        "completed",
        "comments",
        "kudos",
        "bookmarks",
        "hits",
        "reviews",
        "favs",
        "follows",
        "id",
        "source",
        "requested by",
        "written for",
        "gift",
        "inspired by",
        "part",
        "timeframe",
        "time frame",
        "universe",
        "verse",
        "au",
        "pov",
        "point of view",
    ],
}.items():
    for _label in _labels:
        _LABEL_KEYS[_label] = _key

# Fields whose value may continue on following lines until a blank line or next label.
_MULTILINE = {"summary", "disclaimer", "notes", "warnings"}

_AO3_CATEGORIES = {"f/f", "f/m", "gen", "m/m", "multi", "other", "no category"}
_FFN_GENRES = {
    "adventure",
    "angst",
    "crime",
    "drama",
    "family",
    "fantasy",
    "friendship",
    "general",
    "horror",
    "humor",
    "hurt/comfort",
    "mystery",
    "parody",
    "poetry",
    "romance",
    "sci-fi",
    "spiritual",
    "supernatural",
    "suspense",
    "tragedy",
    "western",
}

_DECOR = r"[\s>*_#~\-+\u2022]*"
_FIELD_RE = re.compile(
    r"^"
    + _DECOR
    + r"(?P<label>[A-Za-z][A-Za-z/' ]{0,24}?(?:\(s\))?)"
    + r"(?:[*_ ]*[:=]|\s+[-\u2013\u2014](?=\s))[*_ ]*(?P<value>.*?)[*_ ]*$"
)
_RATED_RE = re.compile(r"^" + _DECOR + r"rated\s*:?\s+(?P<value>\S.*)$", re.I)
_AN_RE = re.compile(
    r"^" + _DECOR + r"(?:a/n|an|a\.n\.|author'?s'? ?notes?|authors? notes?|notes?)\s*(?:\d+\s*)?(?:[:\-–—]|$)", re.I
)
_END_NOTES_RE = re.compile(r"^" + _DECOR + r"(?:end ?notes?|a/n|author'?s'? ?notes?|authors? notes?|a\.n\.)\b", re.I)
_BYLINE_RE = re.compile(r"^\s*(?:by|written by|author:)\s+\S", re.I)
_CHAPTER_RE = re.compile(
    r"^\s*(?:#+\s*)?(?:chapter|ch\.|part|book)\s+"
    r"(?:\d+|[ivxlc]+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty[- \w]*)\b\s*(?:[:.\-–—]\s*.{0,100})?$"
    r"|^\s*(?:#+\s*)?(?:prologue|epilogue|interlude)\b\s*(?:[:.\-–—]\s*.{0,100})?$",
    re.I,
)
_EMBED_RATING_RE = re.compile(r"\b(?:rated|rating)\s*[:\-]?\s*(?P<value>[^.;)\n]{1,60})", re.I)
_EMBED_WARN_RE = re.compile(
    r"\b(?:warnings?|tw|cw|content warnings?|trigger warnings?|contains)\s*(?:[:\-–]|\s+for\b)\s*"
    r"(?P<value>.+?)(?=(?:\.\s|\.$|\)|\]|\n|$|\b(?:disclaimer|summary|pairings?|rating|rated|a/n|enjoy)\b\s*[:!]?))",
    re.I,
)


def label_key(label: str) -> str | None:
    """Canonical key of a header label such as ``"Archive Warnings"`` or ``"Pairing(s)"``."""
    norm = re.sub(r"\(s\)$", "s", label.strip().lower()).strip()
    norm = re.sub(r"\s+", " ", norm)
    if norm in _LABEL_KEYS:
        return _LABEL_KEYS[norm]
    if norm.endswith("s") and norm[:-1] in _LABEL_KEYS:
        return _LABEL_KEYS[norm[:-1]]
    return None


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


def is_chapter_heading(line: str) -> bool:
    """A standalone chapter title line (``Chapter 3: Return``, ``Prologue``, ``## Heading``)."""
    s = line.strip()
    if not s or len(s.split()) > 14:
        return False
    return bool(_CHAPTER_RE.match(s)) or bool(re.match(r"^#{1,3}\s+\S", s))


def parse_field_line(line: str) -> tuple[str, str, str] | None:
    """Parse ``Label: value`` into ``(key, label, value)`` when the label is known."""
    s = line.strip()
    if not s or s[0] in "\"'\u201c\u2018(":
        return None
    m = _FIELD_RE.match(s)
    if m:
        key = label_key(m.group("label"))
        if key:
            return key, m.group("label").strip(), m.group("value").strip()
    m = _RATED_RE.match(s)
    if m:
        return "rating", "Rated", m.group("value").strip()
    return None


def unknown_field(line: str) -> re.Match[str] | None:
    """``Some Label: value`` with an unknown but label-like name (accepted inside a header)."""
    m = _FIELD_RE.match(line.strip())
    ok = m and m.group("value") and len(m.group("label").split()) <= 3 and m.group("label")[0].isupper()
    return m if ok else None


_FFN_RATED_RE = re.compile(r"^\s*(?:rated\s*:\s*)?fiction\s+(?P<rating>K\+|K|T|MA|M)\b(?P<rest>.*)$", re.I)


def parse_ffn_rated(value: str, declared: Declared, taxonomy: Taxonomy) -> bool:
    """Apply an FFN ``Rated: Fiction T - English - Genre - Chars - Words: N - ...`` line."""
    m = _FFN_RATED_RE.match(value)
    if not m:
        return False
    declared.rating = taxonomy.parse_rating(m.group("rating"), scale_hint="ffn")
    parts = [p.strip() for p in re.split(r"\s+-\s+", m.group("rest").strip(" -")) if p.strip()]
    position = 0
    for part in parts:
        kv = re.match(r"^(?P<k>[A-Za-z ]+):\s*(?P<v>.*)$", part)
        if kv:
            k = kv.group("k").strip().lower()
            v = kv.group("v").strip()
            if k == "words":
                declared.words = _parse_int(v)
            elif k == "chapters":
                declared.chapters = v
            declared.raw[f"ffn {k}"] = v
            continue
        position += 1
        if position == 1 and not any(g in part.lower() for g in _FFN_GENRES):
            declared.language = part
        elif all(g.lower() in _FFN_GENRES for g in _split_genres(part)):
            declared.add_tags("genres", _split_genres(part))
        else:
            chars = re.sub(r"[\[\]]", ",", part)
            declared.add_tags("characters", [c for c in re.split(r"\s*,\s*", chars) if c])
            for pair in re.findall(r"\[([^\]]+)\]", part):
                declared.add_tags("relationships", ["/".join(x.strip() for x in pair.split(","))])
    return True


def _split_genres(value: str) -> list[str]:
    # "Hurt/Comfort" is one FFN genre; other genres are joined with "/".
    out: list[str] = []
    tokens = value.split("/")
    i = 0
    while i < len(tokens):
        t = tokens[i].strip()
        if t.lower() == "hurt" and i + 1 < len(tokens) and tokens[i + 1].strip().lower() == "comfort":
            out.append("Hurt/Comfort")
            i += 2
            continue
        if t:
            out.append(t)
        i += 1
    return out


def _parse_int(value: str) -> int | None:
    m = re.search(r"\d[\d,.\s]*", value)
    if not m:
        return None
    digits = re.sub(r"[^\d]", "", m.group())
    return int(digits) if digits else None


@dataclass
class HeaderContext:
    """Per-source conventions for field interpretation."""

    #: FanFicFare puts fandoms under Category and, for AO3 sources, freeform tags under Genre.
    fanficfare: bool = False
    ao3_source: bool = False
    where: str = "header"
    found: list[str] = field(default_factory=list)


def apply_field(
    declared: Declared,
    key: str,
    label: str,
    value: str | list[str],
    taxonomy: Taxonomy,
    ctx: HeaderContext | None = None,
) -> str | None:
    """Apply one header field to ``declared``; return a diagnostic when a value is not understood."""
    ctx = ctx or HeaderContext()
    values = value if isinstance(value, list) else None
    text = ", ".join(value) if isinstance(value, list) else value
    text = text.strip()
    if not text and not values:
        return None
    raw_key = label.strip().rstrip(":")
    declared.raw[raw_key] = (declared.raw[raw_key] + "; " + text) if raw_key in declared.raw else text
    ctx.found.append(f"{key} in {ctx.where}")
    if key == "rating":
        if parse_ffn_rated(text, declared, taxonomy):
            return None
        candidates = values or [text]
        parsed = [r for r in (taxonomy.parse_rating(c) for c in candidates) if r is not None]
        if not parsed:
            return f"unrecognized rating {text[:60]!r} in {ctx.where}"
        known = [r for r in parsed if r.canonical is not None]
        best = max(known, key=lambda r: taxonomy.levels.index(r.canonical or "general")) if known else parsed[0]
        if declared.rating is None or declared.rating.canonical is None:
            declared.rating = best
        if best.reason:
            _add_warning_terms(declared, split_terms(best.reason), taxonomy)
        return None
    if key == "warnings":
        _add_warning_terms(declared, values or split_terms(text), taxonomy)
        return None
    if key == "category":
        items = values or _split_list(text)
        if ctx.fanficfare or not all(i.lower() in _AO3_CATEGORIES for i in items):
            if all(i.lower() in _AO3_CATEGORIES for i in items):
                declared.add_tags("categories", items)
            else:
                declared.add_tags("fandoms", items)
        else:
            declared.add_tags("categories", items)
        return None
    if key == "genres":
        items = values or _split_list(text)
        if ctx.fanficfare and ctx.ao3_source:
            declared.add_tags("freeform", items)
        else:
            declared.add_tags("genres", [g for item in items for g in _split_genres(item)])
        return None
    if key in ("relationships", "characters", "fandoms", "freeform", "series"):
        declared.add_tags(key, values or _split_list(text))
        return None
    if key == "summary":
        declared.summary = text
        return None
    if key == "language":
        declared.language = text
        return None
    if key == "words":
        declared.words = _parse_int(text)
        return None
    if key == "chapters":
        declared.chapters = text
        return None
    if key == "notes":
        scan_note_declarations(text, declared, taxonomy, ctx)
        return None
    return None


def _split_list(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\s*[,;]\s*", text) if p.strip()]


def _add_warning_terms(declared: Declared, terms: list[str], taxonomy: Taxonomy) -> None:
    # Re-map all raw terms together so status ("none" vs a list) is decided once.
    all_terms = declared.warnings.raw + [t for t in terms if t not in declared.warnings.raw]
    declared.warnings = taxonomy.parse_warnings(all_terms)


def scan_note_declarations(text: str, declared: Declared, taxonomy: Taxonomy, ctx: HeaderContext) -> list[str]:
    """Find ``Rated X`` / ``Warning: ...`` declarations inside an author's note; return what was found."""
    found: list[str] = []
    for m in _EMBED_RATING_RE.finditer(text):
        rating = taxonomy.parse_rating(m.group("value"))
        if rating is not None and rating.canonical is not None:
            if declared.rating is None or declared.rating.canonical is None:
                declared.rating = rating
            if rating.reason:
                _add_warning_terms(declared, split_terms(rating.reason), taxonomy)
            found.append(f"rating in {ctx.where}")
    for m in _EMBED_WARN_RE.finditer(text):
        terms = split_terms(m.group("value"))
        if terms:
            _add_warning_terms(declared, terms, taxonomy)
            found.append(f"warnings in {ctx.where}")
    ctx.found.extend(found)
    return found


# -- plain text header zone ------------------------------------------------------------------


@dataclass
class TextParse:
    """Result of parsing a plain-text story."""

    declared: Declared
    title: str | None
    body: str
    chapters: list[Chapter]
    diagnostics: list[str]
    kind: str  # "txt", "fanficfare", "ffn"


_FANFICFARE_LABELS = {"story url", "author url", "publisher", "packaged", "status", "published", "updated"}


def _lines_with_offsets(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def parse_text(text: str, taxonomy: Taxonomy, *, max_header_lines: int = 200) -> TextParse:
    """Split an author-written / FanFicFare / FFN text into declared header and body.

    Only the header zone counts: the top of the file up to the first line of story, and
    author's notes at the very end. Dialogue such as ``"Rating: ten out of ten," he said``
    inside the story is never read as a declaration.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = _lines_with_offsets(text)
    declared = Declared()
    diags: list[str] = []
    title: str | None = None
    labels_seen: set[str] = set()
    ctx = HeaderContext(where="top header")

    n = len(lines)
    i = 0
    body_start_line = 0
    seen_header = False

    # YAML-style front matter (markdown).
    first = next((k for k in range(n) if lines[k][1].strip()), None)
    if first is not None and lines[first][1].strip() == "---":
        close = next((k for k in range(first + 1, min(n, first + 80)) if lines[k][1].strip() in ("---", "...")), None)
        if close is not None:
            for k in range(first + 1, close):
                fl = parse_field_line(lines[k][1])
                if fl:
                    key, label, value = fl
                    if key == "title" and value:
                        title = value.strip("\"'")
                        continue
                    msg = apply_field(declared, key, label, value, taxonomy, ctx)
                    if msg:
                        diags.append(msg)
                    seen_header = True
            i = close + 1
            body_start_line = i
            diags.append("front matter at top")

    def next_nonblank(k: int) -> int | None:
        while k < n and not lines[k][1].strip():
            k += 1
        return k if k < n else None

    zone_limit = min(n, i + max_header_lines)
    while i < zone_limit:
        line = lines[i][1]
        s = line.strip()
        if not s:
            i += 1
            continue
        if is_separator(s):
            i += 1
            if seen_header or title is not None:
                body_start_line = i
                break
            continue
        inline = _inline_fields(s)
        if inline:
            for key, label, value in inline:
                title = _take_field(key, label, value, title, declared, taxonomy, ctx, diags, labels_seen)
            seen_header = True
            i += 1
            body_start_line = i
            continue
        fl = parse_field_line(s)
        if fl:
            key, label, value = fl
            value, j = _continue_value(lines, i + 1, key, value)
            title = _take_field(key, label, value, title, declared, taxonomy, ctx, diags, labels_seen)
            seen_header = True
            i = j
            body_start_line = i
            continue
        unknown = unknown_field(s) if seen_header else None
        if unknown:
            name = unknown.group("label").strip()
            diags.append(f"unrecognized header field {name[:40]!r} in top header")
            declared.raw[name] = unknown.group("value").strip()
            i += 1
            body_start_line = i
            continue
        if _AN_RE.match(s):
            j = i
            block: list[str] = []
            while j < n and lines[j][1].strip():
                block.append(lines[j][1].strip())
                j += 1
            ctx.where = "author's note at top"
            scan_note_declarations("\n".join(block), declared, taxonomy, ctx)
            ctx.where = "top header"
            diags.append("author's note at top")
            seen_header = True
            i = j
            body_start_line = i
            continue
        if s[0] in "([":
            closer = ")" if s[0] == "(" else "]"
            j = i
            block = []
            closed = False
            while j < n and lines[j][1].strip() and j - i < 30:
                block.append(lines[j][1].strip())
                j += 1
                if block[-1].endswith(closer):
                    closed = True
                    break
            note = " ".join(block)
            if closed and len(note.split()) >= 3 and body_start_line == i and _note_like(note):
                ctx.where = "parenthesised note at top"
                scan_note_declarations(note, declared, taxonomy, ctx)
                ctx.where = "top header"
                diags.append("parenthesised author's note at top")
                seen_header = True
                i = j
                body_start_line = i
                continue
            break
        if title is None and not seen_header and _title_candidate(s):
            nk = next_nonblank(i + 1)
            if nk is not None:
                nxt = lines[nk][1].strip()
                if parse_field_line(nxt) or _BYLINE_RE.match(nxt) or _AN_RE.match(nxt) or is_separator(nxt):
                    title = s.lstrip("#").strip().strip("*_").strip()
                    i += 1
                    body_start_line = i
                    continue
        if title is not None and _BYLINE_RE.match(s) and not seen_header and len(s.split()) <= 12:
            i += 1
            body_start_line = i
            continue
        break

    if labels_seen & _FANFICFARE_LABELS and len(labels_seen & _FANFICFARE_LABELS) >= 2:
        kind = "fanficfare"
    elif any(k.startswith("ffn ") for k in declared.raw):
        kind = "ffn"
    else:
        kind = "txt"
    if kind == "fanficfare":
        # Re-apply with FanFicFare conventions now that the source is known.
        ao3 = "archiveofourown" in " ".join(declared.raw.values()).lower()
        declared, title2 = _reparse_fanficfare(lines[:body_start_line], taxonomy, ao3)
        title = title or title2

    if title and kind in ("ffn", "fanficfare"):
        # Both put "Title by Author" on one line; the author is not ours to keep.
        title = re.sub(r"\s+by\s+.+$", "", title) or title

    # End notes: trailing author's-note paragraphs.
    end_line = n
    paragraphs = _paragraph_starts(lines, body_start_line, n)
    trailing = 0
    for start, stop in reversed(paragraphs):
        if trailing >= 3:
            break
        para = " ".join(lines[k][1].strip() for k in range(start, stop))
        if _END_NOTES_RE.match(para):
            ctx.where = "end notes"
            scan_note_declarations(para, declared, taxonomy, ctx)
            diags.append("author's note at end")
            end_line = start
            trailing += 1
            continue
        if is_separator(para) and trailing:
            end_line = start
            continue
        break

    body_lines = lines[body_start_line:end_line]
    body, chapters = _assemble_body(body_lines)
    if ctx.found:
        diags.extend(sorted(set(ctx.found)))
    if not seen_header and title is None:
        diags.append("no header found")
    return TextParse(declared=declared, title=title, body=body, chapters=chapters, diagnostics=diags, kind=kind)


_INLINE_SPLIT = re.compile(r"\s+(?:\||\|\||//|~|\u2022|\u00b7)\s+")


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


def _take_field(
    key: str,
    label: str,
    value: str,
    title: str | None,
    declared: Declared,
    taxonomy: Taxonomy,
    ctx: HeaderContext,
    diags: list[str],
    labels_seen: set[str],
) -> str | None:
    """Apply one header field; return the (possibly new) title. Authors are not kept."""
    labels_seen.add(label.lower())
    if key == "title" and value:
        return value
    if key != "author":
        msg = apply_field(declared, key, label, value, taxonomy, ctx)
        if msg:
            diags.append(msg)
    return title


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


def _paragraph_starts(lines: list[tuple[int, str]], lo: int, hi: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    k = lo
    while k < hi:
        while k < hi and not lines[k][1].strip():
            k += 1
        if k >= hi:
            break
        start = k
        while k < hi and lines[k][1].strip():
            k += 1
        out.append((start, k))
    return out


def _assemble_body(body_lines: list[tuple[int, str]]) -> tuple[str, list[Chapter]]:
    """Join body lines, lifting standalone chapter headings out into :class:`Chapter` spans."""
    parts: list[str] = []
    chapters: list[Chapter] = []
    pos = 0
    current_title: str | None = None
    current_start = 0
    prev_blank = True
    texts = [ln for _, ln in body_lines]
    for idx, ln in enumerate(texts):
        next_blank = idx + 1 >= len(texts) or not texts[idx + 1].strip()
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
    # Trim and shift spans so offsets index the stripped body.
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


def _continue_value(lines: list[tuple[int, str]], j: int, key: str, value: str) -> tuple[str, int]:
    """Append the continuation lines of a multi-line field; return the value and the next line."""
    if key not in _MULTILINE:
        return value, j
    while (
        j < len(lines) and lines[j][1].strip() and not parse_field_line(lines[j][1]) and not is_separator(lines[j][1])
    ):
        if key == "warnings" and len(lines[j][1].split()) > 12:
            break
        value += "\n" + lines[j][1].strip()
        j += 1
    return value, j


def _reparse_fanficfare(
    header_lines: list[tuple[int, str]], taxonomy: Taxonomy, ao3: bool
) -> tuple[Declared, str | None]:
    """The header again, with FanFicFare's conventions, cut into fields exactly as the first pass did."""
    declared = Declared()
    title: str | None = None
    ctx = HeaderContext(fanficfare=True, ao3_source=ao3, where="FanFicFare title page")
    unused_diags: list[str] = []
    unused_labels: set[str] = set()
    k = 0
    while k < len(header_lines):
        fl = parse_field_line(header_lines[k][1].strip())
        if not fl:
            k += 1
            continue
        key, label, value = fl
        value, k = _continue_value(header_lines, k + 1, key, value)
        title = _take_field(key, label, value, title, declared, taxonomy, ctx, unused_diags, unused_labels)
    return declared, title
