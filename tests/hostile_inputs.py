"""Small hostile inputs, generated (no third-party text): each takes a size ``n``.

Used by the hostile-input suite and by ``tests/hostile_timing.py``, which times every
reader on them at two sizes to show the work grows linearly.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

BODY = "She walked to the bakery in the morning and bought bread for the week.\n\n"


def epub(
    opf_extra: str = "",
    spine_refs: int = 1,
    chapter: str | bytes | None = None,
    members: dict | None = None,
    spine_id: str = "c1",
) -> bytes:
    """A minimal EPUB: one chapter, listed ``spine_refs`` times in the spine, extra OPF text."""
    chapter = chapter if chapter is not None else f"<html><body><p>{BODY * 3}</p></body></html>"
    opf = (
        '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf"><metadata>'
        "<dc:title>Hostile</dc:title></metadata>"
        f'<manifest><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/>{opf_extra}</manifest>'
        "<spine>" + f'<itemref idref="{spine_id}"/>' * spine_refs + "</spine></package>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        zf.writestr(
            "META-INF/container.xml",
            '<container><rootfiles><rootfile full-path="OEBPS/content.opf"/></rootfiles></container>',
        )
        zf.writestr("OEBPS/content.opf", opf)
        zf.writestr("OEBPS/c1.xhtml", chapter)
        for name, data in (members or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def stars(n: int) -> bytes:
    return ("Rating: T\n\n" + BODY + "*" * n + "\n").encode()


def dashes(n: int) -> bytes:
    return ("Rating: T\n\n" + BODY + "-" * n + "\n").encode()


def space_run_top_line(n: int) -> bytes:
    return ("Rating: T" + " " * n + "x\n\n" + BODY).encode()


def space_run_first_line(n: int) -> bytes:
    return ("a" + " " * n + "b\n\n" + BODY).encode()


def opf_items(n: int) -> bytes:
    return epub(opf_extra="<item " * n)


def opf_itemrefs(n: int) -> bytes:
    return epub(opf_extra="<itemref " * n)


def chapter_bodies(n: int) -> bytes:
    return epub(chapter="<html>" + "<body>" * n + BODY)


def opf_titles(n: int) -> bytes:
    return epub(opf_extra="<dc:title>" * n)


def spine_repeats(n: int) -> bytes:
    return epub(spine_refs=n, chapter=f"<html><body><p>{BODY * 200}</p></body></html>")


def unclosed_fonts(n: int) -> bytes:
    return ("<html><body>" + '<font face="Arial">' * n + "<p>" + BODY + "</p></body></html>").encode()


def mixed_encoding(n: int) -> bytes:
    utf8 = ("Rating: T\n\n“Café”, she said — naïve.\n" * n).encode("utf-8")
    cp = ("He said “déjà vu” and walked home through the quiet streets of the old town.\n" * n).encode("cp1252")
    return utf8 + cp


def angle_soup(n: int) -> bytes:
    return ("<p>" + "<" * n + BODY).encode()


def yaml_block_list(n: int) -> bytes:
    return ("---\nrating: T\nwarnings:\n" + "  - violence\n" * n + "---\n\n" + BODY).encode()


def yaml_alias_bomb(n: int) -> bytes:
    # Billion laughs: each level lists the one before nine times (9**n strings once expanded).
    levels = "".join(f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]\n" for k in range(1, n + 1))
    return (
        "---\nrating: T\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + levels + "---\n\n" + BODY
    ).encode()


def yaml_deep_nesting(n: int) -> bytes:
    return ("---\nrating: T\ntags: " + "[" * n + "]" * n + "\n---\n\n" + BODY).encode()


def warning_terms_cell(n: int) -> bytes:
    # One table cell declaring n distinct warnings (every term met every taxonomy pattern).
    return ('id,text,warnings\n1,"' + BODY.strip() + '","' + ";".join(f"w{k}" for k in range(n)) + '"\n').encode()


def wide_table(n: int) -> bytes:
    # A CSV of n columns: pandas builds every one of them for every chunk.
    return (
        ",".join(["text", *(f"c{k}" for k in range(n))]) + "\n" + ",".join([BODY.strip(), *["1"] * n]) + "\n"
    ).encode()


def cp1252_table(n: int) -> bytes:
    # A cp1252 CSV whose every line is decoded on its own (UTF-8 first, then cp1252).
    row = '1,"He said \u201cd\u00e9j\u00e0 vu\u201d and walked home.\n\nShe waited."\n'
    return ("id,text\n" + row * n).encode("cp1252")


def junk_csv(n: int) -> bytes:
    # Lines no 8-bit encoding reads cleanly (cp1252 has no 0x81): the encoding is guessed once, not per line.
    return b"id,text\n" + (b'1,"' + bytes(range(0x80, 0x100)) + b'"\n') * n


#: name -> (generator, default size). Sizes are those of issue 13 where it gives one.
CASES: dict[str, tuple[Callable[[int], bytes], int]] = {
    "40k-stars": (stars, 40_000),
    "100k-dashes": (dashes, 100_000),
    "40k-space-top-field": (space_run_top_line, 40_000),
    "40k-space-first-line": (space_run_first_line, 40_000),
    "20k-opf-item": (opf_items, 20_000),
    "20k-opf-itemref": (opf_itemrefs, 20_000),
    "20k-opf-title": (opf_titles, 20_000),
    "20k-body-tags": (chapter_bodies, 20_000),
    "spine-150-refs": (spine_repeats, 150),
    "1500-unclosed-font": (unclosed_fonts, 1_500),
    "mixed-utf8-cp1252": (mixed_encoding, 2_000),
    "100k-angle-brackets": (angle_soup, 100_000),
    "20k-yaml-block-list": (yaml_block_list, 20_000),
    "yaml-alias-bomb-30": (yaml_alias_bomb, 30),
    "20k-yaml-nesting": (yaml_deep_nesting, 20_000),
    "60k-warning-terms-cell": (warning_terms_cell, 60_000),
    "50k-column-csv": (wide_table, 50_000),
    "20k-row-cp1252-csv": (cp1252_table, 20_000),
    "20k-row-junk-csv": (junk_csv, 20_000),
}

#: File name (and so reader) of each case.
NAMES = {
    "20k-opf-item": "book.epub",
    "20k-opf-itemref": "book.epub",
    "20k-opf-title": "book.epub",
    "20k-body-tags": "book.epub",
    "spine-150-refs": "book.epub",
    "1500-unclosed-font": "page.html",
    "100k-angle-brackets": "page.html",
    "60k-warning-terms-cell": "table.csv",
    "50k-column-csv": "table.csv",
    "20k-row-cp1252-csv": "table.csv",
    "20k-row-junk-csv": "table.csv",
}
