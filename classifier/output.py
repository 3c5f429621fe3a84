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
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any, cast

from classifier.extras import load_extra, missing_extra_message
from classifier.labels import Taxonomy
from classifier.provenance import difference, is_metadata, sidecar
from classifier.readers.errors import ReadError

#: Output formats of story records (``headers``, ``score``).
RECORD_FORMATS: tuple[str, ...] = ("table", "json", "jsonl", "csv")
#: Output formats of ``audit`` (Parquet needs a file).
AUDIT_FORMATS: tuple[str, ...] = (*RECORD_FORMATS, "parquet")
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


#: Cell starts that spreadsheets run as formulas; such cells get a leading ``'`` in CSV output.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def protect_cell(value: Any) -> Any:
    """``value`` safe to open in a spreadsheet: text starting like a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def unprotect_cell(value: str) -> str:
    """The text :func:`protect_cell` was given."""
    return value[1:] if value.startswith("'") and value[1:2] and value[1] in "=+-@\t\r" else value


def score_csv_row(rec: dict[str, Any]) -> dict[str, Any]:
    """Flattened CSV row of a score record (headers columns plus prediction columns)."""
    row = flatten_record(rec)
    pred = rec["prediction"]
    row["pred_rating"] = pred["rating"]
    for lvl, p in pred["rating_probs"].items():
        row[f"p_{lvl}"] = p
    row["pred_warnings"] = ";".join(pred["warnings"])
    for w, p in pred["warning_probs"].items():
        row[f"p_{w}"] = p
    return row


def audit_csv_row(rec: dict[str, Any]) -> dict[str, Any]:
    """One flattened row per story: headers + prediction + audit columns."""
    row = score_csv_row(rec)
    audit = rec["audit"]
    row["audit_status"] = audit["status"]
    row["audit_severity"] = audit["severity"]
    row["verdicts"] = ";".join(v["kind"] for v in audit["verdicts"])
    under = next((v for v in audit["verdicts"] if v["kind"] == "under-rated"), None)
    row["under_rated_to"] = under["predicted"] if under else ""
    row["missing_warnings"] = ";".join(
        v["label"] for v in audit["verdicts"] if v["kind"].startswith(("missing-warning", "unwarned"))
    )
    return row


HEADERS_COLUMNS = [("file", 40), ("format", 18), ("title", 30), ("declared rating", 30), ("warnings", 40), ("words", 8)]
SCORE_COLUMNS = [("file", 40), ("declared", 22), ("predicted", 22), ("warnings", 60)]
AUDIT_COLUMNS = [("file", 38), ("status", 10), ("declared", 26), ("predicted", 28), ("findings", 80)]


def headers_row(rec: dict[str, Any]) -> dict[str, str]:
    """Terminal table row of a headers record."""
    declared = rec["declared"]
    rating = declared["rating"]
    warnings = declared["warnings"]
    if rating:
        rating_text = f"{rating['raw']} ({rating['scale']}) → {rating['canonical'] or 'unknown'}"
    else:
        rating_text = "—"
    if warnings["status"] == "declared":
        warn_text = ", ".join(warnings["canonical"] + [f"'{u}'" for u in warnings["unmapped"]])
    else:
        warn_text = warnings["status"]
    return {
        "file": rec["path"],
        "format": rec["format"],
        "title": rec["title"] or "",
        "declared rating": rating_text,
        "warnings": warn_text,
        "words": str(rec["body_words"]),
    }


def score_row(rec: dict[str, Any]) -> dict[str, str]:
    """Terminal table row of a score record."""
    declared = rec["declared"]["rating"]
    pred = rec["prediction"]
    warn = ", ".join(f"{w} {pred['warning_probs'][w]:.2f}" for w in pred["warnings"]) or "none"
    return {
        "file": rec["path"],
        "declared": f"{declared['raw']} → {declared['canonical'] or 'unknown'}" if declared else "—",
        "predicted": f"{pred['rating']} ({pred['rating_probs'][pred['rating']]:.2f})",
        "warnings": warn,
    }


def audit_row(rec: dict[str, Any], taxonomy: Taxonomy, scale: str) -> dict[str, str]:
    """Terminal table row of an audit record, ratings shown on ``scale``."""
    declared = rec["declared"]["rating"]
    pred = rec["prediction"]
    findings = "; ".join(
        f"{v['kind']} ({v['confidence']:.2f})" + (f" → {v['predicted']}" if v["kind"] == "under-rated" else "")
        for v in rec["audit"]["verdicts"]
        if v["kind"] != "ok"
    )
    return {
        "file": rec["path"],
        "status": rec["audit"]["status"],
        "declared": f"{declared['raw']} ({declared['scale']})" if declared else "—",
        "predicted": f"{taxonomy.rating_display(pred['rating'], scale)} ({pred['rating_probs'][pred['rating']]:.2f})",
        "findings": findings or "ok",
    }


@dataclass(frozen=True)
class Layout:
    """How one command's records look as terminal-table rows and as CSV/Parquet rows."""

    columns: list[tuple[str, int]]
    table_row: Callable[[dict[str, Any]], dict[str, str]]
    csv_row: Callable[[dict[str, Any]], dict[str, Any]] = flatten_record
    #: Sort the table by this; a sorted table is written only once every record is in.
    sort_key: Callable[[dict[str, Any]], float] | None = None


