"""Command line: thin wrappers that parse options and call library functions.

Exit codes: 0 ok, 1 findings (audit), 2 errors (some input unreadable, bad options), 130 Ctrl-C,
141 stdout closed by its reader (``ficrate audit ... | head``): the status a shell gives a filter
that SIGPIPE ends, without a message. SIGPIPE itself stays ignored, as Python has it: a parent
writing to a dead worker's pipe must get an error, not die.
Heavy modules are imported inside commands so ``ficrate --help`` stays instant.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from classifier import __version__, pipeline
from classifier import cli_options as opt
from classifier.config import default_shared_dir
from classifier.labels import TaxonomyError
from classifier.output import OutputError, printable
from classifier.pipeline import Interrupted, RunResult
from classifier.progress import Steps, progress_for, shares_terminal
from classifier.readers import ReadOptions

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERRORS = 2
EXIT_BROKEN_PIPE = 141


class _Commands(TyperGroup):
    """ficrate's commands; a closed stdout ends any of them with :data:`EXIT_BROKEN_PIPE`."""

    def invoke(self, ctx: Any) -> Any:  # Any: the Context of the click that typer vendors
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # typer would exit 1 (findings, for audit); and the interpreter's last flush of what
            # is still buffered would fail again and print a traceback, so that goes to /dev/null.
            with contextlib.suppress(OSError, ValueError):
                fd = sys.stdout.fileno()
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, fd)
                os.close(devnull)
            raise typer.Exit(EXIT_BROKEN_PIPE) from None


app = typer.Typer(
    cls=_Commands,
    name="ficrate",
    help="Content rating and content warnings for fan fiction: read headers, score text, audit tags.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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
    typer.echo(f"ficrate: {printable(message)}", err=True)


@contextlib.contextmanager
def _exits(*errors: type[Exception]) -> Iterator[None]:
    """Library errors (and ``errors``) as one line on stderr and the exit status (130 for Ctrl-C, else 2)."""
    caught: tuple[type[Exception], ...] = (OutputError, TaxonomyError, *errors)
    try:
        yield
    except Interrupted as exc:
        error(str(exc))
        raise typer.Exit(130) from None
    except caught as exc:
        error(str(exc))
        raise typer.Exit(EXIT_ERRORS) from None


#: Gives a command the option groups its parameters are typed with (:mod:`classifier.cli_options`).
uses_groups = opt.takes_groups(_exits)


def _load_model(model: Path | None, debug: bool) -> tuple[Any, dict[str, Any]]:
    """The library's :func:`classifier.load_model`; the pipeline works on its scorer."""
    from classifier.api import load_model
    from classifier.modeling.persist import ModelError

    try:
        loaded = load_model(model)
        return loaded.scorer, loaded.card
    except ModelError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_ERRORS) from None
    except Exception as exc:
        if debug:
            raise
        error(f"{model or 'default model'}: cannot load model ({type(exc).__name__}: {exc})")
        raise typer.Exit(EXIT_ERRORS) from None


def _finish(result: RunResult, done: str) -> None:
    """Exit 2 when some input could not be read (``done`` says what happened to the rest)."""
    if result.failed:
        error(f"{result.failed} input(s) could not be read; {done}")
        raise typer.Exit(EXIT_ERRORS)


@app.command()
@uses_groups
def headers(
    paths: opt.PathsArg,
    *,
    fmt: opt.FormatOpt = opt.OutputFormat("table"),
    output: opt.OutputOpt = None,
    include_body: opt.IncludeBodyOpt = False,
    options: ReadOptions,
    debug: opt.DebugOpt = False,
) -> None:
    """Show what each story declares: rating, warnings, tags, and the body's length.

    Example: ficrate headers data/examples --format jsonl
    """
    with _exits():
        result = pipeline.headers(
            paths, options, fmt=fmt.value, output=output, include_body=include_body, on_error=error
        )
    _finish(result, f"{result.written} stories read")


