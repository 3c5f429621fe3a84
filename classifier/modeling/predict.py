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


def _predict_batch(texts: list[str], explain: int) -> list[dict[str, Any]]:
    return [p.to_dict() for p in _WORKER_MODEL.predict(texts, explain=explain)]


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
            stories = [s for s in batch if isinstance(s, Story)]
            preds = iter(
                [p.to_dict() for p in model.predict([s.body for s in stories], explain=explain)] if stories else []
            )
            for item in batch:
                yield item if isinstance(item, ReadError) else (item, next(preds))
        return
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker, initargs=(model,)) as pool:
        pending: deque[tuple[list[Story | ReadError], Future[list[dict[str, Any]]] | None]] = deque()
        for batch in _batches(items, batch_size):
            stories = [s for s in batch if isinstance(s, Story)]
            fut = pool.submit(_predict_batch, [s.body for s in stories], explain) if stories else None
            pending.append((batch, fut))
            while len(pending) > 2 * jobs:
                yield from _drain(pending.popleft())
        while pending:
            yield from _drain(pending.popleft())


def _drain(entry: tuple[list[Story | ReadError], Future[list[dict[str, Any]]] | None]) -> Iterator[Any]:
    batch, fut = entry
    preds = iter(fut.result() if fut is not None else [])
    for item in batch:
        yield item if isinstance(item, ReadError) else (item, next(preds))


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