HEADERS_LAYOUT = Layout(HEADERS_COLUMNS, headers_row)
SCORE_LAYOUT = Layout(SCORE_COLUMNS, score_row, score_csv_row)


def audit_layout(taxonomy: Taxonomy, scale: str) -> Layout:
    """Audit records: the table most severe first, ratings named by ``taxonomy`` on ``scale``."""
    row = partial(audit_row, taxonomy=taxonomy, scale=scale)
    return Layout(AUDIT_COLUMNS, row, audit_csv_row, sort_key=lambda rec: -rec["audit"]["severity"])


def training_summary(card: dict[str, Any], out: str | Path) -> str:
    """The line ``train`` ends with: where the model went and its out-of-fold headline metrics."""
    cv = card["metrics"]["cross_validation"]
    summary = []
    if cv["rating"].get("n"):
        summary.append(
            f"rating exact {cv['rating']['exact_accuracy']['value']:.3f}, "
            f"adult {cv['rating']['adult_accuracy']['value']:.3f}"
        )
    arch = cv.get("archive_warnings") or {}
    # A micro-F1 of labels that had no positive to find is not a figure (it printed 0.000).
    if any(v.get("support") for v in arch.get("per_label", {}).values()):
        summary.append(f"archive warnings micro-F1 {arch['micro_f1']['value']:.3f}")
    return f"wrote {out} ({'; '.join(summary)} out-of-fold; see {out}/MODEL_CARD.md)"


def training_warnings(card: dict[str, Any]) -> list[str]:
    """One line per label the training left out, and why."""
    return [f"warning {label}: {why}" for label, why in card["metrics"].get("skipped_labels", {}).items()]


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
def open_output(
    output: Path | None, *, stream: bool = False, append: bool = False, binary: bool = False
) -> Iterator[IO[Any]]:
    """stdout; a streamed file (``stream``: records reach the disk as they are written, appended
    to with ``append``); or an atomic file (``binary`` for Parquet, which needs a file). An
    OSError on the way is an :class:`OutputError`."""
    if output is None:
        if binary:
            raise OutputError("--format parquet needs --output FILE")
        yield sys.stdout
        return
    if binary:
        require_parquet()
    try:
        if stream:
            output.parent.mkdir(parents=True, exist_ok=True)
            # Opened for appending either way: an existing file is emptied only when the first
            # record is ready (or the run ends with none), so a run that fails or is stopped
            # before then leaves it as it was.
            with open(output, "a", encoding="utf-8", newline="") as fh:
                if append:
                    yield fh
                else:
                    fresh = EmptiedOnFirstWrite(fh)
                    yield cast(IO[Any], fresh)  # write() and flush() are all a record sink uses
                    fresh.start()
        else:
            with atomic_writer(output, "wb" if binary else "w") as fh:
                yield fh
    except OSError as exc:
        raise OutputError(f"{output}: cannot write ({exc.strerror or exc})") from None


