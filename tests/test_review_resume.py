"""Review: a CSV results file whose ``.run.json`` is damaged is refused in one line, never resumed blind."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from classifier.cli import app
from tests.conftest import EXAMPLES, REPO

runner = CliRunner()
DEFAULT = REPO / "models" / "ficrate-default"
needs_default = pytest.mark.skipif(not (DEFAULT / "model_card.json").exists(), reason="no default model")
ONE = str(EXAMPLES / "rooftop.txt")


def _score(*args):
    return runner.invoke(app, ["score", *map(str, args), "--jobs", "1"])


@needs_default
@pytest.mark.parametrize("damage", [b"{broken\n", b"[1]\n", b'{"ficrate_run": 5}\n', b"\xff\xfe\n"])
def test_csv_resume_with_a_damaged_run_json_is_refused_in_one_line(tmp_path, damage):
    out = tmp_path / "out.csv"
    assert _score(ONE, "-f", "csv", "-o", out).exit_code == 0
    meta = tmp_path / "out.csv.run.json"
    meta.write_bytes(damage)
    before = out.read_bytes()
    r = _score(EXAMPLES, "-f", "csv", "-o", out, "--resume")
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in lines[0]
    assert lines[0].startswith(f"ficrate: {meta}: --resume:")
    assert out.read_bytes() == before and meta.read_bytes() == damage


@needs_default
@pytest.mark.parametrize("field", ['"options": 5', '"model": "x"'])
def test_jsonl_resume_with_odd_metadata_fields_is_refused_in_one_line(tmp_path, field):
    out = tmp_path / "out.jsonl"
    assert _score(ONE, "-f", "jsonl", "-o", out).exit_code == 0
    _, *records = out.read_text().splitlines(keepends=True)
    out.write_text('{"ficrate_run": {"command": "score", "format": "jsonl", ' + field + "}}\n" + "".join(records))
    before = out.read_bytes()
    r = _score(EXAMPLES, "-f", "jsonl", "-o", out, "--resume")
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ficrate: {out}: --resume: written by another run (")
    assert out.read_bytes() == before
