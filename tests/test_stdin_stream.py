"""`ficrate score|audit - --input-format jsonl` as a long-lived worker in a pipe (issue 11 part 2)."""

import json
import os
import select
import shutil
import subprocess
import time

import pytest
from typer.testing import CliRunner

from classifier.cli import app
from tests.conftest import EXAMPLES, REPO

runner = CliRunner()
DEFAULT = REPO / "models" / "ficrate-default"
needs_default = pytest.mark.skipif(not (DEFAULT / "model_card.json").exists(), reason="no default model")
FICRATE = shutil.which("ficrate") or str(REPO / ".venv" / "bin" / "ficrate")


def _line(text: str, **fields) -> bytes:
    return (json.dumps({"text": text, **fields}) + "\n").encode()


def _read_line(proc: subprocess.Popen, timeout: float = 120) -> bytes:
    """One line of the worker's stdout, or b"" when none came within ``timeout`` (not a timing
    assert: generous, only so that a worker that waits for end of input fails instead of hanging)."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline() if ready else b""


@needs_default
@pytest.mark.parametrize("command", ["score", "audit"])
def test_worker_answers_each_line_before_input_ends(command):
    story = (EXAMPLES / "rooftop.txt").read_text()
    with subprocess.Popen(
        [FICRATE, command, "-", "--input-format", "jsonl", "-f", "jsonl", "--explain", "1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(_line(story, id="first", rating="General Audiences"))
        first = _read_line(proc)  # stdin is still open: the producer has not finished
        assert first, "no answer before end of input"
        rec = json.loads(first)
        assert rec["id"] == "first" and rec["path"] == "<stdin>#row=1" and "prediction" in rec
        assert ("audit" in rec) == (command == "audit")
        proc.stdin.write(b"{not json\n")  # a bad line: one error line, and the stream goes on
        proc.stdin.write(b'{"title": "no text here"}\n')
        time.sleep(0.2)  # a delayed producer
        proc.stdin.write(_line(story, id="second"))
        second = _read_line(proc)
        assert json.loads(second)["id"] == "second" and proc.poll() is None
        proc.stdin.close()
        proc.wait(timeout=120)
        rest, err = proc.stdout.read(), proc.stderr.read()
    assert rest == b""
    assert proc.returncode == 2  # two lines could not be read
    lines = err.decode().splitlines()
    assert "ficrate: <stdin> row 2: invalid JSON" in lines[0]
    assert lines[1].startswith("ficrate: <stdin> row 3: no text column found")
    assert "Traceback" not in err.decode()


@needs_default
def test_stream_matches_scoring_the_same_rows_from_a_file(tmp_path):
    rows = [(EXAMPLES / name).read_text() for name in ("rooftop.txt", "library-cat.txt", "letters-home.txt")]
    data = b"".join(_line(t, id=f"s{i}") for i, t in enumerate(rows))
    table = tmp_path / "rows.jsonl"
    table.write_bytes(data)
    piped = runner.invoke(app, ["score", "-", "--input-format", "jsonl", "-f", "jsonl"], input=data)
    from_file = runner.invoke(app, ["score", str(table), "-f", "jsonl", "--jobs", "1"])
    assert piped.exit_code == from_file.exit_code == 0, piped.stderr
    a = [json.loads(x) for x in piped.stdout.splitlines()]
    b = [json.loads(x) for x in from_file.stdout.splitlines()]
    assert [r["path"] for r in a] == ["<stdin>#row=1", "<stdin>#row=2", "<stdin>#row=3"]
    for r in a + b:
        r.pop("path")
        r.pop("format")
    assert a == b


@needs_default
def test_plain_text_stdin_stays_one_story():
    text = (EXAMPLES / "rooftop.txt").read_text()
    r = runner.invoke(app, ["score", "-", "-f", "jsonl"], input=text)
    assert r.exit_code == 0, r.stderr
    recs = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(recs) == 1 and recs[0]["path"] == "<stdin>"


def test_over_long_line_is_refused_alone():
    from classifier.labels import load_taxonomy
    from classifier.readers.tables import TableOptions, read_jsonl_lines

    r, w = os.pipe()
    os.write(w, _line("x" * 5000) + _line("A short story.") + b"[1, 2]\n")
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        items = list(read_jsonl_lines(fh, "<stdin>", load_taxonomy(), TableOptions(), max_line=1000))
    assert [str(i) for i in items[::2]] == [
        "<stdin> row 1: line larger than the 1,000-byte cap (raise --max-size)",
        "<stdin> row 3: not a JSON object",
    ]
    assert items[1].body == "A short story."
