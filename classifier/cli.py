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


def run() -> None:
    """Console-script entry point."""
    app()
