"""HTML stories: AO3 work/chapter pages and downloads, FanFiction.Net pages, anything else.

AO3 and FFN pages are read structurally (their metadata blocks and story containers);
other HTML (FanFicFare exports, hand-made pages) is turned into text with block
structure kept and read like a plain-text story.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from classifier.headers import HeaderContext, apply_field, label_key, parse_ffn_rated, scan_note_declarations
from classifier.labels import Taxonomy
from classifier.readers.chapters import join_units
from classifier.readers.text import read_plain_text
from classifier.story import Declared, Story

_BLOCK_TAGS = (
    "p",
    "div",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "blockquote",
    "center",
    "hr",
    "table",
    "tr",
    "section",
    "article",
    "pre",
    "dl",
    "dt",
    "dd",
    "header",
    "footer",
)
_DROP_TAGS = ("script", "style", "noscript", "template", "head", "svg", "iframe", "form", "button", "select")


def _soup(markup: str) -> Any:
    import warnings

    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    # EPUB chapters are XHTML, read as HTML on purpose: bs4's advice to use an XML parser is noise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        try:
            return BeautifulSoup(markup, "lxml")
        except Exception:
            return BeautifulSoup(markup, "html.parser")


def block_text(el: Any) -> str:
    """Visible text of ``el`` with paragraphs separated by blank lines."""
    from bs4 import NavigableString, Tag

    parts: list[str] = []
    # Depth-first with an explicit stack, not recursion: old exports leave thousands of
    # ``<font>`` tags unclosed, each one a level deeper than the last.
    stack: list[tuple[Iterator[Any], str | None]] = [(iter(el.children), None)]
    while stack:
        children, closing = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if closing:
                parts.append(closing)
            continue
        if isinstance(child, NavigableString):
            if type(child).__name__ in ("Comment", "Doctype", "Declaration", "ProcessingInstruction", "CData"):
                continue
            parts.append(str(child))
        elif isinstance(child, Tag):
            name = child.name or ""
            if name in _DROP_TAGS:
                continue
            if name == "br":
                parts.append("\n")
                continue
            if name == "hr":
                parts.append("\n\n* * *\n\n")
                continue
            block = name in _BLOCK_TAGS
            if block:
                parts.append("\n\n")
            if name in ("h1", "h2", "h3"):
                heading = " ".join(child.get_text(" ").split())
                if heading:
                    parts.append("#" * int(name[1]) + " " + heading)
                if block:
                    parts.append("\n\n")
            else:
                stack.append((iter(child.children), "\n\n" if block else None))

    raw = "".join(parts).replace("\xa0", " ")
    lines = [re.sub(r"[ \t\f\v]+", " ", ln).strip() for ln in raw.split("\n")]
    out: list[str] = []
    blank = 0
    for ln in lines:
        if not ln:
            blank += 1
            continue
        if out:
            out.append("" if blank >= 2 else None)  # type: ignore[arg-type]
        out.append(ln)
        blank = 0
    # ``None`` marks a single line break inside a paragraph, "" a paragraph break.
    text = ""
    for item in out:
        if item is None:
            text += "\n"
        elif item == "":
            text += "\n\n"
        else:
            text += item
    return text.strip()


def _tag_values(dd: Any) -> list[str]:
    tags = dd.select("a.tag") or dd.select("li") or dd.select("a")
    if tags:
        return [" ".join(t.get_text(" ").split()) for t in tags if t.get_text(strip=True)]
    text = " ".join(dd.get_text(" ").split())
    return [text] if text else []


def _apply_dl(dl: Any, declared: Declared, taxonomy: Taxonomy, story: Story) -> None:
    ctx = HeaderContext(where="AO3 tag list")
    for dt in dl.find_all("dt", recursive=False):
        label = " ".join(dt.get_text(" ").split()).rstrip(":").strip()
        dd = dt.find_next_sibling("dd")
        if dd is None:
            continue
        key = label_key(label)
        if label.lower() == "stats":
            stats = " ".join(dd.get_text(" ").split())
            words = re.search(r"Words:\s*([\d,. ]+)", stats)
            chapters = re.search(r"Chapters:\s*(\d+/[\d?]+)", stats)
            if words:
                declared.words = int(re.sub(r"[^\d]", "", words.group(1)) or 0) or None
            if chapters:
                declared.chapters = chapters.group(1)
            declared.raw["Stats"] = stats
            continue
        if key is None:
            story.note(f"unrecognized AO3 field {label[:40]!r}")
            continue
        if key in ("info", "notes", "author", "summary", "disclaimer", "title"):
            declared.raw[label] = " ".join(dd.get_text(" ").split())
            continue
        value: str | list[str]
        if key in ("language", "words", "chapters"):
            value = " ".join(dd.get_text(" ").split())
        else:
            value = _tag_values(dd)  # a list, so commas inside one tag survive
        msg = apply_field(declared, key, label, value, taxonomy, ctx)
        if msg:
            story.note(msg)
    story.diagnostics.extend(sorted(set(ctx.found)))


def _scan_notes_into(declared: Declared, notes: list[str], taxonomy: Taxonomy, where: str) -> None:
    """Free-form CWs in AO3 notes go to ``note_warnings``: the tag list stays authoritative."""
    scratch = Declared()
    ctx = HeaderContext(where=where)
    for note in notes:
        scan_note_declarations(note, scratch, taxonomy, ctx)
    for wid in scratch.warnings.canonical:
        if wid not in declared.note_warnings:
            declared.note_warnings.append(wid)


def _inside(el: Any, classes: tuple[str, ...]) -> bool:
    for parent in el.parents:
        cls = parent.get("class") or [] if hasattr(parent, "get") else []
        if any(c in cls for c in classes):
            return True
    return False


def _work_id(markup: str) -> str | None:
    ids = re.findall(r"/works/(\d+)", markup)
    return Counter(ids).most_common(1)[0][0] if ids else None


def _fill_ao3(soup: Any, markup: str, story: Story, taxonomy: Taxonomy) -> None:
    """Fill ``story`` from an AO3 work/chapter page or an AO3 HTML/EPUB download."""
    dl = soup.select_one("dl.work.meta") or soup.select_one("#preface dl.tags") or soup.select_one("dl.tags")
    declared = Declared()
    _apply_dl(dl, declared, taxonomy, story)
    title_el = (
        soup.select_one("#workskin .preface h2.title")
        or soup.select_one("h2.title.heading")
        or soup.select_one("#preface .meta h1")
        or soup.select_one("#preface h1")
        or soup.select_one("h1")
    )
    story.title = " ".join(title_el.get_text(" ").split()) if title_el else None
    summary = soup.select_one(".preface .summary blockquote") or _download_block(soup, "Summary")
    if summary is not None:
        declared.summary = block_text(summary)
    notes = [block_text(n) for n in soup.select(".notes blockquote.userstuff, #afterword blockquote.userstuff")]
    notes += [block_text(b) for b in _download_blocks(soup, ("Notes", "Chapter Notes", "End Notes", "Author's Note"))]
    _scan_notes_into(declared, notes, taxonomy, "AO3 notes")
    story.declared = declared

    root = soup.select_one("#chapters")
    units: list[tuple[str | None, str]] = []
    if root is not None:
        excluded = ("notes", "summary", "preface", "meta", "endnotes", "end", "afterword", "landmark")
        candidates = [d for d in root.find_all("div", class_="userstuff") if not _inside(d, excluded)]
        top = [d for d in candidates if not any(p in candidates for p in d.parents)]
        for unit in top:
            for lm in unit.select(".landmark"):
                lm.decompose()
            units.append((_chapter_title(unit), block_text(unit)))
        if not top:
            for el in root.select(".meta, .notes, .endnotes, .landmark, h2.toc-heading"):
                el.decompose()
            units.append((None, block_text(root)))
    story.body, story.chapters = join_units(units)
    wid = _work_id(markup)
    if wid:
        story.id = wid
    if not story.body:
        story.note("no story text found in #chapters")


def _chapter_title(unit: Any) -> str | None:
    chapter = unit.find_parent("div", class_="chapter")
    if chapter is not None:
        h = chapter.select_one(".chapter.preface .title") or chapter.select_one("h2, h3.title")
        if h is not None:
            return " ".join(h.get_text(" ").split())
    prev = unit.find_previous_sibling("div", class_="meta")
    if prev is not None:
        h = prev.select_one("h2, h3")
        if h is not None:
            return " ".join(h.get_text(" ").split())
    prev_h = unit.find_previous_sibling(["h2", "h3"])
    if prev_h is not None:
        return " ".join(prev_h.get_text(" ").split())
    return None


def _download_block(soup: Any, label: str) -> Any:
    blocks = _download_blocks(soup, (label,))
    return blocks[0] if blocks else None


def _download_blocks(soup: Any, labels: tuple[str, ...]) -> list[Any]:
    # AO3 downloads label summary/notes with a bare <p>Summary</p> before a blockquote.
    out = []
    for p in soup.select("#preface p, .meta p, #afterword p, #endnotes p"):
        if " ".join(p.get_text(" ").split()).rstrip(":") in labels:
            bq = p.find_next_sibling("blockquote")
            if bq is not None:
                out.append(bq)
    return out


def _fill_ffn(soup: Any, markup: str, story: Story, taxonomy: Taxonomy) -> None:
    """Fill ``story`` from a FanFiction.Net story page."""
    declared = Declared()
    profile = soup.select_one("#profile_top") or soup
    title = profile.select_one("b.xcontrast_txt") or soup.select_one("title")
    story.title = " ".join(title.get_text(" ").split()) if title else None
    rated = None
    for span in profile.select("span.xgray, span"):
        text = " ".join(span.get_text(" ").split())
        if text.startswith("Rated:"):
            rated = text
            break
    if rated is None:
        m = re.search(r"Rated:\s*Fiction\s+[^<\n]{1,400}", markup)
        rated = m.group(0) if m else None
    if rated:
        parse_ffn_rated(re.sub(r"^Rated:\s*", "", rated), declared, taxonomy)
        story.note("rating in FFN Rated line")
    else:
        story.note("FFN page without a Rated line")
    summary = profile.select_one("div.xcontrast_txt")
    if summary is not None:
        declared.summary = " ".join(summary.get_text(" ").split())
    story.declared = declared
    text_el = soup.select_one("#storytext")
    chapter = soup.select_one("select#chap_select option[selected]")
    units = [(" ".join(chapter.get_text(" ").split()) if chapter else None, block_text(text_el) if text_el else "")]
    story.body, story.chapters = join_units(units)
    m = re.search(r"/s/(\d+)", markup)
    if m:
        story.id = f"ffn-{m.group(1)}"


#: Formats of HTML read as text, by the header convention the text reader found.
_TEXT_FORMATS = {"fanficfare-txt": "fanficfare-html", "ffn-txt": "ffn-html"}


def read_html(markup: str, taxonomy: Taxonomy, *, id: str = "html", path: str = "<html>") -> Story:
    """Read an HTML page: AO3 and FFN pages structurally, anything else as text with block structure kept."""
    story = Story(id=id, path=path, format="html")
    soup = _soup(markup)
    if soup.select_one("dl.work.meta"):
        story.format = "ao3-html"
        _fill_ao3(soup, markup, story, taxonomy)
        return story
    if soup.select_one("#preface dl.tags") or (soup.select_one("dl.tags") and "Archive of Our Own" in markup):
        story.format = "ao3-download-html"
        _fill_ao3(soup, markup, story, taxonomy)
        return story
    if soup.select_one("#storytext") or re.search(
        r"Rated:\s*(?:<[^>]+>\s*)*Fiction\s+(K\+|K|T|MA|M)\b", markup[:200000]
    ):
        if soup.select_one("#storytext"):
            story.format = "ffn-html"
            _fill_ffn(soup, markup, story, taxonomy)
            return story
    story = read_plain_text(block_text(soup.body or soup), taxonomy, id=id, path=path)
    fanficfare = story.format == "fanficfare-txt"
    story.format = _TEXT_FORMATS.get(story.format, "html")
    if not story.title:
        title_el = soup.select_one("title")
        story.title = " ".join(title_el.get_text(" ").split()) if title_el else None
    if story.title and fanficfare:
        story.title = re.sub(r"\s+by\s+.+$", "", story.title)
    return story
