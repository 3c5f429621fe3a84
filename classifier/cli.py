"""Command line: thin wrappers that parse options and call library functions.

Exit codes: 0 ok, 1 findings (audit), 2 errors (some input unreadable, bad options).
Heavy modules are imported inside commands so ``ficrate --help`` stays instant.
"""

from __future__ import annotations

import contextlib
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from classifier import __version__
from classifier.config import DEFAULT_MAX_SIZE, DEFAULT_MODEL_NAME, MODEL_ENV, default_shared_dir

app = typer.Typer(
    name="ficrate",
    help="Content rating and content warnings for fan fiction: read headers, score text, audit tags.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERRORS = 2


class OutputFormat(StrEnum):
    """Output formats."""

    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class AuditFormat(StrEnum):
    """Output formats of ``audit`` (Parquet needs --output)."""

    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


class Backend(StrEnum):
    """Where scoring runs."""

    local = "local"
    dask = "dask"


class Scale(StrEnum):
    """Rating scale used for display."""

    ao3 = "ao3"
    ffn = "ffn"


class InputFormat(StrEnum):
    """Force how inputs are read (default: recognise by content)."""

    auto = "auto"
    text = "text"
    html = "html"
    epub = "epub"
    csv = "csv"
    tsv = "tsv"
    jsonl = "jsonl"
    json = "json"
    parquet = "parquet"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ficrate {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Content rating and content warnings for fan fiction.

    Example: ficrate headers data/examples --format jsonl
    """


def error(message: str) -> None:
    """One line on stderr, prefixed with the program name."""
    typer.echo(f"ficrate: {message}", err=True)


PathsArg = Annotated[list[str], typer.Argument(help="Story files, directories (recursive), globs, or - for stdin.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout.")
]
InputFormatOpt = Annotated[InputFormat, typer.Option("--input-format", help="Read every input as this format.")]
TextColOpt = Annotated[str | None, typer.Option("--text-col", help="Table column holding the story text.")]
IdColOpt = Annotated[str | None, typer.Option("--id-col", help="Table column holding the story id.")]
TitleColOpt = Annotated[str | None, typer.Option("--title-col", help="Table column holding the title.")]
RatingColOpt = Annotated[str | None, typer.Option("--rating-col", help="Table column holding the declared rating.")]
WarningsColOpt = Annotated[
    str | None, typer.Option("--warnings-col", help="Table column holding declared warnings (list or ';'-separated).")
]
TaxonomyOpt = Annotated[Path | None, typer.Option("--taxonomy", help="Taxonomy JSON file (default: the packaged one).")]
MaxSizeOpt = Annotated[int, typer.Option("--max-size", min=1, help="Refuse input files larger than this many bytes.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks for unexpected errors.")]


def _read_options(
    *,
    input_format: InputFormat,
    text_col: str | None,
    id_col: str | None,
    title_col: str | None,
    rating_col: str | None,
    warnings_col: str | None,
    taxonomy: Path | None,
    max_size: int,
    debug: bool,
) -> Any:
    from classifier.labels import TaxonomyError, load_taxonomy
    from classifier.readers import ReadOptions, TableOptions

    try:
        tax = load_taxonomy(taxonomy)
    except TaxonomyError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_ERRORS) from None
    return ReadOptions(
        input_format=input_format.value,
        max_size=max_size,
        table=TableOptions(
            text_col=text_col, id_col=id_col, title_col=title_col, rating_col=rating_col, warnings_col=warnings_col
        ),
        taxonomy=tax,
        debug=debug,
    )


_READING_KEYS = (
    "input_format",
    "text_col",
    "id_col",
    "title_col",
    "rating_col",
    "warnings_col",
    "taxonomy",
    "max_size",
    "debug",
)


def _reading(params: dict[str, Any]) -> dict[str, Any]:
    """The reading options out of a command's parameters (every reading command shares them)."""
    return {k: params[k] for k in _READING_KEYS}


@contextlib.contextmanager
def _open_output(output: Path | None, *, stream: bool = False, append: bool = False) -> Any:
    from classifier.output import OutputError, open_output

    try:
        with open_output(output, stream=stream, append=append) as fh:
            yield fh
    except OutputError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_ERRORS) from None


BackendOpt = Annotated[Backend, typer.Option("--backend", help="Score here (local) or on a Dask cluster.")]
SchedulerOpt = Annotated[
    str,
    typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786), or 'local' for a LocalCluster."),
]


