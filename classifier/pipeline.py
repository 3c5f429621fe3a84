"""The commands' runs as library calls: read → (score → audit) → write, one pass over the inputs.

Read errors go to ``on_error``, one line each, and the batch goes on; Ctrl-C stops the pass,
keeps what is written and raises :class:`Interrupted`. Where the scoring runs (here, on
local worker processes, on Dask) is chosen by :func:`score_inputs`.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.output import (
    HEADERS_LAYOUT,
    SCORE_LAYOUT,
    STREAM_FORMATS,
    Layout,
    OutputError,
    RecordSink,
    Resume,
    atomic_writer,
    audit_layout,
    dumps_record,
    open_output,
)
from classifier.progress import Progress
from classifier.provenance import run_metadata, sidecar
from classifier.readers import (
    ReadError,
    ReadOptions,
    expand_paths,
    iter_stories,
    streams_stdin,
    table_extension_kind,
)

ErrorSink = Callable[[str], None]

#: Story files per task on local worker processes. Fewer plain files than this make a single
#: task for a single worker, so they are scored here instead (no pool to fork and feed).
PARTITION_FILES = 8


class Interrupted(Exception):
    """Ctrl-C during a run; what was written is kept (``kept``: whether anything is)."""

    def __init__(self, done: int, kept: bool = True, why_not: str = "") -> None:
        what = "results so far are written" if kept else f"nothing was written{why_not}"
        super().__init__(f"interrupted after {done} stories; {what}")
        self.done = done
        self.kept = kept


@dataclass
class RunResult:
    """What a run did."""

    #: Stories written.
    written: int = 0
    #: Inputs (files, rows) that could not be read.
    failed: int = 0
    #: Audited stories with a finding of a ``fail_on`` kind.
    flagged: int = 0


@dataclass(frozen=True)
class Scoring:
    """Where and how stories are scored."""

    explain: int = 3
    #: Processes (0: all cores).
    jobs: int = 0
    #: ``local`` or ``dask``.
    backend: str = "local"
    #: Dask scheduler address, or ``local`` for a LocalCluster.
    scheduler: str = "local"


class Batch:
    """One pass over a command's inputs: read errors reported, progress ticked, Ctrl-C handled."""

    def __init__(self, on_error: ErrorSink, progress: Progress | None = None) -> None:
        self.on_error = on_error
        self.progress = progress or Progress(False, "")
        self.result = RunResult()
        self.done = 0

    def good(self, items: Iterable[Any]) -> Iterator[Any]:
        """The items that are not read errors; each error goes to ``on_error``."""
        for item in items:
            if isinstance(item, ReadError):
                self.result.failed += 1
                self.on_error(str(item))
                continue
            yield item
            self.done += 1
            self.progress.tick()

    @contextlib.contextmanager
    def writing(
        self,
        fmt: str,
        output: Path | None,
        layout: Layout,
        *,
        resume: Resume | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Iterator[RecordSink]:
        """A sink on stdout or ``output`` (appended to when ``resume`` found records in it),
        finished at the end; on Ctrl-C, :class:`Interrupted`. A new JSONL/CSV file gets the run's
        ``metadata`` (:mod:`classifier.provenance`) with its first record; stdout never does."""
        append = bool(resume and resume.appending)
        stream = fmt in STREAM_FORMATS
        with open_output(output, stream=stream, append=append, binary=fmt == "parquet") as out:
            expect = resume.shape if resume and append else None
            first = _metadata_writer(fmt, output, out, metadata) if metadata and output and not append else None
            sink = RecordSink(
                fmt, out, layout, csv_header=not append, expect=expect, name=str(output), before_first=first
            )
            try:
                yield sink
            except KeyboardInterrupt:
                self.progress.close()
                sink.interrupt()
                raise Interrupted(self.done, *_kept(sink, output, stream, append)) from None
            except BaseException:
                self.progress.close()  # the terminal as it was (rich hides the cursor while drawing)
                raise
            self.progress.close()
            sink.close()
        self.result.written = sink.count


def _metadata_writer(fmt: str, output: Path, out: Any, metadata: dict[str, Any]) -> Callable[[], None] | None:
    """What writes a new results file's metadata: its first line (JSONL), a file beside it (CSV)."""
    if fmt == "jsonl":
        return lambda: out.write(dumps_record(metadata) + "\n")
    if fmt == "csv":

        def beside() -> None:
            with atomic_writer(sidecar(output)) as fh:
                fh.write(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")

        return beside
    return None


def _kept(sink: RecordSink, output: Path | None, stream: bool, append: bool) -> tuple[bool, str]:
    """Whether an interrupted run's output holds anything, and if not, why."""
    where = f" to {output}" if output else ""
    if sink.whole or (output is not None and not stream):
        return append, f"{where} (that format is written only when complete; jsonl or csv keeps each record)"
    return append or sink.count > 0, where


def check_outputs(paths: Iterable[str], *outputs: Path | None) -> None:
    """Refuse an output file that is also one of the inputs: writing it would destroy what is read."""
    existing = [o for o in outputs if o is not None and o.exists()]
    if not existing:
        return
    for item in expand_paths(paths):
        if isinstance(item, ReadError) or item == "-":
            continue
        for out in existing:
            with contextlib.suppress(OSError):
                if os.path.samefile(item, out):
                    raise OutputError(f"{out}: is also an input ({item}); refusing to overwrite it")


def check_model_out(out: Path, force: bool) -> None:
    """Refuse ``train --out DIR --force`` when DIR is something other than an empty directory or a
    ficrate model: --force replaces a model, it must not delete someone's files."""
    from classifier.modeling.persist import CARD_JSON

    if not force or not os.path.lexists(out):
        return
    if out.is_symlink() or not out.is_dir():
        raise OutputError(f"{out}: is not a directory; --force replaces only a ficrate model directory")
    if any(out.iterdir()) and not (out / CARD_JSON).is_file():
        raise OutputError(
            f"{out}: not a ficrate model (no {CARD_JSON}) and not empty; --force replaces only a model, "
            "choose another --out"
        )


def score_inputs(
    paths: list[str], options: ReadOptions, model: Any, scoring: Scoring, *, resume: Resume | None = None
) -> Iterator[Any]:
    """``(story, prediction)`` pairs and read errors in input order, minus stories ``resume`` has.

    On Dask; else on local worker processes that also read (several jobs, no resume, no
    stdin); else here, with predictions on ``jobs`` processes. A few plain files (one
    worker's task, e.g. ``ficrate score story.txt``) are scored here: a pool would only add
    its start-up.
    """
    from classifier.modeling.predict import default_jobs, score_dask, score_paths_parallel, score_stream

    if scoring.backend == "dask":
        stream = score_dask(
            paths, model, options, scheduler=scoring.scheduler, explain=scoring.explain, jobs=scoring.jobs
        )
        return resume.skip_done(stream) if resume else stream
    if streams_stdin(paths, options):
        # A worker in a pipe: one story at a time, here, so each answer goes out as soon as its
        # line is scored (a batch or a pool would wait for lines the producer has not sent yet).
        items = iter_stories(paths, options)
        return score_stream(resume.skip_done(items) if resume else items, model, explain=scoring.explain, batch_size=1)
    jobs = scoring.jobs or default_jobs()
    if jobs > 1 and _few_plain_files(paths):
        jobs = 1
    if jobs > 1 and resume is None and "-" not in paths:
        # Workers read, parse and score whole partitions; the parent only writes.
        return score_paths_parallel(
            paths, model, options, explain=scoring.explain, jobs=jobs, partition_size=PARTITION_FILES
        )
    items = iter_stories(paths, options)
    return score_stream(resume.skip_done(items) if resume else items, model, explain=scoring.explain, jobs=jobs)


def _few_plain_files(paths: list[str]) -> bool:
    """True for at most :data:`PARTITION_FILES` existing non-table files (one task's worth)."""
    return len(paths) <= PARTITION_FILES and all(
        p != "-" and os.path.isfile(p) and not table_extension_kind(p) for p in paths
    )


def headers(
    paths: list[str],
    options: ReadOptions,
    *,
    fmt: str,
    output: Path | None = None,
    include_body: bool = False,
    on_error: ErrorSink,
) -> RunResult:
    """Write what each story declares."""
    check_outputs(paths, output)
    batch = Batch(on_error)
    with batch.writing(fmt, output, HEADERS_LAYOUT) as sink:
        for story in batch.good(iter_stories(paths, options)):
            sink.write(story.to_record(include_body=include_body))
    return batch.result


def score(
    paths: list[str],
    options: ReadOptions,
    model: Any,
    scoring: Scoring,
    *,
    fmt: str,
    output: Path | None = None,
    resume: bool = False,
    on_error: ErrorSink,
    progress: Progress | None = None,
    model_card: dict[str, Any] | None = None,
) -> RunResult:
    """Write each story's predicted rating and warnings (``model_card``: for the file's metadata)."""
    from classifier.modeling.predict import score_record

    check_outputs(paths, output)
    batch = Batch(on_error, progress)
    metadata = run_metadata("score", fmt, model_card, _record_options(options, scoring))
    done = Resume(output, fmt, "score", metadata) if resume else None
    scored = score_inputs(paths, options, model, scoring, resume=done)
    with batch.writing(fmt, output, SCORE_LAYOUT, resume=done, metadata=metadata) as sink:
        for story, prediction in batch.good(scored):
            sink.write(score_record(story, prediction))
    return batch.result


def audit(
    paths: list[str],
    options: ReadOptions,
    model: Any,
    policy: Any,
    scoring: Scoring,
    *,
    fmt: str,
    output: Path | None = None,
    resume: bool = False,
    report: Path | None = None,
    report_limit: int = 1000,
    on_error: ErrorSink,
    progress: Progress | None = None,
    model_card: dict[str, Any] | None = None,
) -> RunResult:
    """Write each story's audit (declared against predicted); also an HTML report to ``report``
    (``model_card``: for the output file's metadata)."""
    from classifier.audit import audit_story, fails
    from classifier.modeling.predict import score_record
    from classifier.report import ReportBuilder

    builder = ReportBuilder(limit=report_limit, scale=policy.scale, taxonomy=policy.taxonomy) if report else None
    check_outputs(paths, output, report)
    batch = Batch(on_error, progress)
    metadata = run_metadata("audit", fmt, model_card, _record_options(options, scoring, policy))
    done = Resume(output, fmt, "audit", metadata) if resume else None
    scored = score_inputs(paths, options, model, scoring, resume=done)
    layout = audit_layout(policy.get_taxonomy(), policy.scale)
    with batch.writing(fmt, output, layout, resume=done, metadata=metadata) as sink:
        for story, prediction in batch.good(scored):
            rec = score_record(story, prediction)
            rec["audit"] = audit_story(story, prediction, model.thresholds, policy)
            batch.result.flagged += fails(rec["audit"], policy.fail_on)
            sink.write(rec)
            if builder is not None:
                builder.add(rec)
    if builder is not None and report is not None:
        with atomic_writer(report) as fh:
            fh.write(builder.render())
    return batch.result


def _record_options(options: ReadOptions, scoring: Scoring, policy: Any = None) -> dict[str, Any]:
    """The options whose values change records, by flag (what ``--resume`` must find the same)."""
    table = options.table
    found: dict[str, Any] = {
        "--explain": scoring.explain,
        "--input-format": options.input_format,
        "--text-col": table.text_col,
        "--id-col": table.id_col,
        "--title-col": table.title_col,
        "--rating-col": table.rating_col,
        "--warnings-col": table.warnings_col,
    }
    if policy is not None:
        # The effective confidences: the model's per-level defaults, or one --min-confidence for all.
        found |= {
            "--min-confidence": policy.min_confidence,
            "confidence by level": policy.confidence_by_level,
            "confidence by scale": policy.confidence_by_scale,
            "warning confidence": policy.warning_confidence,
            "warning confidence by label": policy.warning_confidence_by_label,
            "--fail-on": ",".join(policy.fail_on),
            "--scale": policy.scale,
            "--ffn-m-covers-explicit": policy.ffn_m_covers_explicit,
        }
    return found


def audit_labels(
    paths: list[str],
    options: ReadOptions,
    *,
    fmt: str,
    output: Path | None = None,
    folds: int = 5,
    on_error: ErrorSink,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Write the labels of a training collection ranked by how likely each is wrong (``flagged``:
    the likely issues). Raises :class:`~classifier.label_audit.TooFewLabels` on too little data."""
    from classifier.label_audit import audit_labels, issues_table
    from classifier.output import write_frame

    check_outputs(paths, output)
    ranked, failed = audit_labels(
        paths, options.get_taxonomy(), options, folds=folds, progress=progress, on_error=on_error
    )
    write_frame(ranked, fmt, output, table=issues_table)
    return RunResult(
        written=len(ranked), failed=failed, flagged=int(ranked["likely_issue"].sum()) if len(ranked) else 0
    )
