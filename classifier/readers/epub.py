"""EPUB (AO3 downloads, FanFicFare exports): spine documents joined, then read as HTML.

Zip members are checked before they are inflated: names must stay inside the archive
and the total expanded size is capped, so a zip bomb fails fast with a clear reason.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile

from classifier.labels import Taxonomy
from classifier.readers.decode import binary_kind
from classifier.readers.errors import ReadError
from classifier.story import Story

#: Default cap on the total uncompressed size of an EPUB's members.
MAX_EPUB_EXPANDED = 200 * 1024 * 1024
_MAX_RATIO = 200


def _safe_member(name: str) -> bool:
    norm = posixpath.normpath(name)
    return not (norm.startswith("../") or norm == ".." or norm.startswith("/") or re.match(r"^[A-Za-z]:", norm))


#: Formats of EPUBs by the kind of HTML inside.
_FORMATS = {"ao3-download-html": "ao3-epub", "ao3-html": "ao3-epub", "fanficfare-html": "fanficfare-epub"}


def read_epub(data: bytes, taxonomy: Taxonomy, *, id: str = "epub", path: str = "<epub>") -> Story:
    """Read an EPUB: its spine documents joined and read as one HTML page."""
    from classifier.readers.html import read_html

    story = read_html(epub_to_html(data, path), taxonomy, id=id, path=path)
    story.format = _FORMATS.get(story.format, "epub")
    return story


def epub_to_html(data: bytes, name: str, *, max_expanded: int = MAX_EPUB_EXPANDED) -> str:
    """Return one HTML document made of the EPUB's spine documents in reading order."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReadError(name, f"corrupt or truncated EPUB/zip ({exc})") from None
    with zf:
        infos = zf.infolist()
        total = 0
        for info in infos:
            if not _safe_member(info.filename):
                raise ReadError(name, f"EPUB member {info.filename[:80]!r} escapes the archive folder")
            total += info.file_size
            if (
                info.compress_size
                and info.file_size / max(info.compress_size, 1) > _MAX_RATIO
                and info.file_size > 1 << 20
            ):
                raise ReadError(
                    name,
                    f"EPUB member {info.filename[:80]!r} expands {info.file_size // info.compress_size}x (zip bomb?)",
                )
        if total > max_expanded:
            raise ReadError(name, f"EPUB expands to {total:,} bytes, over the {max_expanded:,}-byte cap (zip bomb?)")
        names = {i.filename for i in infos}
        budget = [max_expanded]  # bytes left to inflate, over every read (a member read twice counts twice)

        def read(member: str) -> bytes:
            try:
                with zf.open(member) as fh:
                    out = fh.read(budget[0] + 1)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
                raise ReadError(name, f"corrupt EPUB member {member[:80]!r} ({exc})") from None
            if len(out) > budget[0]:
                raise ReadError(name, f"EPUB expands past the {max_expanded:,}-byte cap (zip bomb?)")
            budget[0] -= len(out)
            return out

        if "mimetype" in names and b"epub" not in read("mimetype"):
            raise ReadError(name, "zip archive that is not an EPUB")
        opf_path = None
        if "META-INF/container.xml" in names:
            m = re.search(rb'full-path="([^"]+)"', read("META-INF/container.xml"))
            if m:
                opf_path = m.group(1).decode("utf-8", "replace")
        if opf_path is None:
            opf_path = next((n for n in names if n.endswith(".opf")), None)
        if opf_path is None or opf_path not in names:
            raise ReadError(name, "zip archive without an EPUB package document (.opf)")
        opf = read(opf_path).decode("utf-8", "replace")
        base = posixpath.dirname(opf_path)
        manifest: dict[str, str] = {}
        for tag in _tags(opf, "item"):
            item_id, href = _attr(tag, "id"), _attr(tag, "href")
            if item_id and href:
                manifest[item_id] = href
        spine = [idref for tag in _tags(opf, "itemref") if (idref := _attr(tag, "idref"))]
        docs: list[str] = []
        seen: set[str] = set()
        skipped: list[str] = []
        for idref in spine:
            href = manifest.get(idref)
            if not href:
                continue
            member = posixpath.normpath(posixpath.join(base, href.split("#")[0]))
            if member in seen or member not in names or not _safe_member(member):
                continue  # a document listed twice is read once
            seen.add(member)
            raw = read(member)
            if binary_kind(raw):
                skipped.append(member)
                continue
            text = raw.decode("utf-8", "replace")
            body = _body_of(text)
            docs.append(f'<div class="epub-doc" data-href="{href}">{body if body is not None else text}</div>')
        if not docs:
            why = f" (binary members: {', '.join(m[:60] for m in skipped[:3])})" if skipped else ""
            raise ReadError(name, "EPUB has no readable documents in its spine" + why)
        title = _between(opf, "<dc:title", "</dc:title>")
        head = f"<title>{title}</title>" if title is not None else ""
        return f"<html><head>{head}</head><body>{''.join(docs)}</body></html>"


# The OPF and spine documents are scanned with find() and short anchored regexes: every
# character is looked at a bounded number of times, so 20,000 unclosed ``<item `` or
# ``<body>`` cost what their bytes cost (look-ahead regexes rescanned to the end for each).


def _tags(markup: str, tag: str) -> list[str]:
    """The attribute text of every ``<tag ...>`` (up to its ``>``), in order."""
    start = re.compile(rf"<{tag}\b")
    out: list[str] = []
    pos = 0
    while (m := start.search(markup, pos)) is not None:
        end = markup.find(">", m.end())
        if end < 0:
            break  # no later tag can close either
        out.append(markup[m.end() : end])
        pos = end + 1
    return out


def _attr(tag: str, attr: str) -> str | None:
    """The value of ``attr="..."`` in a tag's attribute text (the last one when repeated)."""
    value = None
    for m in re.finditer(rf'\b{attr}="([^"]+)"', tag):
        value = m.group(1)
    return value


def _body_of(doc: str) -> str | None:
    """What lies between the first ``<body ...>`` and the last ``</body>`` (any case), else None."""
    m = re.search(r"<body\b", doc, re.I)
    if m is None:
        return None
    open_end = doc.find(">", m.end())
    if open_end < 0:
        return None
    close = None
    for c in re.finditer(r"</body>", doc[open_end + 1 :], re.I):
        close = c
    return doc[open_end + 1 : open_end + 1 + close.start()] if close is not None else None


def _between(markup: str, open_tag: str, close_tag: str) -> str | None:
    """The text between the first ``open_tag...>`` and the next ``close_tag``, else None."""
    start = markup.find(open_tag)
    if start < 0:
        return None
    open_end = markup.find(">", start + len(open_tag))
    close = markup.find(close_tag, open_end + 1) if open_end >= 0 else -1
    return markup[open_end + 1 : close] if close >= 0 else None
