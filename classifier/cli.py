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


@contextlib.contextmanager
def _open_output(output: Path | None) -> Any:
    if output is None:
        yield sys.stdout
        return
    from classifier.output import atomic_writer

    try:
        with atomic_writer(output) as fh:
            yield fh
    except OSError as exc:
        error(f"{output}: cannot write ({exc.strerror or exc})")
        raise typer.Exit(EXIT_ERRORS) from None


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
    max_size: MaxSizeOpt = 50 * 1024 * 1024,
    include_body: Annotated[
        bool, typer.Option("--include-body", help="Add the parsed body text to JSON output.")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Show what each story declares: rating, warnings, tags, and the body's length.

    Example: ficrate headers data/examples --format jsonl
    """
    from classifier.output import RecordSink
    from classifier.readers import ReadError, iter_stories

    options = _read_options(
        input_format=input_format,
        text_col=text_col,
        id_col=id_col,
        title_col=title_col,
        rating_col=rating_col,
        warnings_col=warnings_col,
        taxonomy=taxonomy,
        max_size=max_size,
        debug=debug,
    )
    failed = 0
    with _open_output(output) as out:
        sink = RecordSink(fmt.value, out, HEADERS_COLUMNS)
        try:
            for item in iter_stories(paths, options):
                if isinstance(item, ReadError):
                    failed += 1
                    error(str(item))
                    continue
                rec = item.to_record(include_body=include_body)
                sink.write(rec, table_row=_headers_row(rec))
        except KeyboardInterrupt:
            sink.close()
            error(f"interrupted after {sink.count} stories")
            raise typer.Exit(130) from None
        sink.close()
    if failed:
        error(f"{failed} input(s) could not be read; {sink.count} stories read")
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

    def __init__(self, enabled: bool, label: str) -> None:
        import time

        self.enabled = enabled
        self.label = label
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
        sys.stderr.write(f"\r{self.label}: {self.count} stories, {rate:.1f}/s")
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


ModelOpt = Annotated[
    Path | None,
    typer.Option("--model", "-m", help="Model directory (default: models/ficrate-default or $FICRATE_MODEL)."),
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
    input_format: InputFormatOpt = InputFormat.auto,
    text_col: TextColOpt = None,
    id_col: IdColOpt = None,
    title_col: TitleColOpt = None,
    rating_col: RatingColOpt = None,
    warnings_col: WarningsColOpt = None,
    taxonomy: TaxonomyOpt = None,
    max_size: MaxSizeOpt = 50 * 1024 * 1024,
    debug: DebugOpt = False,
) -> None:
    """Predict each story's rating and warnings from its text, with evidence passages.

    Example: ficrate score data/examples --format jsonl --explain 2
    """
    from classifier.modeling.predict import default_jobs, score_record, score_stream
    from classifier.output import RecordSink
    from classifier.readers import ReadError, iter_stories

    options = _read_options(
        input_format=input_format,
        text_col=text_col,
        id_col=id_col,
        title_col=title_col,
        rating_col=rating_col,
        warnings_col=warnings_col,
        taxonomy=taxonomy,
        max_size=max_size,
        debug=debug,
    )
    story_model, _card = _load_model(model, debug)
    n_jobs = jobs or default_jobs()
    failed = 0
    progress = Progress(_progress_wanted(paths), "scoring")
    with _open_output(output) as out:
        sink = RecordSink(fmt.value, out, SCORE_COLUMNS)
        try:
            for item in score_stream(iter_stories(paths, options), story_model, explain=explain, jobs=n_jobs):
                if isinstance(item, ReadError):
                    failed += 1
                    error(str(item))
                    continue
                rec = score_record(*item)
                sink.write(rec, table_row=_score_row(rec), csv_row=score_csv_row(rec))
                progress.tick()
        except KeyboardInterrupt:
            progress.close()
            sink.close()
            error(f"interrupted after {sink.count} stories; results so far are written")
            raise typer.Exit(130) from None
        progress.close()
        sink.close()
    if failed:
        error(f"{failed} input(s) could not be read; {sink.count} stories scored")
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
    max_size: MaxSizeOpt = 50 * 1024 * 1024,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress messages.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Train a model on labelled stories, tables and/or ../shared/data, and write it with its model card.

    Example: ficrate train ../shared/data --out models/ficrate-default --force
    """
    from classifier.modeling.persist import ModelError
    from classifier.modeling.train import train_from_sources

    options = _read_options(
        input_format=input_format,
        text_col=text_col,
        id_col=id_col,
        title_col=title_col,
        rating_col=rating_col,
        warnings_col=warnings_col,
        taxonomy=taxonomy,
        max_size=max_size,
        debug=debug,
    )
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
    full = card["metrics"]["full"]["bag"]
    summary = []
    if "rating" in full:
        summary.append(
            f"rating exact {full['rating']['exact_accuracy']['value']:.3f}, "
            f"adult {full['rating']['adult_accuracy']['value']:.3f}"
        )
    if "warnings" in full:
        summary.append(f"warnings micro-F1 {full['warnings']['micro_f1']['value']:.3f}")
    typer.echo(f"wrote {out} ({'; '.join(summary)} on cross-validated bags; see {out}/MODEL_CARD.md)")
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
    max_size: MaxSizeOpt = 50 * 1024 * 1024,
    debug: DebugOpt = False,
) -> None:
    """Measure a model on labelled data beside a TF-IDF baseline and a lexicon rule; write a report.

    Example: ficrate evaluate ../shared/data/stories --report reports/dev
    """
    from classifier.evaluate import evaluate_model

    options = _read_options(
        input_format=input_format,
        text_col=text_col,
        id_col=id_col,
        title_col=title_col,
        rating_col=rating_col,
        warnings_col=warnings_col,
        taxonomy=taxonomy,
        max_size=max_size,
        debug=debug,
    )
    story_model, card = _load_model(model, debug)
    if shared is None:
        candidate = Path(__file__).resolve().parents[1].parent / "shared" / "data"
        shared = candidate if candidate.exists() else None
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


def run() -> None:
    """Console-script entry point."""
    app()
