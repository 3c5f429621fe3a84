"""Scoring streams of stories, in batches, optionally on several processes.

Results come back in input order, one batch at a time, so output can be written as it
is produced and memory stays flat in the number of stories.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from typing import Any

from classifier.readers import ReadError
from classifier.story import Story

_WORKER_MODEL: Any = None


def _init_worker(model: Any) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = model
    # Ctrl-C reaches the whole process group: the parent decides what is kept and stops the
    # workers; a worker that took it itself would only print a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A parent killed outright (SIGKILL, OOM) never stops its pool: its workers would wait on the
    # queue forever. Each one watches for being orphaned and exits then.
    parent = os.getppid()
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


def _exit_when_orphaned(parent: int, interval: float = 0.5) -> None:
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(0)


def _predict(model: Any, texts: list[str], explain: int) -> list[dict[str, Any]]:
    return [p.to_dict() for p in model.predict(texts, explain=explain)] if texts else []


def _predict_batch(texts: list[str], explain: int) -> list[dict[str, Any]]:
    return _predict(_WORKER_MODEL, texts, explain)


def _fork_pool(model: Any, jobs: int) -> ProcessPoolExecutor:
    """Worker processes that hold the model (inherited by fork where the platform has it)."""
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker, initargs=(model,))


def _merge(batch: list[Story | ReadError], preds: Iterator[dict[str, Any]]) -> Iterator[Any]:
    """Pair each story of a batch with its prediction; read errors pass through in place."""
    for item in batch:
        yield item if isinstance(item, ReadError) else (item, next(preds))


def default_jobs() -> int:
    """All cores available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def score_stream(
    items: Iterable[Story | ReadError],
    model: Any,
    *,
    explain: int = 3,
    jobs: int = 1,
    batch_size: int = 16,
) -> Iterator[tuple[Story, dict[str, Any]] | ReadError]:
    """Yield ``(story, prediction dict)`` in input order; read errors pass through in place."""
    if jobs <= 1:
        for batch in _batches(items, batch_size):
            texts = [s.body for s in batch if isinstance(s, Story)]
            yield from _merge(batch, iter(_predict(model, texts, explain)))
        return
    runner = LocalRunner(model, jobs, explain=explain)
    yield from runner.run(_story_tasks(items, batch_size))


def _batches(items: Iterable[Story | ReadError], size: int) -> Iterator[list[Story | ReadError]]:
    batch: list[Story | ReadError] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def score_record(story: Story, prediction: dict[str, Any]) -> dict[str, Any]:
    """The ``score`` record: the ``headers`` record plus ``prediction``."""
    rec = story.to_record()
    rec["prediction"] = prediction
    return rec


# -- Dask backend ---------------------------------------------------------------------------------


def _score_partition(paths: list[str], model: Any, options: Any, explain: int) -> list[Any]:
    """Run on a Dask worker: read and score one partition of inputs; bodies are not shipped back."""
    from classifier.readers import iter_stories

    out: list[Any] = []
    for item in score_stream(iter_stories(paths, options), model, explain=explain, jobs=1):
        if isinstance(item, ReadError):
            out.append(("error", item.name, item.reason))
        else:
            story, pred = item
            out.append(("ok", story.without_body(), pred))
    return out


def score_dask(
    paths: list[str],
    model: Any,
    options: Any,
    *,
    scheduler: str,
    explain: int = 3,
    partition_size: int = 32,
    rows_per_task: int = 32,
    jobs: int = 0,
) -> Iterator[tuple[Story, dict[str, Any]] | ReadError]:
    """Score inputs on a dask.distributed cluster; results in the same order as a local run.

    Paths are expanded here; each partition of ``partition_size`` story files is read and
    scored on a worker, so workers must see the same paths (a shared filesystem). A table is
    read here, row chunk by row chunk, and its rows go out ``rows_per_task`` at a time, as on
    local workers, so one big table uses the whole cluster. ``scheduler`` is an address
    (``tcp://host:8786``) or ``local`` for a LocalCluster on this machine. At most
    ``2 x workers`` tasks are in flight.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise RuntimeError("the dask backend needs dask.distributed: pip install 'ficrate[dask]'") from None
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=jobs or default_jobs(), threads_per_worker=1, processes=True)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        remote_model = client.scatter(model, broadcast=True)
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        tasks = _dask_tasks(client, remote_model, paths, options, explain, partition_size, rows_per_task)
        yield from _in_order(tasks, 2 * workers)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _dask_tasks(
    client: Any,
    model: Any,
    paths: list[str],
    options: Any,
    explain: int,
    partition_size: int,
    rows_per_task: int,
) -> Iterator[Any]:
    """Futures of the local runner's tasks (:func:`_path_tasks`) submitted to ``client``, read errors in place."""
    for task in _path_tasks(paths, options, partition_size, rows_per_task):
        if task.error is not None:
            yield task.error
        elif task.stories is not None:
            yield client.submit(_score_stories, task.stories, model, explain, pure=False)
        else:
            yield client.submit(_score_partition, task.paths, model, options, explain, pure=False)