@app.command()
@uses_groups
def score(
    paths: opt.PathsArg,
    *,
    model: opt.ModelOpt = None,
    fmt: opt.FormatOpt = opt.OutputFormat("table"),
    output: opt.OutputOpt = None,
    scoring: opt.ScoringOptions,
    options: ReadOptions,
    debug: opt.DebugOpt = False,
) -> None:
    """Predict each story's rating and warnings from its text, with evidence passages.

    Example: ficrate score data/examples --format jsonl --explain 2
    """
    story_model, card = _load_model(model, debug)
    with _exits():
        result = pipeline.score(
            paths,
            options,
            story_model,
            scoring.settings,
            fmt=fmt.value,
            output=output,
            resume=scoring.resume,
            on_error=error,
            progress=progress_for(paths, "scoring", output=output, fmt=fmt.value),
            model_card=card,
        )
    _finish(result, f"{result.written} stories scored")


@app.command()
@uses_groups
def train(
    ctx: typer.Context,
    sources: opt.SourcesArg,
    *,
    out: opt.ModelOutOpt,
    force: opt.ForceOpt = False,
    folds: opt.FoldsOpt = 5,
    seed: opt.SeedOpt = 0,
    exclude: opt.ExcludeOpt = None,
    relabel: opt.RelabelOpt = None,
    quiet: opt.QuietOpt = False,
    options: ReadOptions,
    debug: opt.DebugOpt = False,
) -> None:
    """Train a model on labelled stories, tables and/or ../shared/data, and write it with its model card.

    Example: ficrate train ../shared/data --out models/ficrate-default --force
    """
    from classifier.datasets import read_label_table
    from classifier.modeling.persist import ModelError
    from classifier.modeling.train import train_from_sources
    from classifier.output import training_summary, training_warnings

    with _exits():
        pipeline.check_model_out(out, force)
    with _exits(ValueError):
        excl = read_label_table(exclude, "exclusions")
        rel = read_label_table(relabel, "corrections")
    try:
        with _exits(ModelError), Steps("train", quiet=quiet) as say:
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
                command=opt.command_line(ctx, list(sources), skip=("max_size", "quiet", "debug")),
            )
    except KeyboardInterrupt:
        error("interrupted; no model was written")
        raise typer.Exit(130) from None
    for e in errors:
        error(e)
    for note in training_warnings(card):
        error(note)
    typer.echo(training_summary(card, out))
    if errors:
        raise typer.Exit(EXIT_ERRORS)


@app.command()
@uses_groups
def evaluate(
    data: opt.DataArg,
    *,
    report: opt.ReportDirOpt,
    model: opt.ModelOpt = None,
    shared: opt.SharedOpt = None,
    rounds: opt.BootstrapOpt = 500,
    options: ReadOptions,
    debug: opt.DebugOpt = False,
) -> None:
    """Measure a model on labelled data beside a TF-IDF baseline and a lexicon rule; write a report.

    Example: ficrate evaluate ../shared/data/stories --report reports/dev
    """
    from classifier.evaluate import evaluate_model

    story_model, card = _load_model(model, debug)
    with _exits(ValueError), Steps("evaluate") as say:
        result = evaluate_model(
            story_model,
            card,
            data,
            report,
            taxonomy=options.get_taxonomy(),
            read_options=options,
            shared=shared if shared is not None else default_shared_dir(),
            rounds=rounds,
            progress=say,
        )
    for e in result["read_errors"]:
        error(e)
    typer.echo((report / "summary.md").read_text(encoding="utf-8"))
    if result["read_errors"]:
        raise typer.Exit(EXIT_ERRORS)


