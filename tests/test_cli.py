"""The CLI through typer's CliRunner, plus `python -m classifier` and the console script."""

import csv
import io
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from classifier.cli import app
from tests.conftest import EXAMPLES

runner = CliRunner()


def test_help_lists_commands_with_example():
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0
    assert "headers" in r.output


@pytest.mark.parametrize("command", ["headers", "score", "train", "evaluate", "audit", "schema", "serve"])
def test_every_command_help_has_an_example(command):
    r = runner.invoke(app, [command, "--help"])
    assert r.exit_code == 0
    assert "Example: ficrate " + command in r.output


def test_version():
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.output.startswith("ficrate ")


def test_headers_table():
    r = runner.invoke(app, ["headers", str(EXAMPLES)])
    assert r.exit_code == 0, r.output
    assert "the-last-watch.html" in r.output
    assert "Mature (ao3) → mature" in r.output


def test_headers_jsonl_schema():
    r = runner.invoke(app, ["headers", str(EXAMPLES), "--format", "jsonl"])
    assert r.exit_code == 0
    recs = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(recs) == len(list(EXAMPLES.iterdir()))
    for rec in recs:
        assert set(rec) >= {"id", "path", "format", "title", "declared", "body_words"}
        assert isinstance(rec["body_words"], int) and rec["body_words"] > 100
        d = rec["declared"]
        assert d["rating"] is None or set(d["rating"]) == {"raw", "scale", "canonical"}
        assert d["rating"] is None or d["rating"]["canonical"] in (None, "general", "teen", "mature", "explicit")
        assert d["warnings"]["status"] in ("declared", "none", "withheld", "absent")
        assert isinstance(d["warnings"]["canonical"], list) and isinstance(d["warnings"]["unmapped"], list)
        assert isinstance(d["tags"], dict)


def test_headers_json_and_csv_agree():
    rj = runner.invoke(app, ["headers", str(EXAMPLES), "-f", "json"])
    rc = runner.invoke(app, ["headers", str(EXAMPLES), "-f", "csv"])
    assert rj.exit_code == rc.exit_code == 0
    recs = json.loads(rj.stdout)
    rows = list(csv.DictReader(io.StringIO(rc.stdout)))
    assert [r["path"] for r in recs] == [r["path"] for r in rows]
    assert [(r["declared"]["rating"] or {}).get("canonical") or "" for r in recs] == [r["rating"] for r in rows]


def test_headers_output_file_and_empty_json(tmp_path):
    out = tmp_path / "out" / "h.jsonl"
    r = runner.invoke(app, ["headers", str(EXAMPLES / "rooftop.txt"), "-f", "jsonl", "-o", str(out)])
    assert r.exit_code == 0
    assert json.loads(out.read_text())["declared"]["rating"]["raw"] == "K"
    assert list(out.parent.iterdir()) == [out]  # no temporary files left behind


def test_headers_errors_exit_2_and_batch_goes_on(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    r = runner.invoke(app, ["headers", str(bad), str(EXAMPLES / "rooftop.txt"), "-f", "jsonl"])
    assert r.exit_code == 2
    assert f"{bad}: empty file" in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stdout.splitlines()) == 1


def test_headers_stdin():
    r = runner.invoke(app, ["headers", "-", "-f", "jsonl"], input="Rating: M\nWarnings: gore\n\nA story from stdin.\n")
    assert r.exit_code == 0
    rec = json.loads(r.stdout)
    assert rec["path"] == "<stdin>" and rec["declared"]["warnings"]["canonical"] == ["violence"]


def test_bad_taxonomy_option(tmp_path):
    t = tmp_path / "t.json"
    t.write_text("{")
    r = runner.invoke(app, ["headers", str(EXAMPLES), "--taxonomy", str(t)])
    assert r.exit_code == 2 and "t.json" in r.stderr


def test_table_columns_options(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("key,story,age\nk1,Once upon a time.,PG-13\n")
    r = runner.invoke(
        app, ["headers", str(p), "-f", "jsonl", "--text-col", "story", "--id-col", "key", "--rating-col", "age"]
    )
    assert r.exit_code == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["id"] == "k1" and rec["declared"]["rating"]["canonical"] == "teen"


def test_python_dash_m_and_console_script():
    r = subprocess.run([sys.executable, "-m", "classifier", "--version"], capture_output=True, text=True, check=False)
    assert r.returncode == 0 and r.stdout.startswith("ficrate ")


@pytest.mark.parametrize("command", [["headers"], ["score", "--jobs", "1"], ["audit", "--jobs", "2"]])
def test_a_reader_that_stops_early_ends_the_run_quietly_with_status_141(tmp_path, command):
    """``ficrate audit ... | head``: exit 1 would read as findings; a closed stdout is status 141, no message."""
    table = tmp_path / "t.jsonl"
    story = "The rain fell on the harbour and the boats knocked together. " * 40
    table.write_text("".join(json.dumps({"id": f"s{i}", "text": story}) + "\n" for i in range(3000)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "classifier", *command, str(table), "-f", "jsonl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.read(200)
    proc.stdout.close()  # the reader goes away while records are still coming
    _out, err = proc.communicate(timeout=120)
    assert (proc.returncode, err.decode()) == (141, "")
