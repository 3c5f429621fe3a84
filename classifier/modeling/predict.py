"""Scoring streams of stories, in batches, optionally on several processes.

Results come back in input order, one batch at a time, so output can be written as it
is produced and memory stays flat in the number of stories.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from classifier.readers import ReadError
from classifier.story import Story

_WORKER_MODEL: Any = None


def _init_worker(model: Any) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = model


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
    pool = _fork_pool(model, jobs)
    try:
        pending: deque[tuple[list[Story | ReadError], Future[list[dict[str, Any]]] | None]] = deque()
        for batch in _batches(items, batch_size):
            stories = [s for s in batch if isinstance(s, Story)]
            fut = pool.submit(_predict_batch, [s.body for s in stories], explain) if stories else None
            pending.append((batch, fut))
            while len(pending) > 2 * jobs:
                yield from _drain(pending.popleft())
        while pending:
            yield from _drain(pending.popleft())
    finally:
        # On Ctrl-C or an early stop, don't wait for queued batches nobody will read.
        pool.shutdown(wait=True, cancel_futures=True)


def _drain(entry: tuple[list[Story | ReadError], Future[list[dict[str, Any]]] | None]) -> Iterator[Any]:
    batch, fut = entry
    yield from _merge(batch, iter(fut.result() if fut is not None else []))


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
    jobs: int = 0,
) -> Iterator[tuple[Story, dict[str, Any]] | ReadError]:
    """Score inputs on a dask.distributed cluster; results in the same order as a local run.

    Paths are expanded here; each partition of ``partition_size`` files (a table file is its
    own partition) is read and scored on a worker, so workers must see the same paths (a
    shared filesystem). ``scheduler`` is an address (``tcp://host:8786``) or ``local`` for a
    LocalCluster on this machine. At most ``2 x workers`` partitions are in flight.
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
        tasks = (
            part
            if isinstance(part, ReadError)
            else client.submit(_score_partition, part, remote_model, options, explain, pure=False)
            for part in partitions(paths, partition_size)
        )
        yield from _in_order(tasks, 2 * workers)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


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


def _score_partition_local(paths: list[str], options: Any, explain: int) -> list[Any]:
    return _score_partition(paths, _WORKER_MODEL, options, explain)


def score_paths_parallel(
    paths: list[str], model: Any, options: Any, *, explain: int = 3, jobs: int = 2, partition_size: int = 8
) -> Iterator[tuple[Story, dict[str, Any]] | ReadError]:
    """Score files on ``jobs`` local processes that also read and parse them; input order kept.

    Reading in the workers keeps the parent free to write, so more cores scale better than
    shipping parsed bodies out of one reader.
    """
    pool = _fork_pool(model, jobs)
    try:
        tasks = (
            part if isinstance(part, ReadError) else pool.submit(_score_partition_local, part, options, explain)
            for part in partitions(paths, partition_size)
        )
        yield from _in_order(tasks, 2 * jobs)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