@app.command()
@uses_groups
def audit(
    paths: opt.PathsArg,
    *,
    model: opt.ModelOpt = None,
    fmt: opt.AuditFormatOpt = opt.AuditFormat("table"),
    output: opt.OutputOpt = None,
    report: opt.HtmlReportOpt = None,
    report_limit: opt.ReportLimitOpt = 1000,
    min_confidence: opt.MinConfidenceOpt = None,
    fail_on: opt.FailOnOpt = "under-rated,missing-warning",
    scale: opt.ScaleOpt = opt.Scale.ao3,
    ffn_m_covers_explicit: opt.FfnMOpt = True,
    cross_validate: opt.CrossValidateOpt = False,
    folds: opt.CvFoldsOpt = 5,
    scoring: opt.ScoringOptions,
    options: ReadOptions,
    debug: opt.DebugOpt = False,
) -> None:
    """Compare declared headers with what the text calls for: under-rated stories, missing warnings.

    Exit status: 0 nothing at --fail-on level, 1 findings at that level, 2 some inputs unreadable.

    Example: ficrate audit data/examples --report audit.html
    """
    from classifier.audit import AuditPolicy, parse_fail_on

    with _exits(ValueError):
        fail_kinds = parse_fail_on(fail_on)
    if fmt.value == "parquet" and output is None:  # before loading a model
        error("--format parquet needs --output FILE")
        raise typer.Exit(EXIT_ERRORS)
    if cross_validate:
        from classifier.label_audit import TooFewLabels

        with _exits(TooFewLabels), Steps("audit", quiet=shares_terminal(output)) as say:
            result = pipeline.audit_labels(
                paths, options, fmt=fmt.value, output=output, folds=folds, on_error=error, progress=say
            )
        if result.failed:
            raise typer.Exit(EXIT_ERRORS)
        raise typer.Exit(EXIT_FINDINGS if result.flagged else EXIT_OK)
    story_model, card = _load_model(model, debug)
    policy = AuditPolicy.for_model(
        story_model.audit_defaults,
        min_confidence,
        ffn_m_covers_explicit=ffn_m_covers_explicit,
        scale=scale.value,
        fail_on=fail_kinds,
        taxonomy=options.get_taxonomy(),
    )
    from classifier.report import ReportContext, run_context

    run = ReportContext.for_run(card, story_model.thresholds, policy, paths, min_confidence=min_confidence)
    with _exits(), run_context(run):
        result = pipeline.audit(
            paths,
            options,
            story_model,
            policy,
            scoring.settings,
            fmt=fmt.value,
            output=output,
            resume=scoring.resume,
            report=report,
            report_limit=report_limit,
            on_error=error,
            progress=progress_for(paths, "auditing", output=output, fmt=fmt.value),
            model_card=card,
        )
    if report is not None:
        typer.echo(f"ficrate audit: report written to {report}", err=True)
    _finish(result, "the rest were audited")
    if result.flagged:
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
def schema(
    record: opt.RecordArg,
) -> None:
    """Print the JSON Schema of the score or audit record (what -f jsonl writes and the server returns).

    Example: ficrate schema audit > audit.schema.json
    """
    from classifier.schema import schema_text

    typer.echo(schema_text(record.value))


@app.command()
def serve(
    *,
    host: opt.HostOpt = "127.0.0.1",
    port: opt.PortOpt = 8000,
    workers: opt.WorkersOpt = 1,
    threads: opt.ThreadsOpt = 2,
    model: opt.ModelOpt = None,
    max_bytes: opt.MaxBytesOpt = 10 * 1024 * 1024,
    max_batch: opt.MaxBatchOpt = 64,
) -> None:
    """Serve score and audit as a local HTTP JSON API (needs the serve extra: pip install 'ficrate[serve]').

    Example: ficrate serve --port 8000 --workers 2
    """
    try:
        from classifier import server
    except ImportError as exc:
        error(f"serve needs the 'serve' extra (missing {exc.name}): pip install 'ficrate[serve]'")
        raise typer.Exit(EXIT_ERRORS) from None
    from classifier.modeling.persist import ModelError

    config = server.ServeConfig(
        model=str(model) if model else None, max_bytes=max_bytes, max_batch=max_batch, threads=threads
    )
    try:
        with _exits(ModelError):
            server.serve(config, host=host, port=port, workers=workers)
    except server.Stopped:
        typer.echo("ficrate serve: stopped (SIGTERM); in-flight requests were answered", err=True)


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