def require_parquet() -> None:
    """Raise :class:`OutputError` (one line naming the extra) when pyarrow is not installed."""
    if load_extra("parquet") is None:
        raise OutputError(missing_extra_message("Parquet", "parquet"))


class EmptiedOnFirstWrite:
    """A file opened for appending that is emptied just before the first write to it."""

    def __init__(self, fh: IO[str]) -> None:
        self._fh = fh
        self._pending = True

    def start(self) -> None:
        """Empty the file now, unless something was written already."""
        if self._pending:
            self._pending = False
            self._fh.truncate(0)

    def write(self, text: str) -> int:
        """Write ``text`` (emptying the file first, the first time)."""
        self.start()
        return self._fh.write(text)

    def flush(self) -> None:
        """Flush the file."""
        self._fh.flush()


def write_frame(frame: Any, fmt: str, output: Path | None, table: Callable[[Any], str]) -> None:
    """Write a DataFrame as CSV, JSONL, JSON, Parquet (needs ``output``) or ``table(frame)``."""
    if fmt == "parquet":
        with open_output(output, binary=True) as bfh:
            frame.to_parquet(bfh, index=False)
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
    """Writes records in one format to stdout or a file, streaming where the format allows.

    JSONL and CSV go out record by record, JSON and unsorted tables as they are finished;
    a sorted table and Parquet are whole documents written by :meth:`close` (on an
    interrupted run, :meth:`interrupt` finishes the first kind and drops the second).
    """

    def __init__(
        self,
        fmt: str,
        out: IO[Any] | None = None,
        layout: Layout | None = None,
        *,
        csv_header: bool = True,
        expect: tuple[str, ...] | None = None,
        name: str = "output",
        before_first: Callable[[], None] | None = None,
    ):
        #: ``before_first``: called once, just before the first record is written (the metadata).
        self.before_first = before_first
        #: ``expect``: the :func:`record_shape` of the records already in the file appended to;
        #: a run whose records differ (another model, another command) is refused at its first one.
        self.expect = expect
        self.name = name
        self.fmt = fmt
        self.out = out or sys.stdout
        self.layout = layout
        self.count = 0
        self.csv_header = csv_header
        self._json_first = True
        self._csv: csv.DictWriter[str] | None = None
        self._rows: list[tuple[float, dict[str, Any]]] = []

    @property
    def whole(self) -> bool:
        """True when the document is written only once complete (Parquet, a sorted table)."""
        return self.fmt == "parquet" or (self.fmt == "table" and self.layout is not None and bool(self.layout.sort_key))

    def _csv_row(self, rec: dict[str, Any]) -> dict[str, Any]:
        return self.layout.csv_row(rec) if self.layout else flatten_record(rec)

    def write(self, rec: dict[str, Any]) -> None:
        """Emit one record."""
        if self.expect is not None and self.count == 0:
            shape = record_shape(rec, self.fmt, self.layout)
            if shape != self.expect:
                differs = _shape_difference(self.expect, shape, self.fmt)
                raise OutputError(
                    f"{self.name}: --resume: its records are not this run's ({differs}; another model or command?); "
                    "nothing appended"
                )
        if self.count == 0 and self.before_first is not None:
            self.before_first()
        self.count += 1
        if self.fmt == "jsonl":
            self.out.write(dumps_record(rec) + "\n")
            self.out.flush()
        elif self.fmt == "json":
            self.out.write(("[\n" if self._json_first else ",\n") + dumps_record(rec))
            self._json_first = False
        elif self.fmt == "csv":
            row = self._csv_row(rec)
            if self._csv is None:
                self._csv = csv.DictWriter(self.out, fieldnames=list(row.keys()), lineterminator="\n")
                if self.csv_header:
                    self._csv.writeheader()
            self._csv.writerow({k: protect_cell(v) for k, v in row.items()})
            self.out.flush()
        elif self.fmt == "parquet":
            self._rows.append((0.0, self._csv_row(rec)))
        else:
            key = self.layout.sort_key(rec) if self.layout and self.layout.sort_key else 0.0
            self._rows.append((key, self.layout.table_row(rec) if self.layout else {}))

    def close(self) -> None:
        """Finish the document (closing JSON bracket, render table, write Parquet)."""
        if self.fmt == "json":
            self.out.write("[]\n" if self._json_first else "\n]\n")
        elif self.fmt == "parquet":
            import pandas as pd

            pd.DataFrame([row for _, row in self._rows]).to_parquet(self.out, index=False)
        elif self.fmt == "table":
            rows = sorted(self._rows, key=lambda t: t[0]) if self.whole else self._rows
            self.out.write(render_table([row for _, row in rows], self.layout.columns if self.layout else []))
        self.out.flush()

    def interrupt(self) -> None:
        """Finish what an interrupted run has written; a whole document is not written at all."""
        if not self.whole:
            self.close()