def _scored(
    paths: list[str],
    options: Any,
    model: Any,
    *,
    explain: int,
    jobs: int,
    backend: Any,
    scheduler: str,
    output: Path | None,
    fmt: str,
    resume: bool,
) -> tuple[Any, bool]:
    """The stream of (story, prediction) and read errors, local or on Dask, minus resumed stories."""
    from classifier.modeling.predict import default_jobs, score_dask, score_paths_parallel, score_stream
    from classifier.readers import iter_stories

    if backend == Backend.dask:
        stream = score_dask(paths, model, options, scheduler=scheduler, explain=explain, jobs=jobs)
        stream, appending, _ = _resume_filter(stream, output, fmt, resume)
        return stream, appending
    n_jobs = jobs or default_jobs()
    if n_jobs > 1 and not resume and "-" not in paths:
        # Workers read, parse and score whole partitions; the parent only writes.
        return score_paths_parallel(paths, model, options, explain=explain, jobs=n_jobs), False
    items, appending, _ = _resume_filter(iter_stories(paths, options), output, fmt, resume)
    return score_stream(items, model, explain=explain, jobs=n_jobs), appending


class Batch:
    """One command's pass over its inputs: read errors reported, progress ticked, Ctrl-C handled."""

    def __init__(self, progress: Progress | None = None) -> None:
        self.progress = progress or Progress(False, "")
        self.failed = 0
        self.done = 0

    def good(self, items: Any) -> Any:
        """The items that are not read errors; each error is one line on stderr."""
        from classifier.readers import ReadError

        for item in items:
            if isinstance(item, ReadError):
                self.failed += 1
                error(str(item))
                continue
            yield item
            self.done += 1
            self.progress.tick()

    @contextlib.contextmanager
    def running(self, sink: Any = None) -> Any:
        """Close the sink and progress line at the end; on Ctrl-C keep what is written, exit 130."""
        try:
            yield self
        except KeyboardInterrupt:
            self.progress.close()
            if sink is not None:
                sink.close()
            error(f"interrupted after {self.done} stories; results so far are written")
            raise typer.Exit(130) from None
        self.progress.close()
        if sink is not None:
            sink.close()


ResumeOpt = Annotated[
    bool,
    typer.Option("--resume", help="Skip stories already in --output (JSONL/CSV) and append the rest."),
]


def _resume_filter(items: Any, output: Path | None, fmt: str, resume: bool) -> tuple[Any, bool, int]:
    """Drop stories already in the output file; return (items, appending, already done)."""
    if not resume:
        return items, False, 0
    if output is None or fmt not in ("jsonl", "csv"):
        error("--resume needs --output FILE with --format jsonl or csv")
        raise typer.Exit(EXIT_ERRORS)
    from classifier.output import resume_keys
    from classifier.readers import ReadError

    done = resume_keys(output, fmt)

    def gen() -> Any:
        for item in items:
            story = item[0] if isinstance(item, tuple) else item
            if not isinstance(story, ReadError) and story.path in done:
                continue
            yield item

    return gen(), bool(done), len(done)


HEADERS_COLUMNS = [("file", 40), ("format", 18), ("title", 30), ("declared rating", 30), ("warnings", 40), ("words", 8)]


