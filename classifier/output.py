"""Machine and terminal output: JSON/JSONL/CSV/Parquet records, plain tables, atomic files.

Record schema (``ficrate headers``; ``score`` and ``audit`` add keys, never change these):
see README "Output schema". CSV flattens each record to one row with stable columns.
Where output goes: stdout; a streamed file for JSONL/CSV (every finished record is on disk
at once, so an interrupted run keeps them and ``--resume`` can go on); an atomic file for
everything else (complete or nothing).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

#: Formats written record by record: a file in one of them keeps what is done, and can be resumed.
STREAM_FORMATS: tuple[str, ...] = ("jsonl", "csv")


class OutputError(Exception):
    """Output that cannot be written as asked; ``str()`` is the one-line message."""


#: Column order of ``--format csv`` for story records.
CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "path",
    "format",
    "title",
    "rating_raw",
    "rating_scale",
    "rating",
    "warnings_status",
    "warnings",
    "warnings_unmapped",
    "note_warnings",
    "fandoms",
    "relationships",
    "characters",
    "categories",
    "freeform",
    "genres",
    "language",
    "declared_words",
    "chapters",
    "body_words",
)


def flatten_record(rec: dict[str, Any]) -> dict[str, Any]:
    """One CSV row for a story record; lists are joined with ``;``."""
    declared = rec.get("declared") or {}
    rating = declared.get("rating") or {}
    warnings = declared.get("warnings") or {}
    tags = declared.get("tags") or {}

    def join(values: Any) -> str:
        return ";".join(str(v) for v in (values or []))

    return {
        "id": rec.get("id"),
        "path": rec.get("path"),
        "format": rec.get("format"),
        "title": rec.get("title") or "",
        "rating_raw": rating.get("raw", ""),
        "rating_scale": rating.get("scale", ""),
        "rating": rating.get("canonical") or "",
        "warnings_status": warnings.get("status", "absent"),
        "warnings": join(warnings.get("canonical")),
        "warnings_unmapped": join(warnings.get("unmapped")),
        "note_warnings": join(declared.get("note_warnings")),
        "fandoms": join(tags.get("fandoms")),
        "relationships": join(tags.get("relationships")),
        "characters": join(tags.get("characters")),
        "categories": join(tags.get("categories")),
        "freeform": join(tags.get("freeform")),
        "genres": join(tags.get("genres")),
        "language": tags.get("language") or "",
        "declared_words": tags.get("words"),
        "chapters": len(rec.get("chapters") or []),
        "body_words": rec.get("body_words"),
    }


def dumps_record(rec: dict[str, Any]) -> str:
    """Stable one-line JSON (key order as built, non-ASCII kept)."""
    return json.dumps(rec, ensure_ascii=False, separators=(", ", ": "))


@contextlib.contextmanager
def atomic_writer(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Write to a temporary file beside ``path`` and rename it into place on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=str(target.parent))
    try:
        kwargs: dict[str, Any] = {} if "b" in mode else {"encoding": encoding, "newline": ""}
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600 files; give the result the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def open_output(output: Path | None, *, stream: bool = False, append: bool = False) -> Iterator[IO[str]]:
    """stdout; a streamed file (``stream``: records reach the disk as they are written, appended
    to with ``append``); or an atomic file. An OSError on the way is an :class:`OutputError`."""
    if output is None:
        yield sys.stdout
        return
    try:
        if stream:
            output.parent.mkdir(parents=True, exist_ok=True)
            with open(output, "a" if append else "w", encoding="utf-8", newline="") as fh:
                yield fh
        else:
            with atomic_writer(output) as fh:
                yield fh
    except OSError as exc:
        raise OutputError(f"{output}: cannot write ({exc.strerror or exc})") from None


def write_frame(frame: Any, fmt: str, output: Path | None, table: Callable[[Any], str]) -> None:
    """Write a DataFrame as CSV, JSONL, JSON, Parquet (needs ``output``) or ``table(frame)``."""
    if fmt == "parquet":
        if output is None:
            raise OutputError("--format parquet needs --output FILE")
        try:
            with atomic_writer(output, "wb") as bfh:
                frame.to_parquet(bfh, index=False)
        except OSError as exc:
            raise OutputError(f"{output}: cannot write ({exc.strerror or exc})") from None
        return
    with open_output(output) as out:
        if fmt == "csv":
            frame.to_csv(out, index=False)
        elif fmt == "jsonl":
            for rec in frame.to_dict("records"):
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        elif fmt == "json":
            out.write(frame.to_json(orient="records", force_ascii=False) + "\n")
        else:
            out.write(table(frame))


class RecordSink:
    """Writes records in one format to stdout or a file, streaming where the format allows."""

    def __init__(
        self,
        fmt: str,
        out: IO[str] | None = None,
        table_columns: list[tuple[str, int]] | None = None,
        *,
        csv_header: bool = True,
    ) -> None:
        self.fmt = fmt
        self.out = out or sys.stdout
        self.count = 0
        self.csv_header = csv_header
        self._json_first = True
        self._csv: csv.DictWriter[str] | None = None
        self._table_rows: list[dict[str, str]] = []
        self.table_columns = table_columns or []

    def write(
        self, rec: dict[str, Any], table_row: dict[str, str] | None = None, csv_row: dict[str, Any] | None = None
    ) -> None:
        """Emit one record."""
        self.count += 1
        if self.fmt == "jsonl":
            self.out.write(dumps_record(rec) + "\n")
            self.out.flush()
        elif self.fmt == "json":
            self.out.write(("[\n" if self._json_first else ",\n") + dumps_record(rec))
            self._json_first = False
        elif self.fmt == "csv":
            row = csv_row if csv_row is not None else flatten_record(rec)
            if self._csv is None:
                self._csv = csv.DictWriter(self.out, fieldnames=list(row.keys()), lineterminator="\n")
                if self.csv_header:
                    self._csv.writeheader()
            self._csv.writerow(row)
            self.out.flush()
        else:
            self._table_rows.append(table_row or {})

    def close(self) -> None:
        """Finish the document (closing JSON bracket, render table)."""
        if self.fmt == "json":
            self.out.write("[]\n" if self._json_first else "\n]\n")
        elif self.fmt == "table":
            self.out.write(render_table(self._table_rows, self.table_columns))
        self.out.flush()


def render_table(rows: list[dict[str, str]], columns: list[tuple[str, int]]) -> str:
    """Plain fixed-width table; cells are cut to the column's maximum width with an ellipsis."""
    if not columns:
        return ""
    widths = []
    for name, cap in columns:
        longest = max([len(name)] + [len(str(r.get(name, ""))) for r in rows])
        widths.append(min(cap, longest))

    def cell(text: str, width: int, name: str = "") -> str:
        text = " ".join(str(text).split())
        if len(text) <= width:
            return text.ljust(width)
        # Paths are told apart by their ends, everything else by its start.
        return "…" + text[-(width - 1) :] if name in ("file", "path") else text[: width - 1] + "…"

    buf = io.StringIO()
    buf.write("  ".join(cell(n, w) for (n, _), w in zip(columns, widths, strict=True)).rstrip() + "\n")
    buf.write("  ".join("-" * w for w in widths) + "\n")
    for r in rows:
        buf.write(
            "  ".join(cell(r.get(n, ""), w, n) for (n, _), w in zip(columns, widths, strict=True)).rstrip() + "\n"
        )
    return buf.getvalue()


def resume_keys(path: str | Path, fmt: str) -> set[str]:
    """Story keys (``path``) already in a JSONL/CSV results file; a torn last line is cut off.

    A run killed mid-write can leave half a record at the end: it is removed so that the
    file stays valid and that story is scored again.
    """
    p = Path(path)
    if not p.exists() or p.stat().st_size == 0:
        return set()
    data = p.read_bytes()
    if not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with open(p, "r+b") as fh:
            fh.truncate(cut)
        data = data[:cut]
    keys: set[str] = set()
    text = data.decode("utf-8", "replace")
    if fmt == "jsonl":
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and "path" in rec:
                keys.add(str(rec["path"]))
    elif fmt == "csv":
        for row in csv.DictReader(io.StringIO(text)):
            if row.get("path"):
                keys.add(row["path"])
    return keys
