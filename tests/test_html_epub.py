"""HTML pages (AO3, FFN, FanFicFare, generic) and EPUB downloads, all written by us."""

import io
import zipfile

import pytest

from classifier.readers import ReadError, ReadOptions, read_bytes
from tests.conftest import EXAMPLES, read_one

P1 = "<p>Ana poured the tea and watched the snow fall over the allotments.</p><p>The robin was back.</p>"
P2 = "<p>Spring came late that year, and the river rose over the lower fields.</p>"


def ao3_chapter_page(rating="Explicit", warnings=("Rape/Non-Con", "Underage Sex")) -> str:
    warn = "".join(f'<li><a class="tag" href="#">{w}</a></li>' for w in warnings)
    return f"""<!DOCTYPE html><html><head><title>x</title></head><body>
<dl class="work meta group">
<dt class="rating tags">Ratings:</dt><dd class="rating tags"><ul><li><a class="tag" href="#">{rating}</a></li></ul></dd>
<dt class="warning tags">Archive Warnings:</dt><dd class="warning tags"><ul>{warn}</ul></dd>
<dt class="category tags">Categories:</dt><dd class="category tags"><ul><li><a class="tag">F/M</a></li></ul></dd>
<dt class="fandom tags">Fandoms:</dt><dd class="fandom tags"><ul><li><a class="tag">Snow, Ice &amp; Fire</a></li></ul></dd>
<dt class="freeform tags">Additional Tags:</dt><dd class="freeform tags"><ul><li><a class="tag">Angst</a></li></ul></dd>
<dt class="series">Series:</dt><dd class="series">Part 2 of <a href="/series/1">Winter</a></dd>
<dt class="stats">Stats:</dt><dd class="stats"><dl class="stats"><dt>Words:</dt><dd class="words">12,500</dd>
<dt>Chapters:</dt><dd class="chapters">2/3</dd></dl></dd>
</dl>
<div id="workskin"><div class="preface group"><h2 class="title heading">Winter Song</h2>
<h3 class="byline heading"><a rel="author" href="#">someone</a></h3></div>
<div id="chapters">
<div class="chapter" id="chapter-2"><div class="chapter preface group"><h3 class="title"><a href="/works/555/chapters/9">Chapter 2</a>: Thaw</h3>
<div id="notes" class="notes module"><h3 class="heading">Notes:</h3><blockquote class="userstuff"><p>TW: self-harm mention.</p></blockquote></div></div>
<div class="userstuff module" role="article"><h3 class="landmark heading" id="work">Chapter Text</h3>{P1}</div>
<div class="chapter end notes module"><h3 class="heading">Notes:</h3><blockquote class="userstuff"><p>Thanks!</p></blockquote></div>
</div></div></div></body></html>"""


def test_ao3_work_page_example():
    s = read_one((EXAMPLES / "the-last-watch.html").read_text(), "the-last-watch.html")
    assert s.format == "ao3-html"
    assert s.title == "The Last Watch"
    assert s.declared.rating.to_dict() == {"raw": "Mature", "scale": "ao3", "canonical": "mature"}
    assert s.declared.warnings.canonical == ["violence", "major_character_death"]
    assert s.declared.tags["categories"] == ["Gen"]
    assert s.declared.tags["fandoms"] == ["Original Work"]
    assert s.declared.language == "English"
    assert s.declared.words == 540
    assert "Work Text" not in s.body and "Content warning" not in s.body
    assert s.body.startswith("The enemy came over the wall")
    assert s.declared.note_warnings == ["violence", "major_character_death"]


def test_ao3_chapter_page_plural_labels_and_notes_excluded():
    s = read_one(ao3_chapter_page(), "ch.html")
    assert s.declared.rating.canonical == "explicit"
    assert s.declared.warnings.canonical == ["rape_noncon", "underage"]
    assert s.declared.tags["fandoms"] == ["Snow, Ice & Fire"]  # commas inside one tag survive
    assert s.declared.tags["categories"] == ["F/M"]
    assert s.declared.words == 12500 and s.declared.chapters == "2/3"
    assert s.declared.tags["series"] == ["Winter"]
    assert s.id == "555"
    assert [c.title for c in s.chapters] == ["Chapter 2 : Thaw"] or [c.title for c in s.chapters] == ["Chapter 2: Thaw"]
    assert "TW" not in s.body and "Thanks" not in s.body and "Chapter Text" not in s.body
    assert s.body.split("\n\n") == [
        "Ana poured the tea and watched the snow fall over the allotments.",
        "The robin was back.",
    ]
    assert s.declared.note_warnings == ["self_harm"]


