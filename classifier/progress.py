"""A progress line on stderr: counts, rate and ETA while a large batch runs on a terminal."""

from __future__ import annotations

import sys
import time
from pathlib import Path


class Progress:
    """Counts on stderr when it is a terminal and the batch is large; silent otherwise."""

    def __init__(self, enabled: bool, label: str, total: int | None = None) -> None:
        self.enabled = enabled
        self.label = label
        self.total = total
        self.count = 0
        self.start = time.monotonic()
        self._last = 0.0

    def tick(self, n: int = 1) -> None:
        """Advance; redraw at most a few times a second."""
        self.count += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.25:
            return
        self._last = now
        rate = self.count / max(now - self.start, 1e-9)
        line = f"\r{self.label}: {self.count}"
        if self.total:
            left = max(self.total - self.count, 0) / max(rate, 1e-9)
            line += f"/{self.total} stories, {rate:.1f}/s, ETA {int(left // 60):d}:{int(left % 60):02d}"
        else:
            line += f" stories, {rate:.1f}/s"
        sys.stderr.write(line + "   ")
        sys.stderr.flush()

    def close(self) -> None:
        """Clear the line."""
        if self.enabled and self.count:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def _wanted(paths: list[str]) -> bool:
    if not sys.stderr.isatty():
        return False
    return len(paths) > 1 or any(Path(p).is_dir() for p in paths if p != "-")


def progress_for(paths: list[str], label: str) -> Progress:
    """A progress line on a terminal; with an ETA when the number of stories is known up front."""
    if not _wanted(paths):
        return Progress(False, label)
    from classifier.readers import ReadError, expand_paths, table_extension_kind

    total = 0
    for item in expand_paths(paths):
        if isinstance(item, ReadError):
            continue
        if item == "-" or table_extension_kind(item):
            return Progress(True, label)  # rows in tables are not counted ahead
        total += 1
    return Progress(True, label, total)
