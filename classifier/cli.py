"""Command line: thin wrappers that parse options and call library functions.

Exit codes: 0 ok, 1 findings (audit), 2 errors (some input unreadable, bad options).
Heavy modules are imported inside commands so ``ficrate --help`` stays instant.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from classifier import __version__, pipeline
from classifier.config import DEFAULT_MAX_SIZE, DEFAULT_MODEL_NAME, MODEL_ENV, default_shared_dir
from classifier.labels import TaxonomyError, load_taxonomy
from classifier.output import AUDIT_FORMATS, RECORD_FORMATS, OutputError, printable
from classifier.pipeline import Interrupted, RunResult, Scoring
from classifier.progress import Steps, progress_for, shares_terminal
from classifier.readers import INPUT_FORMATS, ReadOptions, TableOptions

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

# Choices come from the library's lists (the functional form, which mypy cannot follow).
OutputFormat = StrEnum("OutputFormat", [(f, f) for f in RECORD_FORMATS])  # type: ignore[misc]
AuditFormat = StrEnum("AuditFormat", [(f, f) for f in AUDIT_FORMATS])  # type: ignore[misc]
InputFormat = StrEnum("InputFormat", [(f, f) for f in INPUT_FORMATS])  # type: ignore[misc]


class Backend(StrEnum):
    """Where scoring runs."""

    local = "local"
    dask = "dask"


class Scale(StrEnum):
    """Rating scale used for display."""

    ao3 = "ao3"
    ffn = "ffn"


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
ModelOpt = Annotated[
    Path | None,
    typer.Option("--model", "-m", help=f"Model directory (default: models/{DEFAULT_MODEL_NAME} or ${MODEL_ENV})."),
]
JobsOpt = Annotated[int, typer.Option("--jobs", "-j", min=0, help="Processes for scoring (0 = all cores).")]
ExplainOpt = Annotated[int, typer.Option("--explain", min=0, max=20, help="Evidence passages per predicted label.")]
ResumeOpt = Annotated[
    bool, typer.Option("--resume", help="Skip stories already in --output (JSONL/CSV) and append the rest.")
]
BackendOpt = Annotated[Backend, typer.Option("--backend", help="Score here (local) or on a Dask cluster.")]
SchedulerOpt = Annotated[
    str,
    typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786), or 'local' for a LocalCluster."),
]


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


#: The options of every command that reads stories, in --help order: (name, annotation, default).
_READ_PARAMS: tuple[tuple[str, Any, Any], ...] = (
    ("input_format", InputFormatOpt, InputFormat("auto")),
    ("text_col", TextColOpt, None),
    ("id_col", IdColOpt, None),
    ("title_col", TitleColOpt, None),
    ("rating_col", RatingColOpt, None),
    ("warnings_col", WarningsColOpt, None),
    ("taxonomy", TaxonomyOpt, None),
    ("max_size", MaxSizeOpt, DEFAULT_MAX_SIZE),
)


def reads_stories(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` the reading options (declared once, above), handed to it as ``options``.

    typer reads the wrapper's signature: the command's own parameters with the reading options
    inserted before ``debug``; the wrapper builds the :class:`ReadOptions` from them.
    """
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "options"]
    at = next(i for i, p in enumerate(own) if p.name == "debug")
    extra = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a) for n, a, d in _READ_PARAMS]
    params = own[:at] + extra + own[at:]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        v = {name: kwargs.pop(name) for name, _a, _d in _READ_PARAMS}
        with _exits():
            taxonomy = load_taxonomy(v["taxonomy"])
        table = TableOptions(v["text_col"], v["id_col"], v["title_col"], v["rating_col"], v["warnings_col"])
        kwargs["options"] = ReadOptions(
            input_format=v["input_format"].value,
            max_size=v["max_size"],
            table=table,
            taxonomy=taxonomy,
            debug=kwargs["debug"],
        )
        command(*args, **kwargs)

    wrapper.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


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
@reads_stories
def headers(
    paths: PathsArg,
    *,
    fmt: FormatOpt = OutputFormat("table"),
    output: OutputOpt = None,
    include_body: Annotated[
        bool, typer.Option("--include-body", help="Add the parsed body text to JSON output.")
    ] = False,
    debug: DebugOpt = False,
    options: ReadOptions,
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
@reads_stories
def score(
    paths: PathsArg,
    *,
    model: ModelOpt = None,
    fmt: FormatOpt = OutputFormat("table"),
    output: OutputOpt = None,
    explain: ExplainOpt = 3,
    jobs: JobsOpt = 0,
    resume: ResumeOpt = False,
    backend: BackendOpt = Backend.local,
    scheduler: SchedulerOpt = "local",
    debug: DebugOpt = False,
    options: ReadOptions,
) -> None:
    """Predict each story's rating and warnings from its text, with evidence passages.

    Example: ficrate score data/examples --format jsonl --explain 2
    """
    story_model, card = _load_model(model, debug)
    scoring = Scoring(explain=explain, jobs=jobs, backend=backend.value, scheduler=scheduler)
    with _exits():
        result = pipeline.score(
            paths,
            options,
            story_model,
            scoring,
            fmt=fmt.value,
            output=output,
            resume=resume,
            on_error=error,
            progress=progress_for(paths, "scoring", output=output, fmt=fmt.value),
            model_card=card,
        )
    _finish(result, f"{result.written} stories scored")


def _command_line(ctx: typer.Context, args: list[str], skip: tuple[str, ...]) -> str:
    """The command as a user would type it (options that differ from their defaults), for model cards."""
    import shlex

    parts = ["ficrate", ctx.info_name or "", *args]
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if param.param_type_name != "option" or param.name in skip or value in (None, False, param.default):
            continue
        parts += [param.opts[0]] if value is True else [param.opts[0], str(value)]
    return " ".join(shlex.quote(p) for p in parts)


@app.command()
@reads_stories
def train(
    ctx: typer.Context,
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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress messages.")] = False,
    debug: DebugOpt = False,
    options: ReadOptions,
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
        with Steps("train", quiet=quiet) as say:
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
                command=_command_line(ctx, list(sources), skip=("max_size", "quiet", "debug")),
            )
    except ModelError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_ERRORS) from None
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
@reads_stories
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
    debug: DebugOpt = False,
    options: ReadOptions,
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
@reads_stories
def audit(
    paths: PathsArg,
    *,
    model: ModelOpt = None,
    fmt: Annotated[AuditFormat, typer.Option("--format", "-f", help="Output format (parquet needs -o).")] = (
        AuditFormat("table")
    ),
    output: OutputOpt = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write a self-contained HTML report to this file.")
    ] = None,
    report_limit: Annotated[
        int, typer.Option("--report-limit", min=1, help="Stories the report lists per group (most severe).")
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
    debug: DebugOpt = False,
    options: ReadOptions,
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
    scoring = Scoring(explain=explain, jobs=jobs, backend=backend.value, scheduler=scheduler)
    from classifier.report import ReportContext, run_context

    run = ReportContext.for_run(card, story_model.thresholds, policy, paths, min_confidence=min_confidence)
    with _exits(), run_context(run):
        result = pipeline.audit(
            paths,
            options,
            story_model,
            policy,
            scoring,
            fmt=fmt.value,
            output=output,
            resume=resume,
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


class Record(StrEnum):
    """Records with a published schema."""

    score = "score"
    audit = "audit"


@app.command()
def schema(
    record: Annotated[Record, typer.Argument(help="Which record: score or audit.")],
) -> None:
    """Print the JSON Schema of the score or audit record (what -f jsonl writes and the server returns).

    Example: ficrate schema audit > audit.schema.json
    """
    from classifier.schema import schema_text

    typer.echo(schema_text(record.value))


@app.command()
def serve(
    *,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes, each with the model.")] = 1,
    threads: Annotated[
        int, typer.Option("--threads", min=1, help="Stories scored at once per worker (thread pool).")
    ] = 2,
    model: ModelOpt = None,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", min=1, help="Refuse request bodies over this many bytes (413).")
    ] = 10 * 1024 * 1024,
    max_batch: Annotated[int, typer.Option("--max-batch", min=1, help="Most items in one :batch request.")] = 64,
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
        server.serve(config, host=host, port=port, workers=workers)
    except ModelError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_ERRORS) from None
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