#: C0/C1 control characters (ESC, BEL, ...) other than tab and newline, and DEL.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` without control characters: a file name or table cell cannot drive the terminal."""
    return _CONTROL_CHARS.sub("\ufffd", text)


def render_table(rows: list[dict[str, str]], columns: list[tuple[str, int]]) -> str:
    """Plain fixed-width table; cells are cut to the column's maximum width with an ellipsis."""
    if not columns:
        return ""
    widths = []
    for name, cap in columns:
        longest = max([len(name)] + [len(str(r.get(name, ""))) for r in rows])
        widths.append(min(cap, longest))

    def cell(text: str, width: int, name: str = "") -> str:
        text = " ".join(printable(str(text)).split())
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


#: What a record of each resumable command holds (JSONL keys / CSV columns) and must not hold.
_RECORD_KEYS: dict[str, tuple[set[str], set[str]]] = {
    "score": ({"path", "prediction"}, {"audit"}),
    "audit": ({"path", "prediction", "audit"}, set()),
}
_CSV_COLUMNS: dict[str, tuple[set[str], set[str]]] = {
    "score": ({"path", "pred_rating"}, {"audit_status"}),
    "audit": ({"path", "pred_rating", "audit_status"}, set()),
}


def record_shape(rec: dict[str, Any], fmt: str, layout: Layout | None = None) -> tuple[str, ...]:
    """What records of one run share and another model or command changes: the CSV columns, or
    the JSON keys with the labels the prediction gives probabilities for."""
    if fmt == "csv":
        return tuple((layout.csv_row if layout else flatten_record)(rec).keys())
    pred = rec.get("prediction")
    labels: tuple[str, ...] = ()
    if isinstance(pred, dict):
        for key in ("rating_probs", "warning_probs"):
            probs = pred.get(key)
            labels += tuple(f"{key}.{k}" for k in probs) if isinstance(probs, dict) else ()
    return tuple(rec.keys()) + labels


def _shape_difference(old: tuple[str, ...], new: tuple[str, ...], fmt: str) -> str:
    what = "columns" if fmt == "csv" else "fields"
    gone = [k for k in old if k not in new]
    added = [k for k in new if k not in old]
    if not gone and not added:
        return f"the {what} are in another order"
    parts = []
    if gone:
        parts.append(f"it has {', '.join(gone[:4])}{' …' if len(gone) > 4 else ''} which this run has not")
    if added:
        parts.append(f"this run has {', '.join(added[:4])}{' …' if len(added) > 4 else ''} which it has not")
    return f"{len(old)} {what} there, {len(new)} here: " + "; ".join(parts)


def resume_keys(path: str | Path, fmt: str, command: str = "score") -> tuple[set[str], tuple[str, ...] | None]:
    """Story keys (``path``) already in a JSONL/CSV results file of ``command``, and the shape of
    its records (:func:`record_shape`); a torn last line is cut off.

    A run killed mid-write can leave half a record at the end: it is removed so that the
    file stays valid and that story is scored again. A non-empty file that holds no record of
    ``command`` in ``fmt`` is refused (an :class:`OutputError`) before anything in it changes.
    """
    p = Path(path)
    if not p.exists() or p.stat().st_size == 0:
        return set(), None
    data = p.read_bytes()
    cut = len(data) if data.endswith(b"\n") else data.rfind(b"\n") + 1
    text = data[:cut].decode("utf-8", "replace")
    keys, shape = _done_records(text, fmt, command)
    if not keys and data.strip() and not _only_metadata(text, fmt):
        raise OutputError(
            f"{p}: --resume found no {command} records in {fmt.upper()} in it (another command's output, "
            "another format, or not ficrate output?); refusing to append to it"
        )
    if cut < len(data):
        with open(p, "r+b") as fh:
            fh.truncate(cut)
    return keys, shape