def test_ao3_download_html_example():
    s = read_one((EXAMPLES / "garden-party.html").read_text(), "garden-party.html")
    assert s.format == "ao3-download-html"
    assert s.title == "The Garden Party"
    assert s.declared.rating.canonical == "general"
    assert s.declared.warnings.status == "none"
    assert s.declared.words == 450
    assert s.declared.summary == "A pleasant afternoon among the roses."
    assert "Thanks for reading" not in s.body and "Summary" not in s.body
    assert s.body.startswith("The roses were in full bloom")


def ao3_download_multichapter() -> str:
    return f"""<html><body><div id="preface"><p class="message">Posted originally on the Archive of Our Own</p>
<div class="meta"><dl class="tags"><dt>Rating:</dt><dd><a>Teen And Up Audiences</a></dd>
<dt>Archive Warning:</dt><dd><a>Creator Chose Not To Use Archive Warnings</a></dd>
<dt>Fandom:</dt><dd><a>Original Work</a></dd><dt>Stats:</dt><dd>Published: 2020-01-01 Words: 2,000 Chapters: 2/2</dd></dl>
<h1>River Rising</h1><div class="byline">by <a rel="author">x</a></div></div></div>
<div id="chapters" class="userstuff">
<div class="meta group"><h2 class="heading">Chapter 1: Snow</h2><p>Chapter Notes</p><blockquote class="userstuff">CW: blood</blockquote></div>
<div class="userstuff">{P1}</div>
<div class="meta group"><h2 class="heading">Chapter 2: Flood</h2></div>
<div class="userstuff">{P2}</div>
</div><div id="afterword"><div id="endnotes"><p>End Notes</p><blockquote class="userstuff">Warnings: none really</blockquote></div></div>
</body></html>"""


def test_ao3_download_multichapter():
    s = read_one(ao3_download_multichapter(), "river.html")
    assert s.format == "ao3-download-html"
    assert s.title == "River Rising"
    assert s.declared.warnings.status == "withheld"
    assert [c.title for c in s.chapters] == ["Chapter 1: Snow", "Chapter 2: Flood"]
    assert s.body[s.chapters[1].start : s.chapters[1].end].startswith("Spring came late")
    assert "CW" not in s.body and "End Notes" not in s.body


FFN_PAGE = f"""<html><head><title>Snow Day Chapter 1, a harry potter fanfic | FanFiction</title></head><body>
<div id="profile_top"><b class="xcontrast_txt">Snow Day</b> By: <a href="/u/1/x">x</a>
<div class="xcontrast_txt">A snowy day at Hogwarts.</div>
<span class="xgray xcontrast_txt">Rated: <a class="xcontrast_txt" href="#">Fiction  M</a> - English - Angst/Tragedy - Harry P. - Chapters: 2 - Words: 3,210 - Reviews: 3 - Published: Jan 1, 2020 - id: 777</span>
</div>
<select id="chap_select"><option value="1" selected>1. The First</option><option value="2">2. The Second</option></select>
<div id="storytext">{P1}</div>
<script>var storyid = 777; /s/777/1/</script></body></html>"""


def test_ffn_page():
    s = read_one(FFN_PAGE, "ffn.html")
    assert s.format == "ffn-html"
    assert s.title == "Snow Day"
    assert s.declared.rating.to_dict() == {"raw": "M", "scale": "ffn", "canonical": "mature"}
    assert s.declared.tags["genres"] == ["Angst", "Tragedy"]
    assert s.declared.words == 3210
    assert s.id == "ffn-777"
    assert s.body.startswith("Ana poured the tea")


FFF_HTML = f"""<html><head><title>Snow Day by x</title><meta name="generator" content="FanFicFare"/></head><body>
<h1><a href="#">Snow Day</a> by <a href="#">x</a></h1>
<div><b>Category:</b> Original Work<br/><b>Genre:</b> Angst, Snow<br/><b>Language:</b> English<br/>
<b>Status:</b> Completed<br/><b>Published:</b> 2020-01-01<br/><b>Packaged:</b> 2020-01-03<br/>
<b>Rating:</b> Explicit<br/><b>Warnings:</b> Major Character Death<br/><b>Publisher:</b> archiveofourown.org<br/>
<b>Summary:</b> Snow falls.<br/></div>
<h2>Chapter 1: Snow</h2>{P1}<h2>Chapter 2: Flood</h2>{P2}</body></html>"""