@app.command()
def headers(
    paths: PathsArg,
    *,
    fmt: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    input_format: InputFormatOpt = InputFormat.auto,
    text_col: TextColOpt = None,
    id_col: IdColOpt = None,
    title_col: TitleColOpt = None,
    rating_col: RatingColOpt = None,
    warnings_col: WarningsColOpt = None,
    taxonomy: TaxonomyOpt = None,
    max_size: MaxSizeOpt = DEFAULT_MAX_SIZE,
    include_body: Annotated[
        bool, typer.Option("--include-body", help="Add the parsed body text to JSON output.")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Show what each story declares: rating, warnings, tags, and the body's length.

    Example: ficrate headers data/examples --format jsonl
    """
    from classifier.output import RecordSink
    from classifier.readers import iter_stories

    options = _read_options(**_reading(locals()))
    batch = Batch()
    with _open_output(output, stream=fmt.value in ("jsonl", "csv")) as out:
        sink = RecordSink(fmt.value, out, HEADERS_COLUMNS)
        with batch.running(sink):
            for story in batch.good(iter_stories(paths, options)):
                rec = story.to_record(include_body=include_body)
                sink.write(rec, table_row=_headers_row(rec))
    if batch.failed:
        error(f"{batch.failed} input(s) could not be read; {sink.count} stories read")
        raise typer.Exit(EXIT_ERRORS)


def _headers_row(rec: dict[str, Any]) -> dict[str, str]:
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


class Progress:
    """Counts on stderr when it is a terminal and the batch is large; silent otherwise."""

    def __init__(self, enabled: bool, label: str, total: int | None = None) -> None:
        import time

        self.enabled = enabled
        self.label = label
        self.total = total
        self.count = 0
        self.start = time.monotonic()
        self._last = 0.0

    def tick(self, n: int = 1) -> None:
        """Advance; redraw at most a few times a second."""
        import time

        self.count += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.25:
            return
        self._last = now
        rate = self.count / max(now - self.start, 1e-9)
        line = f"\r{self.label}: {self.count}"
        if self.total:
            left = max(self.total - self.count, 0) / max(rate, 1e-9)
            line += f"/{self.total} stories, {rate:.1f}/s, ETA {int(left // 60):d}:{int(left % 60):02d}"
        else:
            line += f" stories, {rate:.1f}/s"
        sys.stderr.write(line + "   ")
        sys.stderr.flush()

    def close(self) -> None:
        """Clear the line."""
        if self.enabled and self.count:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def _progress_wanted(paths: list[str]) -> bool:
    if not sys.stderr.isatty():
        return False
    return len(paths) > 1 or any(Path(p).is_dir() for p in paths if p != "-")


def _progress(paths: list[str], label: str) -> Progress:
    """A progress line on a terminal; with an ETA when the number of stories is known up front."""
    if not _progress_wanted(paths):
        return Progress(False, label)
    from classifier.readers import ReadError, expand_paths, table_extension_kind

    total = 0
    for item in expand_paths(paths):
        if isinstance(item, ReadError):
            continue
        if item == "-" or table_extension_kind(item):
            return Progress(True, label)  # rows in tables are not counted ahead
        total += 1
    return Progress(True, label, total)


ModelOpt = Annotated[
    Path | None,
    typer.Option("--model", "-m", help=f"Model directory (default: models/{DEFAULT_MODEL_NAME} or ${MODEL_ENV})."),
]
JobsOpt = Annotated[int, typer.Option("--jobs", "-j", min=0, help="Processes for scoring (0 = all cores).")]
ExplainOpt = Annotated[int, typer.Option("--explain", min=0, max=20, help="Evidence passages per predicted label.")]


def _load_model(model: Path | None, debug: bool) -> tuple[Any, dict[str, Any]]:
    from classifier.modeling.persist import ModelError, load_model

    try:
        return load_model(model)
    except ModelError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_ERRORS) from None
    except Exception as exc:
        if debug:
            raise
        error(f"{model or 'default model'}: cannot load model ({type(exc).__name__}: {exc})")
        raise typer.Exit(EXIT_ERRORS) from None


SCORE_COLUMNS = [("file", 40), ("declared", 22), ("predicted", 22), ("warnings", 60)]


def _score_row(rec: dict[str, Any]) -> dict[str, str]:
    declared = rec["declared"]["rating"]
    pred = rec["prediction"]
    warn = ", ".join(f"{w} {pred['warning_probs'][w]:.2f}" for w in pred["warnings"]) or "none"
    return {
        "file": rec["path"],
        "declared": f"{declared['raw']} → {declared['canonical'] or 'unknown'}" if declared else "—",
        "predicted": f"{pred['rating']} ({pred['rating_probs'][pred['rating']]:.2f})",
        "warnings": warn,
    }


def score_csv_row(rec: dict[str, Any]) -> dict[str, Any]:
    """Flattened CSV row of a score record (headers columns plus prediction columns)."""
    from classifier.output import flatten_record

    row = flatten_record(rec)
    pred = rec["prediction"]
    row["pred_rating"] = pred["rating"]
    for lvl, p in pred["rating_probs"].items():
        row[f"p_{lvl}"] = p
    row["pred_warnings"] = ";".join(pred["warnings"])
    for w, p in pred["warning_probs"].items():
        row[f"p_{w}"] = p
    return row


@app.command()
def score(
    paths: PathsArg,
    *,
    model: ModelOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    explain: ExplainOpt = 3,
    jobs: JobsOpt = 0,
    resume: ResumeOpt = False,
    backend: BackendOpt = Backend.local,
    scheduler: SchedulerOpt = "local",
    input_format: InputFormatOpt = InputFormat.auto,
    text_col: TextColOpt = None,
    id_col: IdColOpt = None,
    title_col: TitleColOpt = None,
    rating_col: RatingColOpt = None,
    warnings_col: WarningsColOpt = None,
    taxonomy: TaxonomyOpt = None,
    max_size: MaxSizeOpt = DEFAULT_MAX_SIZE,
    debug: DebugOpt = False,
) -> None:
    """Predict each story's rating and warnings from its text, with evidence passages.

    Example: ficrate score data/examples --format jsonl --explain 2
    """
    from classifier.modeling.predict import default_jobs, score_record
    from classifier.output import RecordSink

    options = _read_options(**_reading(locals()))
    story_model, _card = _load_model(model, debug)
    n_jobs = jobs or default_jobs()
    progress = _progress(paths, "scoring")
    scored, appending = _scored(
        paths,
        options,
        story_model,
        explain=explain,
        jobs=n_jobs,
        backend=backend,
        scheduler=scheduler,
        output=output,
        fmt=fmt.value,
        resume=resume,
    )
    stream = fmt.value in ("jsonl", "csv")
    batch = Batch(progress)
    with _open_output(output, stream=stream, append=appending) as out:
        sink = RecordSink(fmt.value, out, SCORE_COLUMNS, csv_header=not appending)
        with batch.running(sink):
            for item in batch.good(scored):
                rec = score_record(*item)
                sink.write(rec, table_row=_score_row(rec), csv_row=score_csv_row(rec))
    if batch.failed:
        error(f"{batch.failed} input(s) could not be read; {sink.count} stories scored")
        raise typer.Exit(EXIT_ERRORS)


def _command_line(command: str, args: list[str], options: dict[str, Any]) -> str:
    """The command as a user would type it, for model cards."""
    import shlex

    parts = ["ficrate", command, *args]
    for flag, value in options.items():
        if value is None or value is False:
            continue
        parts += [flag] if value is True else [flag, str(value)]
    return " ".join(shlex.quote(p) for p in parts)


def _read_table_file(path: Path | None, what: str) -> Any:
    if path is None:
        return None
    import pandas as pd

    try:
        return (
            pd.read_csv(path, dtype=str)
            if path.suffix.lower() != ".jsonl"
            else pd.read_json(path, lines=True, dtype=False)
        )
    except Exception as exc:
        error(f"{path}: cannot read {what} ({type(exc).__name__}: {str(exc)[:120]})")
        raise typer.Exit(EXIT_ERRORS) from None


@app.command()
def train(
    sources: Annotated[
        list[str], typer.Argument(help="Story files/dirs, tables, or ../shared/data files/folder, in any mix.")
    ],
    *,
    out: Annotated[Path, typer.Option("--out", help="Model directory to write (e.g. models/mine).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing model directory.")] = False,
    folds: Annotated[int, typer.Option("--folds", min=2, max=20, help="Cross-validation folds.")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (training is deterministic given it).")] = 0,
    exclude: Annotated[
        Path | None, typer.Option("--exclude", help="CSV of stories to leave out (column id, group or path).")
    ] = None,
    relabel: Annotated[
        Path | None,
        typer.Option("--relabel", help="CSV of label corrections (id/group/path, rating, warning columns 0/1)."),
    ] = None,
    input_format: InputFormatOpt = InputFormat.auto,
    text_col: TextColOpt = None,
    id_col: IdColOpt = None,
    title_col: TitleColOpt = None,
    rating_col: RatingColOpt = None,
    warnings_col: WarningsColOpt = None,
    taxonomy: TaxonomyOpt = None,
    max_size: MaxSizeOpt = DEFAULT_MAX_SIZE,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress messages.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Train a model on labelled stories, tables and/or ../shared/data, and write it with its model card.

    Example: ficrate train ../shared/data --out models/ficrate-default --force
    """
    from classifier.modeling.persist import ModelError
    from classifier.modeling.train import train_from_sources

    options = _read_options(**_reading(locals()))
    excl = _read_table_file(exclude, "exclusions")
    rel = _read_table_file(relabel, "corrections")

    def say(msg: str) -> None:
        if not quiet:
            typer.echo(f"ficrate train: {msg}", err=True)

    command = _command_line(
        "train",
        list(sources),
        {
            "--out": out,
            "--force": force,
            "--folds": folds if folds != 5 else None,
            "--seed": seed or None,
            "--exclude": exclude,
            "--relabel": relabel,
            "--input-format": input_format.value if input_format.value != "auto" else None,
            "--text-col": text_col,
            "--id-col": id_col,
            "--title-col": title_col,
            "--rating-col": rating_col,
            "--warnings-col": warnings_col,
            "--taxonomy": taxonomy,
        },
    )
    try:
        card, errors = train_from_sources(
            sources,
            str(out),
            taxonomy=options.get_taxonomy(),
            read_options=options,
            force=force,
            folds=folds,
            seed=seed,
            exclude=excl,
            relabel=rel,
            progress=say,
            command=command,
        )
    except ModelError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_ERRORS) from None
    except KeyboardInterrupt:
        error("interrupted; no model was written")
        raise typer.Exit(130) from None
    for e in errors:
        error(e)
    cv = card["metrics"]["cross_validation"]
    summary = []
    if cv["rating"].get("n"):
        summary.append(
            f"rating exact {cv['rating']['exact_accuracy']['value']:.3f}, "
            f"adult {cv['rating']['adult_accuracy']['value']:.3f}"
        )
    if cv.get("archive_warnings"):
        summary.append(f"archive warnings micro-F1 {cv['archive_warnings']['micro_f1']['value']:.3f}")
    for label, why in card["metrics"].get("skipped_labels", {}).items():
        error(f"warning {label}: {why}")
    typer.echo(f"wrote {out} ({'; '.join(summary)} out-of-fold; see {out}/MODEL_CARD.md)")
    if errors:
        raise typer.Exit(EXIT_ERRORS)


@app.command()
def evaluate(
    data: Annotated[list[str], typer.Argument(help="Labelled stories, tables or ../shared/data files to evaluate on.")],
    *,
    report: Annotated[Path, typer.Option("--report", help="Directory for metrics.json, summary.md and plots.")],
    model: ModelOpt = None,
    shared: Annotated[
        Path | None,
        typer.Option(
            "--shared", help="Folder with the summaries for the TF-IDF baseline (default ../shared/data if present)."
        ),
    ] = None,
    rounds: Annotated[
        int, typer.Option("--bootstrap", min=10, help="Bootstrap resamples for confidence intervals.")
    ] = 500,
    input_format: InputFormatOpt = InputFormat.auto,
    text_col: TextColOpt = None,
    id_col: IdColOpt = None,
    title_col: TitleColOpt = None,
    rating_col: RatingColOpt = None,
    warnings_col: WarningsColOpt = None,
    taxonomy: TaxonomyOpt = None,
    max_size: MaxSizeOpt = DEFAULT_MAX_SIZE,
    debug: DebugOpt = False,
) -> None:
    """Measure a model on labelled data beside a TF-IDF baseline and a lexicon rule; write a report.

    Example: ficrate evaluate ../shared/data/stories --report reports/dev
    """
    from classifier.evaluate import evaluate_model

    options = _read_options(**_reading(locals()))
    story_model, card = _load_model(model, debug)
    if shared is None:
        shared = default_shared_dir()
    try:
        result = evaluate_model(
            story_model,
            card,
            data,
            report,
            taxonomy=options.get_taxonomy(),
            read_options=options,
            shared=shared,
            rounds=rounds,
        )
    except ValueError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_ERRORS) from None
    for e in result["read_errors"]:
        error(e)
    typer.echo((report / "summary.md").read_text(encoding="utf-8"))
    if result["read_errors"]:
        raise typer.Exit(EXIT_ERRORS)


