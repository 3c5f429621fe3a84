"""The CLI's option vocabulary: choices, typed options, and the option groups commands share.

An option group (reading, scoring) is declared once here; a command takes it as one parameter
annotated with the group's type, and :func:`takes_groups` puts the group's options in that
parameter's place in ``--help`` and hands the command the value built from them.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from classifier.config import DEFAULT_MAX_SIZE, DEFAULT_MODEL_NAME, MODEL_ENV
from classifier.labels import load_taxonomy
from classifier.output import AUDIT_FORMATS, RECORD_FORMATS
from classifier.pipeline import Scoring
from classifier.readers import INPUT_FORMATS, ReadOptions, TableOptions

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


class Record(StrEnum):
    """Records with a published schema."""

    score = "score"
    audit = "audit"


# Options several commands share.

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


# Each command's own options, by command.

# headers
IncludeBodyOpt = Annotated[bool, typer.Option("--include-body", help="Add the parsed body text to JSON output.")]

# train
SourcesArg = Annotated[
    list[str], typer.Argument(help="Story files/dirs, tables, or ../shared/data files/folder, in any mix.")
]
ModelOutOpt = Annotated[Path, typer.Option("--out", help="Model directory to write (e.g. models/mine).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite an existing model directory.")]
FoldsOpt = Annotated[int, typer.Option("--folds", min=2, max=20, help="Cross-validation folds.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (training is deterministic given it).")]
ExcludeOpt = Annotated[
    Path | None, typer.Option("--exclude", help="CSV of stories to leave out (column id, group or path).")
]
RelabelOpt = Annotated[
    Path | None,
    typer.Option("--relabel", help="CSV of label corrections (id/group/path, rating, warning columns 0/1)."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress messages.")]

# evaluate
DataArg = Annotated[list[str], typer.Argument(help="Labelled stories, tables or ../shared/data files to evaluate on.")]
ReportDirOpt = Annotated[Path, typer.Option("--report", help="Directory for metrics.json, summary.md and plots.")]
SharedOpt = Annotated[
    Path | None,
    typer.Option(
        "--shared", help="Folder with the summaries for the TF-IDF baseline (default ../shared/data if present)."
    ),
]
BootstrapOpt = Annotated[int, typer.Option("--bootstrap", min=10, help="Bootstrap resamples for confidence intervals.")]

# audit
AuditFormatOpt = Annotated[AuditFormat, typer.Option("--format", "-f", help="Output format (parquet needs -o).")]
HtmlReportOpt = Annotated[
    Path | None, typer.Option("--report", help="Also write a self-contained HTML report to this file.")
]
ReportLimitOpt = Annotated[
    int, typer.Option("--report-limit", min=1, help="Stories the report lists per group (most severe).")
]
MinConfidenceOpt = Annotated[
    float | None,
    typer.Option(
        "--min-confidence",
        min=0.0,
        max=1.0,
        help="Probability a finding needs. Default: the model's own (model card, 'Audit defaults'), chosen on "
        "held-out works so that at most 4% of honestly rated works are flagged under-rated (on each rating "
        "scale, AO3 and FFN, separately, counting works at that archive's own rating mix) and at most 8% "
        "missing-warning (counted as sampled; 7-8% at the archive's mix).",
    ),
]
FailOnOpt = Annotated[
    str, typer.Option("--fail-on", help="Verdict kinds that make the exit status 1 (comma-separated, or none).")
]
ScaleOpt = Annotated[Scale, typer.Option("--scale", help="Show ratings on this scale.")]
FfnMOpt = Annotated[
    bool,
    typer.Option(
        "--ffn-m-covers-explicit/--ffn-m-is-mature",
        help="FFN allows nothing above M, so an FFN M story with explicit text is not under-rated (default).",
    ),
]
CrossValidateOpt = Annotated[
    bool,
    typer.Option("--cross-validate", help="Audit the labels of a training collection with out-of-fold models."),
]
CvFoldsOpt = Annotated[int, typer.Option("--folds", min=2, max=20, help="Folds for --cross-validate.")]

# schema
RecordArg = Annotated[Record, typer.Argument(help="Which record: score or audit.")]

# serve
HostOpt = Annotated[str, typer.Option("--host", help="Address to listen on (loopback by default).")]
PortOpt = Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")]
WorkersOpt = Annotated[int, typer.Option("--workers", min=1, help="Worker processes, each with the model.")]
ThreadsOpt = Annotated[int, typer.Option("--threads", min=1, help="Stories scored at once per worker (thread pool).")]
MaxBytesOpt = Annotated[
    int, typer.Option("--max-bytes", min=1, help="Refuse request bodies over this many bytes (413).")
]
MaxBatchOpt = Annotated[int, typer.Option("--max-batch", min=1, help="Most items in one :batch request.")]


@dataclass(frozen=True)
class OptionGroup:
    """Options declared once, handed to each command that takes them as the one value ``build`` makes."""

    #: (name, annotation, default) of each option, in --help order.
    params: tuple[tuple[str, Any, Any], ...]
    #: The value from the options' values and the command's --debug; may raise library errors.
    build: Callable[[dict[str, Any], bool], Any]


def _read_options(v: dict[str, Any], debug: bool) -> ReadOptions:
    table = TableOptions(v["text_col"], v["id_col"], v["title_col"], v["rating_col"], v["warnings_col"])
    return ReadOptions(
        input_format=v["input_format"].value,
        max_size=v["max_size"],
        table=table,
        taxonomy=load_taxonomy(v["taxonomy"]),
        debug=debug,
    )


#: How every command that reads stories reads them.
READING = OptionGroup(
    (
        ("input_format", InputFormatOpt, InputFormat("auto")),
        ("text_col", TextColOpt, None),
        ("id_col", IdColOpt, None),
        ("title_col", TitleColOpt, None),
        ("rating_col", RatingColOpt, None),
        ("warnings_col", WarningsColOpt, None),
        ("taxonomy", TaxonomyOpt, None),
        ("max_size", MaxSizeOpt, DEFAULT_MAX_SIZE),
    ),
    _read_options,
)


@dataclass(frozen=True)
class ScoringOptions:
    """How score and audit score stories, and whether they resume a partial ``--output``."""

    settings: Scoring
    resume: bool


#: How score and audit score stories.
SCORING = OptionGroup(
    (
        ("explain", ExplainOpt, 3),
        ("jobs", JobsOpt, 0),
        ("resume", ResumeOpt, False),
        ("backend", BackendOpt, Backend.local),
        ("scheduler", SchedulerOpt, "local"),
    ),
    lambda v, _debug: ScoringOptions(
        settings=Scoring(explain=v["explain"], jobs=v["jobs"], backend=v["backend"].value, scheduler=v["scheduler"]),
        resume=v["resume"],
    ),
)

#: The group behind each type a command's parameter may be annotated with.
GROUPS: dict[Any, OptionGroup] = {ReadOptions: READING, ScoringOptions: SCORING}


def takes_groups(
    guard: Callable[[], contextlib.AbstractContextManager[Any]],
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A decorator that expands a command's group-typed parameters into the groups' options.

    Parameters
    ----------
    guard
        Context manager around building the groups' values, turning library errors (a bad
        taxonomy file) into the CLI's error line and exit status.

    Returns
    -------
    Callable
        The decorator. typer reads the wrapper's signature: the command's own parameters with each
        group-typed one replaced by the group's options; the wrapper builds the group values.
    """

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        own = inspect.signature(command, eval_str=True).parameters.values()
        taken = {p.name: GROUPS[p.annotation] for p in own if p.annotation in GROUPS}
        params: list[inspect.Parameter] = []
        for p in own:
            group = GROUPS.get(p.annotation)
            kw = inspect.Parameter.KEYWORD_ONLY
            params += [inspect.Parameter(n, kw, default=d, annotation=a) for n, a, d in group.params] if group else [p]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            with guard():
                for name, group in taken.items():
                    values = {n: kwargs.pop(n) for n, _a, _d in group.params}
                    kwargs[name] = group.build(values, kwargs.get("debug", False))
            command(*args, **kwargs)

        wrapper.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        return wrapper

    return decorate


def command_line(ctx: typer.Context, args: list[str], skip: tuple[str, ...]) -> str:
    """The command as a user would type it, for model cards.

    Parameters
    ----------
    ctx
        The running command's context.
    args
        Its arguments, in order.
    skip
        Options to leave out (those that do not change the result).

    Returns
    -------
    str
        ``ficrate COMMAND ARGS...`` with the options that differ from their defaults, shell-quoted.
    """
    parts = ["ficrate", ctx.info_name or "", *args]
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if param.param_type_name != "option" or param.name in skip or value in (None, False, param.default):
            continue
        parts += [param.opts[0]] if value is True else [param.opts[0], str(value)]
    return " ".join(shlex.quote(p) for p in parts)
