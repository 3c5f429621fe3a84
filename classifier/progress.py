"""Progress of long commands on a terminal (rich): counts, rate, ETA; nothing when stderr is not one.

Two kinds: :class:`Progress` counts stories (``score``/``audit`` runs, tables, worker runs);
:class:`Steps` shows the stage messages of ``train``, ``evaluate`` and ``audit --cross-validate``,
with a bar, rate and ETA while a message carries a count (``features: 500/2,405 texts``). The
display is transient: it is gone when the command ends, and lines written to stderr meanwhile
(read errors) appear above it.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

#: Seconds between redraws of a story count, at least.
_REDRAW_EVERY = 0.25


def stderr_console(console: Any = None) -> Any:
    """``console``, else a rich Console on stderr when stderr is a terminal, else None."""
    if console is not None:
        return console
    if not sys.stderr.isatty():
        return None
    from rich.console import Console

    console = Console(stderr=True)
    return console if console.is_terminal and not console.is_dumb_terminal else None


def _display(console: Any, unit: str, *, auto_refresh: bool) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        ProgressColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as RichProgress
    from rich.text import Text

    class Rate(ProgressColumn):
        """Items per second, once there is a rate."""

        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.1f}{unit}/s" if speed else "", style="progress.data.speed")

    class Count(ProgressColumn):
        """``M/N`` when the total is known, else ``M``."""

        def render(self, task: Any) -> Text:
            if task.total is not None:
                return MofNCompleteColumn().render(task)
            return Text(f"{int(task.completed):,}" if task.completed else "", style="progress.download")

    class Eta(ProgressColumn):
        """Time left, when the total is known."""

        def render(self, task: Any) -> Text:
            if task.total is None:
                return Text("")
            return Text("ETA ") + TimeRemainingColumn().render(task)

    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), Count(), Rate(), Eta()]
    # stdout is never redirected: records written meanwhile must reach stdout (a file, a pipe)
    # as they are, not the console on stderr. Lines on stderr (read errors) go above the display.
    return RichProgress(
        *columns,
        TimeElapsedColumn(),
        console=console,
        transient=True,
        auto_refresh=auto_refresh,
        redirect_stdout=False,
        redirect_stderr=True,
    )


def shares_terminal(output: Path | None, fmt: str = "jsonl") -> bool:
    """True when records stream to the terminal the display would be drawn on (stdout, not a file):
    its redraws would wipe lines of them, so there is no display then. A table is written at the end."""
    return output is None and fmt != "table" and sys.stdout.isatty()


class Progress:
    """Stories done, with rate and (when ``total`` is known) ETA, on a terminal; silent otherwise.

    Parameters
    ----------
    enabled : bool
        Show anything at all (see :func:`progress_for`).
    label : str
        What is being done (``scoring``).
    total : int, optional
        Stories expected; without it, the count and rate are shown, no bar or ETA.
    console : rich.console.Console, optional
        Where to draw (default: stderr, when it is a terminal).
    """

    def __init__(self, enabled: bool, label: str, total: int | None = None, *, console: Any = None) -> None:
        self.label = label
        self.total = total
        self.count = 0
        self._last = 0.0
        self._bar: Any = None
        self._closed = False
        self._console = stderr_console(console) if enabled else None

    @property
    def enabled(self) -> bool:
        """True when something is drawn once stories are counted."""
        return self._console is not None and not self._closed

    def tick(self, n: int = 1) -> None:
        """Count ``n`` more stories; redraw a few times a second at most."""
        self.count += n
        if not self.enabled:
            return
        if self._bar is None:
            # Started by the first story, so a run that fails before it leaves the terminal as
            # it was; refreshed by the ticks, no thread: worker processes are forked from this one.
            self._bar = _display(self._console, " stories", auto_refresh=False)
            self._task = self._bar.add_task(self.label, total=self.total)
            self._bar.start()
        self._bar.advance(self._task, n)
        now = time.monotonic()
        if now - self._last >= _REDRAW_EVERY:
            self._last = now
            self._bar.refresh()

    def close(self) -> None:
        """Take the display down (for good)."""
        self._closed = True
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


#: A count in a stage message: ``500/2,405`` or ``fold 2/5``.
_COUNT = re.compile(r"(\d[\d,]*)\s*/\s*(\d[\d,]*)")


class Steps:
    """The stage messages of a long command as one live line on a terminal; silent otherwise.

    Called with each message (it is the ``progress`` callback of training, evaluation and
    label audits); a message with a count ``M/N`` shows a bar with rate and ETA. Use it as a
    context manager, so the display is taken down at the end.
    """

    def __init__(self, command: str, *, quiet: bool = False, console: Any = None) -> None:
        self.command = command
        self._bar: Any = None
        self._stage: str | None = None
        console = None if quiet else stderr_console(console)
        if console is not None:
            # Its own refresh thread: stages (a fit, a bootstrap) run long without a message.
            self._bar = _display(console, "", auto_refresh=True)
            self._task = self._bar.add_task(command, total=None)
            self._bar.start()

    def __call__(self, message: str) -> None:
        """Show ``message`` (and its count, if it has one)."""
        if self._bar is None:
            return
        found = _COUNT.search(message)
        stage = _COUNT.sub("#", message)
        description = f"{self.command}: {message}"
        if found is None:
            self._bar.reset(self._task, total=None, description=description)
        else:
            done, total = (int(g.replace(",", "")) for g in found.groups())
            if stage != self._stage:
                self._bar.reset(self._task, total=total, completed=0, description=description)
            self._bar.update(self._task, total=total, completed=done, description=description)
        self._stage = stage
        self._bar.refresh()

    def close(self) -> None:
        """Take the display down."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> Steps:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _wanted(paths: list[str]) -> bool:
    if not sys.stderr.isatty():
        return False
    from classifier.readers import table_extension_kind

    return len(paths) > 1 or any(p != "-" and (Path(p).is_dir() or table_extension_kind(p)) for p in paths)


def progress_for(
    paths: list[str], label: str, *, output: Path | None = None, fmt: str = "table", console: Any = None
) -> Progress:
    """Progress of a run over ``paths`` writing ``fmt`` to ``output`` (None: stdout) on a terminal:
    with a total (so an ETA) for story files and uncompressed JSONL tables, whose stories are
    counted up front; a count and rate otherwise. None while records stream to the terminal."""
    if console is None and (not _wanted(paths) or shares_terminal(output, fmt)):
        return Progress(False, label)
    from classifier.readers import ReadError, expand_paths, table_extension_kind

    total: int | None = 0
    for item in expand_paths(paths):
        if isinstance(item, ReadError) or total is None:
            continue
        kind = table_extension_kind(item) if item != "-" else "stdin"
        if kind is None:
            total += 1
        elif kind == "jsonl" and not item.endswith(".gz"):
            total += _lines(item)
        else:
            total = None  # rows of other tables are not counted ahead
    return Progress(True, label, total, console=console)


def _lines(path: str) -> int:
    """Lines of a file (a JSONL table's rows, for an ETA), counted in blocks without decoding."""
    count = 0
    last = b"\n"
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                count += block.count(b"\n")
                last = block[-1:]
    except OSError:
        return 0
    return count + (last != b"\n")