def _score_stories(stories: list[Story], model: Any, explain: int) -> list[Any]:
    """Score stories read elsewhere (rows of a table); bodies are not shipped back."""
    preds = _predict(model, [s.body for s in stories], explain)
    return [("ok", story.without_body(), pred) for story, pred in zip(stories, preds, strict=True)]


def _in_order(tasks: Iterable[Any], limit: int) -> Iterator[Any]:
    """Results of partition tasks (futures, or read errors in place) in submission order,
    with at most ``limit`` futures in flight."""
    pending: deque[Any] = deque()
    in_flight = 0
    for task in tasks:
        pending.append(task)
        in_flight += not isinstance(task, ReadError)
        while in_flight > limit:
            entry = pending.popleft()
            in_flight -= not isinstance(entry, ReadError)
            yield from _drain_partition(entry)
    while pending:
        yield from _drain_partition(pending.popleft())


def _drain_partition(entry: Any) -> Iterator[Any]:
    if isinstance(entry, ReadError):
        yield entry
        return
    for kind, a, b in entry.result():
        yield ReadError(a, b) if kind == "error" else (a, b)


def partitions(paths: list[str], size: int) -> Iterator[list[str] | ReadError]:
    """Expanded inputs in groups of ``size`` files; each table file and each read error alone."""
    from classifier.readers import expand_paths, table_extension_kind

    current: list[str] = []
    for item in expand_paths(paths):
        if isinstance(item, ReadError) or table_extension_kind(item):
            if current:
                yield current
                current = []
            yield item if isinstance(item, ReadError) else [item]
            continue
        if item == "-":
            raise RuntimeError("stdin cannot be read by worker processes; give file paths")
        current.append(item)
        if len(current) >= size:
            yield current
            current = []
    if current:
        yield current


# -- Local worker processes ------------------------------------------------------------------------


@dataclass
class _Task:
    """One unit of work for a local worker: files it reads and scores (``paths``), or stories read
    here (``stories``, rows of a table). ``error`` instead is a read error kept in its place."""

    paths: list[str] | None = None
    stories: list[Story] | None = None
    error: ReadError | None = None
    future: Future[list[Any]] | None = None
    #: In flight when a worker died: run again alone, so that a second death names the culprit.
    suspect: bool = False

    def lost(self) -> list[ReadError]:
        """This task's inputs as failed ones, one error each: its worker died twice."""
        why = "a worker process died while scoring it, and again on retry (killed, or out of memory?)"
        if self.stories is not None:
            return [ReadError(s.path, why) for s in self.stories]
        return [ReadError(p, why) for p in self.paths or []]


def _run_task(paths: list[str] | None, stories: list[Story] | None, options: Any, explain: int) -> list[Any]:
    if paths is not None:
        return _score_partition(paths, _WORKER_MODEL, options, explain)
    return _score_stories(stories or [], _WORKER_MODEL, explain)


def _story_tasks(items: Iterable[Story | ReadError], size: int) -> Iterator[_Task]:
    """Stories in tasks of ``size``; a read error ends the task before it and stands alone, in place."""
    batch: list[Story] = []
    for item in items:
        if isinstance(item, ReadError):
            if batch:
                yield _Task(stories=batch)
                batch = []
            yield _Task(error=item)
            continue
        batch.append(item)
        if len(batch) >= size:
            yield _Task(stories=batch)
            batch = []
    if batch:
        yield _Task(stories=batch)


