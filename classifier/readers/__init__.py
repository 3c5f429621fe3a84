"""Readers: any input path to :class:`~classifier.story.Story` records.

Formats are recognised by content first (zip/EPUB, Parquet, HTML, JSON lines) and by
extension only where content cannot tell (CSV/TSV). Every failure is a
:class:`ReadError` yielded in place, so one bad file never stops a batch.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from classifier.config import DEFAULT_MAX_SIZE
from classifier.labels import Taxonomy, load_taxonomy
from classifier.readers.errors import ReadError
from classifier.readers.tables import TableOptions
from classifier.story import Story

__all__ = [
    "INPUT_FORMATS",
    "ReadError",
    "ReadOptions",
    "TableOptions",
    "expand_paths",
    "iter_stories",
    "read_bytes",
    "read_path",
    "read_text",
    "table_extension_kind",
]

#: Values accepted by ``--input-format``.
INPUT_FORMATS = ("auto", "text", "html", "epub", "csv", "tsv", "jsonl", "json", "parquet")

#: Extensions picked up when walking a directory. Tables (CSV/JSONL/Parquet) in a story
#: folder are usually metadata, so they are read only when named (or globbed) explicitly.
STORY_EXTENSIONS = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".xhtml", ".epub", ""}


@dataclass
class ReadOptions:
    """How inputs are read."""

    input_format: str = "auto"
    max_size: int = DEFAULT_MAX_SIZE
    table: TableOptions = field(default_factory=TableOptions)
    taxonomy: Taxonomy | None = None
    #: Re-raise unexpected exceptions instead of turning them into one-line errors.
    debug: bool = False

    def get_taxonomy(self) -> Taxonomy:
        """The taxonomy in use (the packaged default unless one was given)."""
        if self.taxonomy is None:
            self.taxonomy = load_taxonomy()
        return self.taxonomy


def expand_paths(paths: Iterable[str]) -> Iterator[str | ReadError]:
    """Expand files, directories (recursive, sorted) and globs; ``-`` is stdin."""
    for raw in paths:
        if raw == "-":
            yield "-"
            continue
        p = Path(raw)
        if not os.path.lexists(raw):
            matches = sorted(glob.glob(raw, recursive=True)) if glob.has_magic(raw) else []
            if not matches:
                yield ReadError(raw, "no such file or directory" if not glob.has_magic(raw) else "glob matched nothing")
                continue
            for m in matches:
                yield from expand_paths([m]) if os.path.isdir(m) else iter([m])
            continue
        if p.is_dir():
            yield from _walk(p)
        else:
            yield raw


def _walk(root: Path) -> Iterator[str | ReadError]:
    seen: set[tuple[int, int]] = set()

    def onerror(exc: OSError) -> None:
        errors.append(ReadError(str(exc.filename or root), exc.strerror or str(exc)))

    errors: list[ReadError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror, followlinks=False):
        try:
            st = os.stat(dirpath)
            key = (st.st_dev, st.st_ino)
            if key in seen:
                dirnames[:] = []
                continue
            seen.add(key)
        except OSError:
            pass
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fn in sorted(filenames):
            if fn.startswith(".") or Path(fn).suffix.lower() not in STORY_EXTENSIONS:
                continue
            yield os.path.join(dirpath, fn)
        while errors:
            yield errors.pop(0)
    while errors:
        yield errors.pop(0)


def _read_bytes_from(path: str, max_size: int) -> bytes:
    if path == "-":
        data = sys.stdin.buffer.read(max_size + 1)
        if len(data) > max_size:
            raise ReadError("<stdin>", f"input larger than the {max_size:,}-byte cap (raise --max-size)")
        return data
    try:
        size = os.path.getsize(path)
        if size > max_size:
            raise ReadError(path, f"file is {size:,} bytes, over the {max_size:,}-byte cap (raise --max-size)")
        with open(path, "rb") as fh:
            return fh.read(max_size + 1)
    except ReadError:
        raise
    except IsADirectoryError:
        raise ReadError(path, "is a directory") from None
    except PermissionError:
        raise ReadError(path, "permission denied") from None
    except FileNotFoundError:
        raise ReadError(path, "no such file (or a broken symlink)") from None
    except OSError as exc:
        raise ReadError(path, exc.strerror or str(exc)) from None


#: Table file extensions (a trailing ``.gz`` is looked through) and the kind each is read as.
TABLE_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
}


def table_extension_kind(path: str) -> str | None:
    """The table kind a path's extension names (``rows.jsonl.gz`` → ``jsonl``), else None."""
    low = path.lower()
    return TABLE_EXTENSIONS.get(Path(low[:-3] if low.endswith(".gz") else low).suffix)


def _kind_of(data: bytes, path: str, forced: str) -> str:
    if forced != "auto":
        return forced
    ext_kind = table_extension_kind(path) if path != "-" else None
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return "epub"
    if data.startswith(b"PAR1"):
        return "parquet"
    if ext_kind in ("csv", "tsv", "jsonl"):
        return ext_kind
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if ext_kind == "json" or head.startswith(b"["):
        if head.startswith(b"[") or head.startswith(b"{"):
            return "json" if head.startswith(b"[") or _single_json(data) else "jsonl"
    if head.startswith(b"{"):
        return "jsonl"
    return "text"