def test_fanficfare_html():
    s = read_one(FFF_HTML, "fff.html")
    assert s.format == "fanficfare-html"
    assert s.title == "Snow Day"
    assert s.declared.rating.canonical == "explicit"
    assert s.declared.warnings.canonical == ["major_character_death"]
    assert s.declared.tags["fandoms"] == ["Original Work"]
    assert s.declared.tags["freeform"] == ["Angst", "Snow"]
    assert [c.title for c in s.chapters] == ["Chapter 1: Snow", "Chapter 2: Flood"]
    assert s.body.startswith("Ana poured the tea")


def test_generic_html_with_author_header():
    html = f"<html><body><p>Rating: T</p><p>Warnings: swearing</p>{P1}</body></html>"
    s = read_one(html, "page.htm")
    assert s.format == "html"
    assert s.declared.rating.canonical == "teen"
    assert s.body.startswith("Ana poured")


def _epub(
    docs: dict[str, str], *, mimetype: bytes = b"application/epub+zip", extra: dict[str, bytes] | None = None
) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", mimetype)
        zf.writestr(
            "META-INF/container.xml",
            '<container><rootfiles><rootfile full-path="OEBPS/content.opf"/></rootfiles></container>',
        )
        items = "".join(
            f'<item id="d{i}" href="{name}" media-type="application/xhtml+xml"/>' for i, name in enumerate(docs)
        )
        spine = "".join(f'<itemref idref="d{i}"/>' for i in range(len(docs)))
        zf.writestr(
            "OEBPS/content.opf",
            f"<package><metadata><dc:title>Snow</dc:title></metadata><manifest>{items}</manifest><spine>{spine}</spine></package>",
        )
        for name, body in docs.items():
            zf.writestr(f"OEBPS/{name}", f"<html><body>{body}</body></html>")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_ao3_epub():
    page = ao3_download_multichapter()
    preface = page.split('<div id="chapters"')[0].split("<body>")[1]
    chapters = '<div id="chapters"' + page.split('<div id="chapters"')[1].split("</body>")[0]
    data = _epub({"preface.xhtml": preface, "chapters.xhtml": chapters})
    (s,) = list(read_bytes(data, "river.epub", ReadOptions()))
    assert s.format == "ao3-epub"
    assert s.declared.rating.canonical == "teen"
    assert [c.title for c in s.chapters] == ["Chapter 1: Snow", "Chapter 2: Flood"]


def test_fanficfare_epub_recognised_by_content_not_extension():
    title = FFF_HTML.split("<body>")[1].split("<h2>")[0]
    data = _epub({"title_page.xhtml": title, "file0001.xhtml": f"<h2>Chapter 1: Snow</h2>{P1}"})
    (s,) = list(read_bytes(data, "download.bin", ReadOptions()))
    assert s.format == "fanficfare-epub"
    assert s.declared.rating.canonical == "explicit"
    assert s.body.startswith("Ana poured")


def test_corrupt_epub():
    data = _epub({"a.xhtml": P1})[:200]
    with pytest.raises(ReadError, match=r"corrupt|truncated"):
        list(read_bytes(data, "bad.epub", ReadOptions()))


def test_epub_member_escaping_folder():
    data = _epub({"a.xhtml": P1}, extra={"../../evil.txt": b"x"})
    with pytest.raises(ReadError, match="escapes"):
        list(read_bytes(data, "evil.epub", ReadOptions()))


def test_epub_zip_bomb():
    data = _epub({"a.xhtml": P1}, extra={"OEBPS/bomb.xhtml": b"\0" * (300 * 1024 * 1024)})
    with pytest.raises(ReadError, match="zip bomb"):
        list(read_bytes(data, "bomb.epub", ReadOptions()))


def test_zip_that_is_not_epub():
    data = _epub({"a.xhtml": P1}, mimetype=b"application/zip")
    with pytest.raises(ReadError, match="not an EPUB"):
        list(read_bytes(data, "x.zip", ReadOptions()))
