"""Declared headers: the vocabulary of header fields and how each one is applied.

Every format ends up here: AO3 ``dl.tags`` entries, FanFicFare title pages, FFN
``Rated:`` lines and author-written headers all become ``(key, value)`` fields applied
to a :class:`~classifier.story.Declared` through :func:`apply_field`. Finding the header
in a text is the readers' job (:mod:`classifier.readers.text` for plain text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from classifier.labels import Taxonomy, split_terms
from classifier.story import Declared

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
        "warnings/triggers",
        "triggers/warnings",
    ],
    "relationships": ["pairing", "pairings", "relationship", "relationships", "ship", "ships", "couple", "couples"],
    "characters": ["character", "characters"],
    "fandoms": ["fandom", "fandoms", "series/fandom", "crossover"],
    "category": ["category", "categories"],
    "genres": ["genre", "genres"],
    "freeform": ["additional tags", "additional tag", "tags", "tag", "freeform tags", "freeform"],
    "summary": ["summary", "sum", "blurb", "description"],
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

#: Fields whose value may continue on following lines until a blank line or next label (below
#: a header's last field, all but a summary stop at a line of story: see the text reader).
MULTILINE_FIELDS = frozenset({"summary", "disclaimer", "notes", "warnings"})
#: Fields that hold a list of short terms. A line of prose is never one of their terms, and
#: those that are not in MULTILINE_FIELDS wrap only after a separator (``Angst, Fluff,``).
LIST_FIELDS = frozenset(
    {"warnings", "relationships", "characters", "fandoms", "category", "genres", "freeform", "series"}
)
#: A list field's line longer than this is no wrapped list of terms.
LIST_LINE_MAX_WORDS = 12

_OPEN_QUOTES = "\"'\u201c\u2018"
#: Closing quotes, brackets and emphasis that may follow a sentence's last mark (``...it."``).
_SENTENCE_CLOSERS = "\"'\u201d\u2019)]*_"
# One sentence ends and another starts inside the line: "She ran. He followed."
_SENTENCE_INSIDE_RE = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s+[\"'\u201c\u2018(]?[A-Z]")
_LIST_SEP_RE = re.compile(r"\s*[,;]\s*")
#: What a wrapped list line ends with when its next line goes on with the list.
LIST_CONTINUES = (",", ";", "&", "/", "+", "-", "\u2013", "\u2014")


def ends_sentence(line: str) -> bool:
    """Whether ``line`` ends with a sentence's last mark (closing quotes or brackets may follow)."""
    return line.rstrip().rstrip(_SENTENCE_CLOSERS)[-1:] in (".", "!", "?", "\u2026")


#: First words of short narrative sentences ("He ran.", "The door shut."). Not "I", "It", "There",
#: "You", "This", ...: those open the author's own short lines below a disclaimer or warnings
#: ("I own nothing.", "There is gore.", "You were warned!"), which belong to the field.
_SENTENCE_STARTERS = frozenset("He She They The A An Her His Their Nobody Someone Then".split())


def reads_as_prose(line: str) -> bool:
    """Whether ``line`` reads as a line of story rather than more of a header value.

    Dialogue (a quote mark opening a line of two words or more), or a sentence: it starts with
    a capital, has four words or more (or two, after a pronoun or article: "He ran."), at least
    one of them lower-case after the first (tags and warnings are title case: "Major Character
    Death."), and ends with a full stop, ``!``, ``?`` or ``…`` (or has a sentence ending inside
    it). A short comma list ("Violence, gore.") is no sentence. Field lines are the caller's to
    rule out first: ``Label: value`` is never prose.
    """
    s = line.strip()
    words = s.split()
    if len(words) < 2:
        return False
    if s[0] in _OPEN_QUOTES:
        return True
    if not s[0].isupper():
        return False  # a lower-case start goes on with the sentence or list above it
    inside = _SENTENCE_INSIDE_RE.search(s) is not None
    short_ok = len(words) >= 4 or words[0] in _SENTENCE_STARTERS
    if not (inside or (short_ok and ends_sentence(s))):
        return False
    if not any(w[:1].islower() for w in words[1:]):
        return False
    items = [t for t in _LIST_SEP_RE.split(s) if t]
    return inside or not (len(items) >= 2 and all(len(t.split()) <= 4 for t in items))


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

#: Decoration allowed before a header label (quote marks, bullets, emphasis, emoji such as
#: ``🔞 Rating: E`` or ``⚠️ Warnings:``), as a regex.
LINE_DECOR = r"[\s>*_#~\-+\u2022\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\U0001f000-\U0001faff]*"
_FIELD_RE = re.compile(
    r"^"
    + LINE_DECOR
    + r"(?P<label>[A-Za-z][A-Za-z/' ]{0,24}?(?:\(s\))?)"
    + r"(?:[*_ ]*[:=]|\s+[-\u2013\u2014](?=\s))[*_ ]*"
    # The value up to its last character that is not emphasis or space (greedy, then one step
    # back: linear; a lazy value tried ``[*_ ]*$`` after every character, quadratic in a run).
    + r"(?P<value>(?:.*[^*_ \n])?)[*_ ]*$"
)
_RATED_RE = re.compile(r"^" + LINE_DECOR + r"rated\s*:?\s+(?P<value>\S.*)$", re.I)
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


