"""Coverage-guided fuzzing of the readers with atheris (not part of the test suite).

Any input bytes, under any of the names that pick a reader, must give stories or a
one-line ``ReadError`` — never another exception. Run::

    pip install atheris
    python fuzz/atheris_readers.py -max_total_time=60
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from classifier.readers import ReadError, ReadOptions, read_bytes

NAMES = ("story.txt", "story.html", "story.epub", "rows.csv", "rows.jsonl", "rows.parquet", "story.md", "-")
OPTIONS = ReadOptions()


def one_input(data: bytes) -> None:
    if not data:
        return
    name = NAMES[data[0] % len(NAMES)]
    try:
        for item in read_bytes(data[1:], name, OPTIONS):
            if isinstance(item, ReadError):
                assert "\n" not in str(item)
    except ReadError as exc:
        assert "\n" not in str(exc)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
