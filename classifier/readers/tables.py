"""Tables of stories (CSV/TSV/JSONL/JSON/Parquet): one story per row, read in chunks."""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from classifier.extras import load_extra, missing_extra_message
from classifier.labels import Taxonomy, split_terms
from classifier.provenance import METADATA_KEY
from classifier.readers.decode import LineDecoder, decode_bytes
from classifier.readers.errors import ReadError
from classifier.story import Declared, Story

#: Table formats: one story per row.
TABLE_FORMATS: tuple[str, ...] = ("csv", "tsv", "jsonl", "json", "parquet")
#: Table formats read line by line, and recognised by their extension alone (content cannot tell).
LINE_FORMATS: tuple[str, ...] = ("csv", "tsv", "jsonl")
#: Table file extensions (a trailing ``.gz`` is looked through) and the format each is read as.
TABLE_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
}

#: Wider CSV/TSV tables are refused (a story table needs a handful of columns).
MAX_TABLE_COLUMNS = 2000
TEXT_COLUMNS = ("text", "body", "story", "content", "chapter_text", "fulltext", "summary")
ID_COLUMNS = ("id", "work_id", "story_id", "uid")
TITLE_COLUMNS = ("title", "name")
RATING_COLUMNS = ("rating", "declared_rating", "rated")
WARNING_COLUMNS = ("warnings", "declared_warnings", "archive_warnings", "warning")
TAG_COLUMNS = {
    "fandoms": ("fandoms", "fandom"),
    "relationships": ("relationships", "pairings"),
    "characters": ("characters",),
    "categories": ("categories",),
    "freeform": ("tags", "freeform", "additional_tags"),
    "genres": ("genres",),
}


def table_extension_kind(path: str) -> str | None:
    """The table format a path's extension names (``rows.jsonl.gz`` → ``jsonl``), else None."""
    low = path.lower()
    return TABLE_EXTENSIONS.get(Path(low[:-3] if low.endswith(".gz") else low).suffix)


@dataclass
class TableOptions:
    """Which columns hold what; None means detect from common names."""

    text_col: str | None = None
    id_col: str | None = None
    title_col: str | None = None
    rating_col: str | None = None
    warnings_col: str | None = None
    chunksize: int = 2000


def _pick(columns: list[str], wanted: str | None, defaults: tuple[str, ...], what: str, name: str) -> str | None:
    if wanted:
        if wanted not in columns:
            raise ReadError(name, f"no {what} column {wanted!r} (columns: {', '.join(columns[:20])})")
        return wanted
    lower = {c.lower(): c for c in columns}
    for d in defaults:
        if d in lower:
            return lower[d]
    return None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, float) and math.isnan(value):
        return []
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and str(v).strip()]
    s = str(value).strip()
    if s.startswith("[") and s.endswith("]"):
        try:
            parsed = json.loads(s)
            if isinstance(parsed, list):
                return [str(v) for v in parsed if str(v).strip()]
        except json.JSONDecodeError:
            pass
    return split_terms(s)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        return bool(pd.isna(value)) if not isinstance(value, (list, tuple)) and not hasattr(value, "tolist") else False
    except (TypeError, ValueError):
        return False


def _present(value: Any) -> bool:
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        return True
    return not _is_missing(value)


def _binary(source: bytes | str) -> Any:
    """A binary file object over bytes or a path (``.gz`` paths are decompressed on the fly)."""
    if isinstance(source, bytes):
        return io.BytesIO(source)
    if source.endswith(".gz"):
        import gzip

        return gzip.open(source, "rb")
    return open(source, "rb")


#: Bytes read and decoded at once.
_PIECE = 1 << 20


def _incomplete_utf8_tail(piece: bytes) -> int:
    """How many bytes at the end of ``piece`` start a UTF-8 character that the next piece ends."""
    for back in range(1, min(4, len(piece)) + 1):
        byte = piece[-back]
        if byte & 0xC0 == 0x80:
            continue  # a continuation byte: its lead is further back
        if byte >= 0xC0:
            length = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return back if length > back else 0
        return 0
    return 0