#: Between the fields of an FFN line: `` - `` on the site, `` · `` or `` • `` in its app, its
#: mobile pages and the downloaders that copy them.
FFN_SEP = r"\s+[-\u00b7\u2022]\s+"
# FFN's story page says ``Rated: Fiction T - ...``; its story lists and several downloaders drop
# "Fiction" (``Rated: T - English - ...``), which is only taken as FFN when " - " fields follow.
_FFN_RATED_RE = re.compile(
    r"^\s*(?:rated\s*:\s*)?(?:fiction\s+(?P<rating>K\+|K|T|MA|M)(?![\w+])|(?P<bare>K\+|K|T|MA|M)(?="
    + FFN_SEP
    + r"\S))(?P<rest>.*)$",
    re.I,
)
# A separator starts only where a whitespace run starts: a long run is scanned once, not once per space.
_FFN_SPLIT_RE = re.compile(r"(?<!\s)" + FFN_SEP)
_FFN_STATUS_WORDS = {"complete", "completed", "in-progress", "in progress", "incomplete", "wip", "abandoned"}
_FFN_KEYS = {"words", "chapters", "reviews", "favs", "follows", "updated", "published", "status", "id"}
# Without "Fiction", FFN's own fields must follow: "Rating: M - violence, language" is a rating and its reason.
_FFN_KEY_RE = re.compile(r"\s[-\u00b7\u2022]\s(?:" + "|".join(sorted(_FFN_KEYS)) + r")\s*:", re.I)


def _ffn_match(value: str) -> re.Match[str] | None:
    m = _FFN_RATED_RE.match(value)
    if m and m.group("bare") and not _FFN_KEY_RE.search(m.group("rest")):
        return None
    return m


def is_ffn_line(line: str) -> bool:
    """Whether ``line`` is an FFN metadata line (``Rated: Fiction T - ...`` or ``Rated: T - English - ...``)."""
    s = line.strip()
    return bool(re.match(r"rated\s*:", s, re.I)) and _ffn_match(s) is not None


def parse_ffn_rated(value: str, declared: Declared, taxonomy: Taxonomy) -> bool:
    """Apply an FFN metadata line such as ``Rated: Fiction T - English - Genre - Chars - Words: N - ...``
    (fields may also be separated by ``·`` or ``•``).

    Parameters
    ----------
    value
        The line, with or without its ``Rated:`` label.
    declared, taxonomy
        Where the fields go and how the rating is read.

    Returns
    -------
    bool
        False when ``value`` is not an FFN metadata line (nothing is applied then).

    Notes
    -----
    Rating, language, genres, characters and ``[pairings]``, chapters and words go to their
    fields; reviews, favs, follows, dates, status (``Status: Complete`` or a bare
    ``Complete``) and the id are kept in ``declared.raw`` as ``ffn <key>``.
    """
    m = _ffn_match(value)
    if not m:
        return False
    declared.rating = taxonomy.parse_rating(m.group("rating") or m.group("bare"), scale_hint="ffn")
    declared.raw["ffn rating"] = m.group("rating") or m.group("bare")
    parts = [p.strip() for p in _FFN_SPLIT_RE.split(m.group("rest").strip(" -\u00b7\u2022")) if p.strip()]
    position = 0
    for part in parts:
        kv = re.match(r"^(?P<k>[A-Za-z ]+):\s*(?P<v>.*)$", part)
        if kv and kv.group("k").strip().lower() in _FFN_KEYS:
            k = kv.group("k").strip().lower()
            v = kv.group("v").strip()
            if k == "words":
                declared.words = _parse_int(v)
            elif k == "chapters":
                declared.chapters = v
            declared.raw[f"ffn {k}"] = v
            continue
        if part.lower() in _FFN_STATUS_WORDS:
            declared.raw["ffn status"] = part
            continue
        position += 1
        genres = _split_genres(part)
        if genres and all(g.lower() in _FFN_GENRES for g in genres):
            declared.add_tags("genres", genres)
        elif position == 1 and not kv:
            declared.language = part
        elif kv:
            # A field FFN does not use ("Crossover: ..."): kept, never read as a character.
            declared.raw[f"ffn {kv.group('k').strip().lower()}"] = kv.group("v").strip()
        else:
            chars = re.sub(r"[\[\]]", ",", part)
            declared.add_tags("characters", [c for c in re.split(r"\s*,\s*", chars) if c.strip()])
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
            _add_reason_terms(declared, best.reason, taxonomy)
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


def _add_reason_terms(declared: Declared, reason: str, taxonomy: Taxonomy) -> None:
    # "Rated M for violence" declares violence; "Rated E for reasons" declares no warning at all,
    # so only reasons that name a warning count (the rest stays in raw).
    terms = split_terms(reason)
    named = [t for t in terms if taxonomy.map_term(t)]
    if named:
        _add_warning_terms(declared, named, taxonomy)
    if len(named) < len(terms):
        declared.raw["rating reason"] = reason


def scan_note_declarations(text: str, declared: Declared, taxonomy: Taxonomy, ctx: HeaderContext) -> list[str]:
    """Find ``Rated X`` / ``Warning: ...`` declarations inside an author's note; return what was found."""
    found: list[str] = []
    for m in _EMBED_RATING_RE.finditer(text):
        rating = taxonomy.parse_rating(m.group("value"))
        if rating is not None and rating.canonical is not None:
            if declared.rating is None or declared.rating.canonical is None:
                declared.rating = rating
            if rating.reason:
                _add_reason_terms(declared, rating.reason, taxonomy)
            found.append(f"rating in {ctx.where}")
    # All the note's warning terms are mapped together once: re-mapping every term seen so far
    # at each declaration made a note with thousands of them quadratic.
    note_terms: list[str] = []
    for m in _EMBED_WARN_RE.finditer(text):
        terms = split_terms(m.group("value"))
        if terms:
            note_terms.extend(terms)
            found.append(f"warnings in {ctx.where}")
    if note_terms:
        _add_warning_terms(declared, list(dict.fromkeys(note_terms)), taxonomy)
    ctx.found.extend(found)
    return found