def _only_metadata(text: str, fmt: str) -> bool:
    """True for a JSONL file that holds its metadata record and nothing else (a torn first record cut)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return fmt == "jsonl" and len(lines) == 1 and is_metadata(_json_or_none(lines[0]))


def _json_or_none(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def stored_metadata(path: Path, fmt: str) -> dict[str, Any] | None:
    """The metadata of the run that wrote a results file (see :mod:`classifier.provenance`): the
    first line of a JSONL file, the ``.run.json`` file beside a CSV one; None when there is none."""
    if fmt == "csv":
        meta = sidecar(path)
        if not meta.is_file():
            return None
        # A damaged sidecar says nothing about which run wrote the file: refused, not resumed blind.
        try:
            rec = json.loads(meta.read_bytes().decode("utf-8"))
        except OSError as exc:
            raise OutputError(f"{meta}: --resume: cannot read the run metadata ({exc.strerror or exc})") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            rec = None
        if not is_metadata(rec):
            raise OutputError(f"{meta}: --resume: not ficrate run metadata (damaged?); nothing appended")
        return cast(dict[str, Any], rec)
    if not path.is_file():
        return None
    with open(path, "rb") as fh:
        first = fh.readline()
    rec = _json_or_none(first.decode("utf-8", "replace")) if first.endswith(b"\n") else None
    return rec if is_metadata(rec) else None


def _done_records(text: str, fmt: str, command: str) -> tuple[set[str], tuple[str, ...] | None]:
    keys: set[str] = set()
    shape: tuple[str, ...] | None = None
    need, never = (_RECORD_KEYS if fmt == "jsonl" else _CSV_COLUMNS).get(command, ({"path"}, set()))
    if fmt == "jsonl":
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and need <= rec.keys() and not never & rec.keys():
                keys.add(str(rec["path"]))
                shape = shape or record_shape(rec, fmt)
    elif fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        columns = set(reader.fieldnames or [])
        if need <= columns and not never & columns:
            for row in reader:
                if row.get("path"):
                    keys.add(unprotect_cell(row["path"]))
            shape = tuple(reader.fieldnames or ())
    return keys, shape


class Resume:
    """``--resume``: the stories already in a JSONL/CSV results file, which a run skips and appends after."""

    def __init__(
        self, output: Path | None, fmt: str, command: str = "score", metadata: dict[str, Any] | None = None
    ) -> None:
        if output is None or fmt not in STREAM_FORMATS:
            raise OutputError("--resume needs --output FILE with --format jsonl or csv")
        self.output = output
        self.fmt = fmt
        # Checked before anything in the file changes. A file without metadata (written to
        # stdout and redirected, or by an older ficrate) is checked by its records' shape only.
        stored = stored_metadata(output, fmt)
        if stored is not None and metadata is not None and (differs := difference(stored, metadata)):
            raise OutputError(f"{output}: --resume: written by another run ({differs}); nothing appended")
        self.has_metadata = stored is not None
        self.done, self.shape = resume_keys(output, fmt, command)

    @property
    def appending(self) -> bool:
        """True when the file already holds results (so no new CSV header, no new metadata record)."""
        return bool(self.done) or (self.fmt == "jsonl" and self.has_metadata and self.output.stat().st_size > 0)

    def skip_done(self, items: Iterable[Any]) -> Iterator[Any]:
        """Items (stories, or ``(story, prediction)`` pairs) not yet in the file; read errors pass."""
        for item in items:
            story = item[0] if isinstance(item, tuple) else item
            if not isinstance(story, ReadError) and story.path in self.done:
                continue
            yield item
