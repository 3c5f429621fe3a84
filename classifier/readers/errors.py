"""Errors raised by readers: one line naming the input and the reason."""

from __future__ import annotations


class ReadError(Exception):
    """An input that cannot be read as a story; ``str()`` is the one-line message."""

    def __init__(self, name: str, reason: str) -> None:
        # One line, always: reasons quoted from parsers can carry newlines.
        reason = " ".join(str(reason).split())
        name = " ".join(str(name).split()) or "<unnamed>"
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason
