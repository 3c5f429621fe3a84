"""Input paths to the files read: directories walked, globs expanded, only regular files opened.

Neither a directory walk nor a glob follows a symbolic link to a directory (no loops, no
file found twice); a FIFO, socket or device is refused as "not a regular file" rather than
opened (opening a FIFO blocks until someone writes to it).
"""

from __future__ import annotations

import fnmatch
import glob
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from classifier.readers.errors import ReadError

#: Extensions picked up when walking a directory. Tables (CSV/JSONL/Parquet) in a story
#: folder are usually metadata, so they are read only when named (or globbed) explicitly.
STORY_EXTENSIONS = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".xhtml", ".epub", ""}
_NO_STORY_FILES = "no story files in it (.txt, .md, .html, .epub; tables are read only when named)"


def expand_paths(paths: Iterable[str]) -> Iterator[str | ReadError]:
    """Expand files, directories (recursive, sorted) and globs; ``-`` is stdin.

    A directory or glob that yields no file to read is a :class:`ReadError` in its place, as a
    missing file is.
    """
    for raw in paths:
        if raw == "-":
            yield "-"
            continue
        if os.path.lexists(raw) or not glob.has_magic(raw):
            if not os.path.lexists(raw):
                yield ReadError(raw, "no such file or directory")
            elif os.path.isdir(raw):
                yield from _or_none_found(_walk(Path(raw)), raw, _NO_STORY_FILES)
            else:
                yield raw
            continue
        matches = glob_no_symlinks(raw)
        if not matches:
            yield ReadError(raw, "glob matched nothing")
            continue
        yield from _or_none_found(_glob_files(matches), raw, "glob matched only directories without story files")


def _or_none_found(items: Iterator[str | ReadError], raw: str, reason: str) -> Iterator[str | ReadError]:
    """``items``, or a :class:`ReadError` for ``raw`` when they are empty: an input that names
    nothing to read is a failed input (exit status 2), never silently skipped."""
    empty = True
    for item in items:
        empty = False
        yield item
    if empty:
        yield ReadError(raw, reason)


def _glob_files(matches: list[str]) -> Iterator[str | ReadError]:
    """The files of a glob's matches, directories walked, each file once."""
    seen: set[str] = set()
    for m in matches:
        for item in _walk(Path(m)) if os.path.isdir(m) else iter([m]):
            key = os.path.normpath(item) if isinstance(item, str) else None
            if key is not None and key in seen:
                continue  # ``dir/**`` matches a folder and the files inside it
            if key is not None:
                seen.add(key)
            yield item


def _walk(root: Path) -> Iterator[str | ReadError]:
    seen: set[tuple[int, int]] = set()

    def onerror(exc: OSError) -> None:
        errors.append(ReadError(str(exc.filename or root), exc.strerror or str(exc)))

    errors: list[ReadError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror, followlinks=False):
        try:
            st = os.stat(dirpath)
            key = (st.st_dev, st.st_ino)
            if key in seen:
                dirnames[:] = []
                continue
            seen.add(key)
        except OSError:
            pass
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fn in sorted(filenames):
            if fn.startswith(".") or Path(fn).suffix.lower() not in STORY_EXTENSIONS:
                continue
            yield os.path.join(dirpath, fn)
        while errors:
            yield errors.pop(0)
    while errors:
        yield errors.pop(0)


def glob_no_symlinks(pattern: str) -> list[str]:
    """``glob.glob(pattern, recursive=True)``, sorted, except that no wildcard (``*``, ``**``, ``?``,
    ``[...]``) ever matches a symbolic link to a directory: a glob cannot loop or find a file twice.

    As in :mod:`glob`, names starting with ``.`` are matched only by a part starting with ``.``;
    parts without wildcards are taken as written (a link named in full is followed).
    """
    absolute = pattern.startswith(os.sep)
    dirs_only = pattern.endswith(os.sep)
    parts = [p for p in pattern.split(os.sep) if p]
    found: list[str] = []
    _expand(os.sep if absolute else "", parts, found, dirs_only)
    return sorted(found)


def _join(base: str, name: str) -> str:
    return os.path.join(base, name) if base else name


def _entries(base: str, part: str) -> Iterator[os.DirEntry[str]]:
    """Entries of ``base`` that ``part`` matches, never a link to a directory."""
    try:
        with os.scandir(base or os.curdir) as it:
            entries = list(it)
    except OSError:
        return
    hidden_ok = part.startswith(".")
    for e in entries:
        if (hidden_ok or not e.name.startswith(".")) and fnmatch.fnmatch(e.name, part):
            if e.is_symlink() and _is_dir(e.path):
                continue
            yield e


def _is_dir(path: str) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def _subdirs(base: str) -> Iterator[str]:
    """``base`` and every directory below it (not hidden, never through a link)."""
    stack = [base]
    while stack:
        d = stack.pop()
        yield d
        try:
            with os.scandir(d or os.curdir) as it:
                subs = [e.name for e in it if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        stack.extend(_join(d, n) for n in sorted(subs, reverse=True))


def _expand(base: str, parts: list[str], found: list[str], dirs_only: bool) -> None:
    if not parts:
        if base and (not dirs_only or _is_dir(base)):
            found.append(base)
        return
    part, rest = parts[0], parts[1:]
    if not glob.has_magic(part):
        path = _join(base, part)
        if os.path.lexists(path) if not rest else os.path.isdir(path):
            _expand(path, rest, found, dirs_only)
        return
    if part == "**":
        for d in _subdirs(base):
            if rest:
                _expand(d, rest, found, dirs_only)
            else:
                if d:
                    found.append(os.path.join(d, "") if d == base else d)
                for e in _entries(d, "*"):
                    if not e.is_dir(follow_symlinks=False):
                        found.append(e.path if d else e.name)
        return
    for e in _entries(base, part):
        path = _join(base, e.name)
        if not rest:
            _expand(path, rest, found, dirs_only)
        elif e.is_dir(follow_symlinks=False):
            _expand(path, rest, found, dirs_only)


def regular_file_error(path: str) -> ReadError | None:
    """Why ``path`` cannot be read as a file (missing, a directory, a FIFO or device), else None."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return ReadError(path, "no such file (or a broken symlink)")
    except PermissionError:
        return ReadError(path, "permission denied")
    except OSError as exc:
        return ReadError(path, exc.strerror or str(exc))
    if stat.S_ISDIR(mode):
        return ReadError(path, "is a directory")
    if not stat.S_ISREG(mode):
        return ReadError(path, "not a regular file")
    return None


def nonblocking(path: str, flags: int) -> int:
    """An ``opener`` for :func:`open` that does not wait for a FIFO's writer."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def check_regular(fd: int, path: str) -> None:
    """Raise unless the open file ``fd`` is a regular file (it may have changed since it was checked)."""
    mode = os.fstat(fd).st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(path)
    if not stat.S_ISREG(mode):
        raise ReadError(path, "not a regular file")
