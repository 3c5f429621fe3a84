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

        def read(member: str) -> bytes:
            try:
                with zf.open(member) as fh:
                    out = fh.read(max_expanded + 1)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
                raise ReadError(name, f"corrupt EPUB member {member[:80]!r} ({exc})") from None
            if len(out) > max_expanded:
                raise ReadError(name, "EPUB member expands past the size cap (zip bomb?)")
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
        manifest = {
            m.group("id"): m.group("href")
            for m in re.finditer(r'<item\b(?=[^>]*\bid="(?P<id>[^"]+)")(?=[^>]*\bhref="(?P<href>[^"]+)")[^>]*>', opf)
        }
        spine = re.findall(r'<itemref\b[^>]*\bidref="([^"]+)"', opf)
        docs: list[str] = []
        for idref in spine:
            href = manifest.get(idref)
            if not href:
                continue
            member = posixpath.normpath(posixpath.join(base, href.split("#")[0]))
            if member not in names or not _safe_member(member):
                continue
            raw = read(member)
            text = raw.decode("utf-8", "replace")
            body = re.search(r"<body\b[^>]*>(.*)</body>", text, re.S | re.I)
            docs.append(f'<div class="epub-doc" data-href="{href}">{body.group(1) if body else text}</div>')
        if not docs:
            raise ReadError(name, "EPUB has no readable documents in its spine")
        title = re.search(r"<dc:title[^>]*>(.*?)</dc:title>", opf, re.S)
        head = f"<title>{title.group(1)}</title>" if title else ""
        return f"<html><head>{head}</head><body>{''.join(docs)}</body></html>"