class _Utf8Reader(io.RawIOBase):
    """A binary file read as UTF-8 whatever it was written in: blocks that are UTF-8 pass as
    they are, the lines of the others go through
    :class:`~classifier.readers.decode.LineDecoder`, so cp1252 cells and files mixing UTF-8
    with cp1252 lines reach the parser as the text they are."""

    def __init__(self, fh: Any) -> None:
        self._fh = fh
        self._decoder = LineDecoder()
        self._buf = memoryview(b"")
        self._carry = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf:
            block = self._fh.read(_PIECE)
            data, self._carry = self._carry + block, b""
            if not data:
                return 0
            if block and (cut := _incomplete_utf8_tail(data)):
                # A character split between two blocks is decoded whole, with the next one.
                data, self._carry = data[:-cut], data[-cut:]
            self._buf = memoryview(self._decoder.to_utf8(data))
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def _frames(source: bytes | str, kind: str, name: str, chunksize: int) -> Iterator[Any]:
    """DataFrames of at most ``chunksize`` rows, streamed from bytes or straight from a path."""
    import pandas as pd

    if kind == "parquet" and load_extra("parquet") is None:
        raise ReadError(name, missing_extra_message("Parquet", "parquet"))
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(io.BytesIO(source) if isinstance(source, bytes) else source)
            for batch in pf.iter_batches(batch_size=chunksize):
                yield batch.to_pandas()
            return
        if kind == "json":
            with _binary(source) as fh:
                obj = json.loads(decode_bytes(fh.read(), name)[0])
            if isinstance(obj, dict):
                obj = [obj]
            if not isinstance(obj, list):
                raise ReadError(name, "JSON table must be an array of objects")
            yield pd.DataFrame(obj, dtype=object)
            return
        if kind == "jsonl":
            with _binary(source) as fh:
                yield from _jsonl_frames(fh, name, chunksize)
            return
        sep = "\t" if kind == "tsv" else ","
        with _binary(source) as fh:
            n_cols = len(next(csv.reader([fh.readline(1 << 20).decode("utf-8", "replace")], delimiter=sep), []))
        if n_cols > MAX_TABLE_COLUMNS:
            # pandas builds every column of every chunk: 50,000 columns cost seconds per chunk.
            raise ReadError(name, f"{n_cols:,} columns (at most {MAX_TABLE_COLUMNS:,}): not a table of stories")
        with io.BufferedReader(_Utf8Reader(_binary(source)), _PIECE) as fh:
            reader = pd.read_csv(
                fh,
                sep=sep,
                chunksize=chunksize,
                dtype=object,
                keep_default_na=False,
                na_values=[""],
                encoding_errors="replace",
            )
            yield from reader
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(name, f"cannot parse {kind.upper()} table ({type(exc).__name__}: {str(exc)[:120]})") from None


def _json_line(raw: bytes, lineno: int, decoder: LineDecoder) -> tuple[dict[str, Any] | None, str | None] | None:
    """One JSON-lines line: ``None`` when blank, else ``(object, None)`` or ``(None, reason)``."""
    line = decoder.decode(raw[3:] if lineno == 1 and raw.startswith(codecs.BOM_UTF8) else raw)
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg})"
    if not isinstance(obj, dict):
        return None, "not a JSON object"
    return obj, None


def _jsonl_frames(fh: Any, name: str, chunksize: int) -> Iterator[Any]:
    import pandas as pd

    rows: list[dict[str, Any]] = []
    bad: list[tuple[int, str]] = []
    decoder = LineDecoder()
    for lineno, raw in enumerate(fh, 1):
        parsed = _json_line(raw, lineno, decoder)
        if parsed is None:
            continue
        obj, reason = parsed
        if reason:
            bad.append((lineno, reason))
        rows.append({"__row__": lineno, **(obj or {"__bad__": True})})
        if len(rows) >= chunksize:
            yield pd.DataFrame(rows, dtype=object), bad
            rows, bad = [], []
    if rows or bad:
        yield pd.DataFrame(rows, dtype=object), bad


@dataclass(frozen=True)
class _Columns:
    """The columns a table's rows are read from."""

    text: str
    id: str | None
    title: str | None
    rating: str | None
    warnings: str | None
    tags: dict[str, str]


def _columns(columns: list[str], options: TableOptions, path: str) -> _Columns:
    """Pick the columns (given ones must exist; the others are detected by common names)."""
    text_col = _pick(columns, options.text_col, TEXT_COLUMNS, "text", path)
    if text_col is None:
        raise ReadError(path, f"no text column found (columns: {', '.join(columns[:20])}); use --text-col")
    tag_cols: dict[str, str] = {}
    for key, names in TAG_COLUMNS.items():
        col = _pick(columns, None, names, key, path)
        if col:
            tag_cols[key] = col
    return _Columns(
        text=text_col,
        id=_pick(columns, options.id_col, ID_COLUMNS, "id", path),
        title=_pick(columns, options.title_col, TITLE_COLUMNS, "title", path),
        rating=_pick(columns, options.rating_col, RATING_COLUMNS, "rating", path),
        warnings=_pick(columns, options.warnings_col, WARNING_COLUMNS, "warnings", path),
        tags=tag_cols,
    )


def _cell_text(value: Any, where: str) -> Any:
    """A cell as read, except that bytes (a Parquet binary column) are decoded as a file is."""
    if isinstance(value, (bytes, bytearray)):
        return decode_bytes(bytes(value), where)[0]
    return value