def _single_json(data: bytes) -> bool:
    lines = [ln for ln in data.splitlines() if ln.strip()]
    return len(lines) > 1 and not lines[0].rstrip().endswith(b"}")


def read_bytes(data: bytes, path: str, options: ReadOptions | None = None) -> Iterator[Story | ReadError]:
    """Read one input's bytes; yields stories (one, or one per table row) and row errors."""
    options = options or ReadOptions()
    taxonomy = options.get_taxonomy()
    name = "<stdin>" if path == "-" else path
    if not data.strip():
        raise ReadError(name, "empty file" if not data else "file holds only whitespace")
    kind = _kind_of(data, path, options.input_format)
    if kind in ("csv", "tsv", "jsonl", "json", "parquet"):
        from classifier.readers.tables import read_table

        yield from read_table(data, kind, name, taxonomy, options.table)
        return
    if kind == "epub":
        from classifier.readers.epub import epub_to_html
        from classifier.readers.html import read_html

        markup = epub_to_html(data, name)
        story = Story(id=_default_id(path), path=name, format="epub")
        read_html(markup, story, taxonomy)
        story.format = {
            "ao3-download-html": "ao3-epub",
            "ao3-html": "ao3-epub",
            "fanficfare-html": "fanficfare-epub",
        }.get(story.format, "epub")
        yield _finish(story, name)
        return
    from classifier.readers.decode import decode_bytes

    text, encoding = decode_bytes(data, name)
    if not text.strip():
        raise ReadError(name, "file holds only whitespace")
    yield _finish(read_text(text, path, options, kind=kind, encoding=encoding), name)


def read_text(
    text: str,
    path: str = "<text>",
    options: ReadOptions | None = None,
    *,
    kind: str = "text",
    encoding: str | None = None,
) -> Story:
    """Read a story from already-decoded text (plain text, markdown or HTML)."""
    from classifier.readers.html import looks_like_html, read_html

    options = options or ReadOptions()
    taxonomy = options.get_taxonomy()
    name = "<stdin>" if path == "-" else path
    story = Story(id=_default_id(path), path=name, format="txt")
    if encoding and encoding != "utf-8":
        story.note(f"decoded as {encoding}")
    if kind == "html" or (kind == "text" and looks_like_html(text)):
        read_html(text, story, taxonomy)
        return story
    from classifier.headers import parse_text

    parsed = parse_text(text, taxonomy)
    ext = Path(path).suffix.lower()
    story.format = {"fanficfare": "fanficfare-txt", "ffn": "ffn-txt"}.get(
        parsed.kind, "markdown" if ext in (".md", ".markdown") else "txt"
    )
    story.title = parsed.title
    story.declared = parsed.declared
    story.body = parsed.body
    story.chapters = parsed.chapters
    story.diagnostics.extend(parsed.diagnostics)
    return story


def _finish(story: Story, name: str) -> Story:
    if not story.body.strip():
        raise ReadError(name, "no story text found" + (" (only a header)" if story.declared.rating else ""))
    return story


def _default_id(path: str) -> str:
    if path == "-":
        return "stdin"
    return Path(path).stem or path


_TABLE_KINDS = ("csv", "tsv", "jsonl", "json", "parquet")


def _table_kind(path: str, options: ReadOptions) -> str | None:
    """The table kind of a file that can be streamed from its path, else None."""
    if options.input_format in _TABLE_KINDS:
        return options.input_format
    if options.input_format != "auto":
        return None
    kind = table_extension_kind(path)
    if kind in ("csv", "tsv", "jsonl"):
        try:
            size = os.path.getsize(path)
        except OSError:
            return None  # let the ordinary path report it
        return kind if size else None
    if kind == "parquet":
        try:
            with open(path, "rb") as fh:
                return "parquet" if fh.read(4) == b"PAR1" else None
        except OSError:
            return None
    return None


def read_path(path: str, options: ReadOptions | None = None) -> Iterator[Story | ReadError]:
    """Read one file (or ``-``) into stories; errors are yielded, never raised."""
    options = options or ReadOptions()
    name = "<stdin>" if path == "-" else path
    try:
        kind = _table_kind(path, options) if path != "-" else None
        if kind is not None:
            # Tables are streamed from disk in chunks: no size cap, memory stays flat.
            from classifier.readers.tables import read_table

            yield from read_table(path, kind, name, options.get_taxonomy(), options.table)
            return
        data = _read_bytes_from(path, options.max_size)
        yield from read_bytes(data, path, options)
    except ReadError as exc:
        yield exc
    except RecursionError:
        yield ReadError(name, "document nested too deeply to parse")
    except MemoryError:
        yield ReadError(name, "out of memory while reading")
    except Exception as exc:
        if options.debug:
            raise
        yield ReadError(
            name, f"internal error while reading ({type(exc).__name__}: {str(exc)[:100]}); rerun with --debug"
        )


def iter_stories(paths: Iterable[str], options: ReadOptions | None = None) -> Iterator[Story | ReadError]:
    """Stories from every path in order (files, directories, globs, ``-``), errors in place."""
    options = options or ReadOptions()
    for item in expand_paths(paths):
        if isinstance(item, ReadError):
            yield item
            continue
        yield from read_path(item, options)