class LocalRunner:
    """Tasks on local worker processes (forked with the model), results in submission order.

    A worker that dies (``kill -9``, the OOM killer) breaks the whole pool: every task in flight
    then is run again on a new pool, alone, and one whose worker dies a second time is reported
    as failed inputs; everything else is kept. Ctrl-C in the parent stops submitting, yields
    the results that are finished (in order, up to the first unfinished one) and then raises
    ``KeyboardInterrupt``; the workers ignore SIGINT and are stopped.
    """

    def __init__(self, model: Any, jobs: int, options: Any = None, explain: int = 3) -> None:
        self.model = model
        self.jobs = jobs
        self.options = options
        self.explain = explain
        self._pool: ProcessPoolExecutor | None = None
        self._interrupted = False

    def _submit(self, task: _Task) -> None:
        if self._pool is None:
            self._pool = _fork_pool(self.model, self.jobs)
        try:
            task.future = self._pool.submit(_run_task, task.paths, task.stories, self.options, self.explain)
        except BrokenProcessPool as exc:
            # A worker died since the last look: this task counts as one of those in flight then.
            task.future = Future()
            task.future.set_exception(exc)

    def _restart(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None

    def _on_sigint(self, signum: int, frame: Any) -> None:
        if self._interrupted:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        self._interrupted = True

    def _wait(self, task: _Task) -> None:
        """Wait for ``task`` (Ctrl-C is noticed within a fraction of a second)."""
        assert task.future is not None
        while not self._interrupted and not task.future.done():
            wait([task.future], timeout=0.2)

    def _finished(self, pending: deque[_Task]) -> Iterator[Any]:
        """After Ctrl-C: the results already finished, in order, up to the first unfinished one."""
        while pending:
            task = pending[0]
            fut = task.future
            if task.suspect or (fut is not None and (not fut.done() or fut.exception() is not None)):
                return
            pending.popleft()
            yield from self._results(task)

    def _results(self, task: _Task) -> Iterator[Any]:
        if task.error is not None:
            yield task.error
            return
        if task.future is None:  # lost twice
            yield from task.lost()
            return
        for kind, a, b in task.future.result():
            yield ReadError(a, b) if kind == "error" else (a, b)

    def run(self, tasks: Iterable[_Task]) -> Iterator[Any]:
        """Results of ``tasks`` in order, with at most ``2 x jobs`` tasks in flight (``4 x jobs`` held)."""
        handler = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, self._on_sigint) if handler else None
        pending: deque[_Task] = deque()
        source = iter(tasks)
        more = True
        try:
            while True:
                if self._interrupted:
                    yield from self._finished(pending)
                    raise KeyboardInterrupt
                suspect = next((t for t in pending if t.suspect), None)
                if suspect is not None:
                    self._retry_alone(suspect)
                    continue
                in_flight = sum(t.future is not None and not t.future.done() for t in pending)
                # Bounded twice: work in flight, and finished results held behind a slow first task.
                while more and in_flight < 2 * self.jobs and len(pending) < 4 * self.jobs:
                    task = next(source, None)
                    if task is None:
                        more = False
                        break
                    if task.error is None:
                        self._submit(task)
                        in_flight += 1
                    pending.append(task)
                if not pending:
                    return
                head = pending[0]
                if head.future is not None:
                    self._wait(head)
                    if self._interrupted:
                        continue
                    if isinstance(head.future.exception(), BrokenProcessPool):
                        self._broken(pending)
                        continue
                pending.popleft()
                yield from self._results(head)
        finally:
            if handler:
                signal.signal(signal.SIGINT, previous)
            self._stop()

    def _broken(self, pending: deque[_Task]) -> None:
        """A worker died: the tasks that did not finish become suspects, on a new pool."""
        self._restart()
        for task in pending:
            fut = task.future
            if fut is not None and (not fut.done() or fut.exception() is not None):
                task.future = None
                task.suspect = True

    def _retry_alone(self, task: _Task) -> None:
        """Run a suspect with nothing else in flight: if its worker dies again, it is the cause."""
        self._submit(task)
        self._wait(task)
        if self._interrupted:
            return
        task.suspect = False
        assert task.future is not None
        if isinstance(task.future.exception(), BrokenProcessPool):
            task.future = None  # lost: its inputs are reported as failed
            self._restart()

    def _stop(self) -> None:
        """Shut the pool down; on Ctrl-C or an early stop, without waiting for tasks nobody reads."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if self._interrupted:
            # Workers ignore SIGINT (see _init_worker), so they are stopped here instead of
            # finishing a task whose result would be thrown away.
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


def score_paths_parallel(
    paths: list[str],
    model: Any,
    options: Any,
    *,
    explain: int = 3,
    jobs: int = 2,
    partition_size: int = 8,
    rows_per_task: int = 16,
) -> Iterator[tuple[Story, dict[str, Any]] | ReadError]:
    """Score inputs on ``jobs`` local processes; results in input order.

    Story files go out in partitions of ``partition_size`` paths that the workers read and
    parse themselves, which keeps the parent free to write. A table is read here, row chunk
    by row chunk, and its rows go out ``rows_per_task`` at a time, so one big table uses every
    core and its first records come out while the rest is still being scored.
    """
    runner = LocalRunner(model, jobs, options, explain)
    yield from runner.run(_path_tasks(paths, options, partition_size, rows_per_task))


def _path_tasks(paths: list[str], options: Any, partition_size: int, rows_per_task: int) -> Iterator[_Task]:
    from classifier.readers import read_path

    # Small chunks: the first rows of a table reach a worker before the whole table is parsed.
    table_options = replace(
        options, table=replace(options.table, chunksize=min(options.table.chunksize, 4 * rows_per_task))
    )
    for part in partitions(paths, partition_size):
        if isinstance(part, ReadError):
            yield _Task(error=part)
        elif len(part) == 1 and _is_table(part[0]):
            yield from _story_tasks(read_path(part[0], table_options), rows_per_task)
        else:
            yield _Task(paths=part)


def _is_table(path: str) -> bool:
    from classifier.readers import table_extension_kind

    return table_extension_kind(path) is not None