def _row_story(
    row: dict[str, Any], cols: _Columns, rowno: int, path: str, kind: str, taxonomy: Taxonomy
) -> Story | ReadError:
    """One row as a story, or the error that names it."""
    where = f"{path} row {rowno}"
    try:
        text = _cell_text(row.get(cols.text), where)
        title = _cell_text(row.get(cols.title), where) if cols.title else None
    except ReadError as exc:
        return exc
    if _is_missing(text):
        return ReadError(where, f"missing text in column {cols.text!r}")
    if not isinstance(text, str):
        return ReadError(where, f"text in column {cols.text!r} is {type(text).__name__}, not a string")
    sid = row.get(cols.id) if cols.id else None
    story = Story(
        id=str(sid) if not _is_missing(sid) and sid is not None else f"{Path(path).stem or path}:{rowno}",
        path=f"{path}#row={rowno}",
        format=f"table-{kind}",
        title=str(title) if not _is_missing(title) else None,
        body=text.replace("\r\n", "\n").strip(),
    )
    declared = Declared()
    if cols.rating and not _is_missing(row.get(cols.rating)):
        raw = str(row[cols.rating])
        declared.rating = taxonomy.parse_rating(raw)
        if declared.rating is None:
            story.note(f"unrecognized rating {raw[:60]!r} in column {cols.rating!r}")
    if cols.warnings and _present(row.get(cols.warnings)):
        terms = _as_list(row.get(cols.warnings))
        if terms:
            declared.warnings = taxonomy.parse_warnings(terms)
    for key, col in cols.tags.items():
        if _present(row.get(col)):
            declared.add_tags(key, _as_list(row.get(col)))
    story.declared = declared
    return story


def read_table(
    data: bytes | str, kind: str, path: str, taxonomy: Taxonomy, options: TableOptions
) -> Iterator[Story | ReadError]:
    """Yield one :class:`Story` per row, or a :class:`ReadError` naming the bad row.

    ``data`` is the table's bytes, or its path to stream it chunk by chunk without loading it.
    """
    row_offset = 0
    cols: _Columns | None = None
    for item in _frames(data, kind, path, options.chunksize):
        bad: list[tuple[int, str]] = []
        if isinstance(item, tuple):
            frame, bad = item
        else:
            frame = item
        for lineno, reason in bad:
            yield ReadError(f"{path} row {lineno}", reason)
        columns = [str(c) for c in frame.columns if c not in ("__row__", "__bad__")]
        if cols is None and columns:
            cols = _columns(columns, options, path)
        if cols is None:
            continue
        # Only the columns rows are read from: a table of 50,000 columns costs pandas seconds per
        # chunk to turn into dicts (a 440 KB CSV took 11 s), though one row needs a handful.
        wanted = (cols.text, cols.id, cols.title, cols.rating, cols.warnings, *cols.tags.values())
        keep = [c for c in frame.columns if c in wanted or c in (METADATA_KEY, "__row__", "__bad__")]
        if len(keep) < len(frame.columns):
            frame = frame[keep]
        for k, row in enumerate(frame.to_dict("records")):
            if row.get("__bad__") is True or is_metadata(row):
                continue
            rowno = int(row["__row__"]) if "__row__" in row else row_offset + k + (2 if kind in ("csv", "tsv") else 1)
            yield _row_story(row, cols, rowno, path, kind, taxonomy)
        row_offset += len(frame)


def is_metadata(row: dict[str, Any]) -> bool:
    """True for the leading metadata record of a ficrate output file (:mod:`classifier.provenance`):
    it is no story."""
    if _is_missing(row.get(METADATA_KEY)):
        return False
    # In a table frame the record's row also has every other column, all empty.
    return all(k in (METADATA_KEY, "__row__") or _is_missing(v) for k, v in row.items())


def read_jsonl_lines(
    fh: IO[bytes], path: str, taxonomy: Taxonomy, options: TableOptions, *, max_line: int
) -> Iterator[Story | ReadError]:
    """Stories from a JSON-lines stream, each yielded as soon as its line is in.

    For a long-lived pipe (``ficrate score - --input-format jsonl``): nothing waits for a chunk
    or for the end of input, columns are picked per line (a line without a text column is that
    line's error, not the stream's), and a line over ``max_line`` bytes is refused on its own.
    """
    lineno = 0
    decoder = LineDecoder()
    while True:
        raw = fh.readline(max_line + 1)
        if not raw:
            return
        lineno += 1
        where = f"{path} row {lineno}"
        if len(raw) > max_line and not raw.endswith(b"\n"):
            while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass  # skip the rest of the over-long line, without holding it
            yield ReadError(where, f"line larger than the {max_line:,}-byte cap (raise --max-size)")
            continue
        parsed = _json_line(raw, lineno, decoder)
        if parsed is None:
            continue
        obj, reason = parsed
        if obj is None:
            yield ReadError(where, reason or "not a JSON object")
            continue
        if is_metadata(obj):
            continue
        try:
            cols = _columns([str(k) for k in obj], options, where)
        except ReadError as exc:
            yield exc
            continue
        yield _row_story(obj, cols, lineno, path, "jsonl", taxonomy)