AUDIT_COLUMNS = [("file", 38), ("status", 10), ("declared", 26), ("predicted", 28), ("findings", 80)]


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


def _audit_row(rec: dict[str, Any], scale: str, tax: Any) -> dict[str, str]:
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
        "predicted": f"{tax.rating_display(pred['rating'], scale)} ({pred['rating_probs'][pred['rating']]:.2f})",
        "findings": findings or "ok",
    }


@app.command()
def audit(
    paths: PathsArg,
    *,
    model: ModelOpt = None,
    fmt: Annotated[AuditFormat, typer.Option("--format", "-f", help="Output format (parquet needs -o).")] = (
        AuditFormat.table
    ),
    output: OutputOpt = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write a self-contained HTML report to this file.")
    ] = None,
    report_limit: Annotated[
        int, typer.Option("--report-limit", min=1, help="Most severe flagged stories detailed in the report.")
    ] = 1000,
    min_confidence: Annotated[
        float | None,
        typer.Option(
            "--min-confidence",
            min=0.0,
            max=1.0,
            help="Probability a finding needs. Default: the model's own (model card, 'Audit defaults'), chosen on "
            "held-out works so that at most 4% of honestly rated works are flagged under-rated and at most 8% "
            "missing-warning.",
        ),
    ] = None,
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="Verdict kinds that make the exit status 1 (comma-separated, or none).")
    ] = "under-rated,missing-warning",
    scale: Annotated[Scale, typer.Option("--scale", help="Show ratings on this scale.")] = Scale.ao3,
    ffn_m_covers_explicit: Annotated[
        bool,
        typer.Option(
            "--ffn-m-covers-explicit/--ffn-m-is-mature",
            help="FFN allows nothing above M, so an FFN M story with explicit text is not under-rated (default).",
        ),
    ] = True,
    cross_validate: Annotated[
        bool,
        typer.Option("--cross-validate", help="Audit the labels of a training collection with out-of-fold models."),
    ] = False,
    folds: Annotated[int, typer.Option("--folds", min=2, max=20, help="Folds for --cross-validate.")] = 5,
    explain: ExplainOpt = 3,
    jobs: JobsOpt = 0,
    resume: ResumeOpt = False,
    backend: BackendOpt = Backend.local,
    scheduler: SchedulerOpt = "local",
    input_format: InputFormatOpt = InputFormat.auto,
    text_col: TextColOpt = None,
    id_col: IdColOpt = None,
    title_col: TitleColOpt = None,
    rating_col: RatingColOpt = None,
    warnings_col: WarningsColOpt = None,
    taxonomy: TaxonomyOpt = None,
    max_size: MaxSizeOpt = DEFAULT_MAX_SIZE,
    debug: DebugOpt = False,
) -> None:
    """Compare declared headers with what the text calls for: under-rated stories, missing warnings.

    Exit status: 0 nothing at --fail-on level, 1 findings at that level, 2 some inputs unreadable.

    Example: ficrate audit data/examples --report audit.html
    """
    from classifier.audit import AuditPolicy, audit_story, fails, parse_fail_on
    from classifier.modeling.predict import score_record
    from classifier.output import RecordSink

    try:
        fail_kinds = parse_fail_on(fail_on)
    except ValueError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_ERRORS) from None
    if fmt == AuditFormat.parquet and output is None:
        error("--format parquet needs --output FILE")
        raise typer.Exit(EXIT_ERRORS)
    options = _read_options(**_reading(locals()))
    if cross_validate:
        _audit_cross_validate(paths, options, fmt, output, folds)
        return
    story_model, _card = _load_model(model, debug)
    policy = AuditPolicy.for_model(
        story_model.audit_defaults,
        min_confidence,
        ffn_m_covers_explicit=ffn_m_covers_explicit,
        scale=scale.value,
        fail_on=fail_kinds,
        taxonomy=options.get_taxonomy(),
    )
    builder = None
    if report is not None:
        from classifier.report import ReportBuilder

        builder = ReportBuilder(limit=report_limit, scale=scale.value, taxonomy=options.get_taxonomy())
    failing = 0
    table_rows: list[tuple[float, dict[str, str]]] = []
    parquet_rows: list[dict[str, Any]] = []
    batch = Batch(_progress(paths, "auditing"))
    stream_fmt = fmt.value if fmt in (AuditFormat.json, AuditFormat.jsonl, AuditFormat.csv) else "none"
    scored, appending = _scored(
        paths,
        options,
        story_model,
        explain=explain,
        jobs=jobs,
        backend=backend,
        scheduler=scheduler,
        output=output,
        fmt=fmt.value,
        resume=resume,
    )
    with _open_output(
        output if stream_fmt != "none" else None, stream=stream_fmt in ("jsonl", "csv"), append=appending
    ) as out:
        sink = RecordSink(stream_fmt, out, csv_header=not appending) if stream_fmt != "none" else None
        with batch.running(sink):
            for story, prediction in batch.good(scored):
                rec = score_record(story, prediction)
                rec["audit"] = audit_story(story, prediction, story_model.thresholds, policy)
                failing += fails(rec["audit"], fail_kinds)
                if sink is not None:
                    sink.write(rec, csv_row=audit_csv_row(rec))
                elif fmt == AuditFormat.table:
                    table_rows.append((rec["audit"]["severity"], _audit_row(rec, scale.value, options.get_taxonomy())))
                else:
                    parquet_rows.append(audit_csv_row(rec))
                if builder is not None:
                    builder.add(rec)
    if fmt == AuditFormat.table:
        from classifier.output import render_table

        table_rows.sort(key=lambda t: -t[0])
        with _open_output(output) as out:
            out.write(render_table([r for _, r in table_rows], AUDIT_COLUMNS))
    elif fmt == AuditFormat.parquet and output is not None:
        import pandas as pd

        from classifier.output import atomic_writer

        with atomic_writer(output, "wb") as fh:
            pd.DataFrame(parquet_rows).to_parquet(fh, index=False)
    if builder is not None and report is not None:
        from classifier.output import atomic_writer

        with atomic_writer(report) as fh:
            fh.write(builder.render())
    if batch.failed:
        error(f"{batch.failed} input(s) could not be read; the rest were audited")
        raise typer.Exit(EXIT_ERRORS)
    if failing:
        raise typer.Exit(EXIT_FINDINGS)


def _audit_cross_validate(paths: list[str], options: Any, fmt: Any, output: Path | None, folds: int) -> None:
    from classifier.label_audit import TooFewLabels, audit_labels, has_issues, issues_table
    from classifier.output import OutputError, write_frame

    try:
        ranked, failed = audit_labels(
            paths,
            options.get_taxonomy(),
            options,
            folds=folds,
            progress=lambda m: typer.echo(f"ficrate audit: {m}", err=True),
            on_error=error,
        )
    except TooFewLabels as exc:
        error(str(exc))
        raise typer.Exit(EXIT_ERRORS) from None
    try:
        write_frame(ranked, fmt.value, output, table=issues_table)
    except OutputError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_ERRORS) from None
    if failed:
        raise typer.Exit(EXIT_ERRORS)
    if has_issues(ranked):
        raise typer.Exit(EXIT_FINDINGS)


def run() -> None:
    """Console-script entry point: unexpected errors are one line unless --debug is given."""
    debug = "--debug" in sys.argv
    try:
        app()
    except KeyboardInterrupt:
        error("interrupted")
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        error(f"internal error: {type(exc).__name__}: {str(exc)[:200]} (rerun with --debug for the traceback)")
        sys.exit(EXIT_ERRORS)
