"""Readers: any input path to :class:`~classifier.story.Story` records.

Formats are recognised by content first (zip/EPUB, Parquet, HTML, JSON lines) and by
extension only where content cannot tell (CSV/TSV). Every failure is a
:class:`ReadError` yielded in place, so one bad file never stops a batch.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from classifier.config import DEFAULT_MAX_SIZE
from classifier.labels import Taxonomy, load_taxonomy
from classifier.readers.errors import ReadError
from classifier.readers.paths import (
    STORY_EXTENSIONS,
    check_regular,
    expand_paths,
    nonblocking,
    regular_file_error,
)
from classifier.readers.tables import LINE_FORMATS, TABLE_FORMATS, TableOptions, table_extension_kind
from classifier.story import Story

__all__ = [
    "INPUT_FORMATS",
    "STORY_EXTENSIONS",
    "STREAM_FORMATS",
    "TABLE_FORMATS",
    "ReadError",
    "ReadOptions",
    "TableOptions",
    "expand_paths",
    "iter_stories",
    "read_bytes",
    "read_path",
    "read_text",
    "streams_stdin",
    "table_extension_kind",
]

#: ``--input-format`` values under which stdin is read line by line, each story as soon as it is in.
STREAM_FORMATS: tuple[str, ...] = ("jsonl",)

#: Values accepted by ``--input-format``.
INPUT_FORMATS: tuple[str, ...] = ("auto", "text", "html", "epub", *TABLE_FORMATS)


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
        with open(path, "rb", opener=nonblocking) as fh:
            check_regular(fh.fileno(), path)
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


def _kind_of(data: bytes, path: str, forced: str) -> str:
    if forced != "auto":
        return forced
    ext_kind = table_extension_kind(path) if path != "-" else None
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return "epub"
    if data.startswith(b"PAR1"):
        return "parquet"
    if ext_kind in LINE_FORMATS:
        return ext_kind
    if path != "-" and Path(path).suffix.lower() in STORY_EXTENSIONS - {""}:
        return "text"  # named a story: '{"Can you hear me?" she thought}' opening it is prose
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    # A table is an array of records or objects with string keys: a story that opens with
    # "[A/N: ...]" or "{Prologue}" is text.
    records = _JSON_RECORDS.match(head) is not None
    if ext_kind == "json":
        # Named a table: whatever its shape, the table reader says what is wrong with it.
        return "jsonl" if head.startswith(b"{") and not _single_json(data) else "json"
    if records:
        return "json"
    if _JSON_OBJECT.match(head):
        return "jsonl"
    return "text"


_JSON_RECORDS = re.compile(rb"\[\s*[{\]]")
_HTML_START = re.compile(r"<(body|div|p|h[1-6]|head|meta|title|section|article)\b")
_JSON_OBJECT = re.compile(rb'\{\s*(?:"|\})')


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
    if kind in TABLE_FORMATS:
        from classifier.readers.tables import read_table

        yield from read_table(data, kind, name, taxonomy, options.table)
        return
    if kind == "epub":
        from classifier.readers.epub import read_epub

        yield _finish(read_epub(data, taxonomy, id=_default_id(path), path=name), name)
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
    from classifier.readers.text import read_plain_text

    taxonomy = (options or ReadOptions()).get_taxonomy()
    name = "<stdin>" if path == "-" else path
    if kind == "html" or (kind == "text" and looks_like_html(text)):
        # Imported here, not above: plain text is most of what is scored, and the HTML reader
        # (its parser and patterns) is a large share of a cold first score.
        from classifier.readers.html import read_html

        story = read_html(text, taxonomy, id=_default_id(path), path=name)
    else:
        story = read_plain_text(text, taxonomy, id=_default_id(path), path=name)
        if story.format == "txt" and Path(path).suffix.lower() in (".md", ".markdown"):
            story.format = "markdown"
    if encoding and encoding != "utf-8":
        story.diagnostics.insert(0, f"decoded as {encoding}")
    return story


def looks_like_html(text: str) -> bool:
    """True when the start of ``text`` is HTML markup rather than prose."""
    head = text[:4096].lstrip("\ufeff \t\r\n").lower()
    if head.startswith(("<!doctype html", "<html", "<?xml")):
        return "<html" in head or "<body" in head or "<!doctype html" in head
    return bool(_HTML_START.match(head)) and "</" in text[:20000]


def _finish(story: Story, name: str) -> Story:
    if not story.body.strip():
        raise ReadError(name, "no story text found" + (" (only a header)" if story.declared.rating else ""))
    return story


def _default_id(path: str) -> str:
    if path == "-":
        return "stdin"
    return Path(path).stem or path


def _table_kind(path: str, options: ReadOptions) -> str | None:
    """The table kind of a file that can be streamed from its path, else None."""
    if options.input_format in TABLE_FORMATS:
        return options.input_format
    if options.input_format != "auto":
        return None
    kind = table_extension_kind(path)
    if kind in LINE_FORMATS:
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
        if path != "-" and (refused := regular_file_error(path)) is not None:
            yield refused  # a FIFO would block the whole batch on open()
            return
        if path == "-" and options.input_format in STREAM_FORMATS:
            # A pipe of JSON lines is a stream of stories: each is yielded as its line comes in,
            # so `producer | ficrate score - --input-format jsonl` answers as it goes.
            from classifier.readers.tables import read_jsonl_lines

            yield from read_jsonl_lines(
                sys.stdin.buffer, name, options.get_taxonomy(), options.table, max_line=options.max_size
            )
            return
        kind = _table_kind(path, options) if path != "-" else None
        if kind is not None:
            # Tables are streamed from disk in chunks: no size cap, memory stays flat.
            from classifier.readers.tables import read_table

            yield from read_table(path, kind, name, options.get_taxonomy(), options.table)
            return
        data = _read_bytes_from(path, options.max_size)
        for item in read_bytes(data, path, options):
            if isinstance(item, Story):
                item.body_words  # noqa: B018 - counted here, so a failure stays this file's error
            yield item
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


def streams_stdin(paths: Iterable[str], options: ReadOptions) -> bool:
    """True when stdin is among ``paths`` and read as a stream of records (see :func:`read_path`)."""
    return options.input_format in STREAM_FORMATS and "-" in paths


def iter_stories(paths: Iterable[str], options: ReadOptions | None = None) -> Iterator[Story | ReadError]:
    """Stories from every path in order (files, directories, globs, ``-``), errors in place."""
    options = options or ReadOptions()
    for item in expand_paths(paths):
        if isinstance(item, ReadError):
            yield item
            continue
        yield from read_path(item, options)
