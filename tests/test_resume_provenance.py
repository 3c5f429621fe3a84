"""--resume checks which run wrote the file: command, options that change records, model (issue 13)."""

import json

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
def test_a_jsonl_file_starts_with_its_metadata_and_stdout_never_has_it(tmp_path):
    out = tmp_path / "out.jsonl"
    assert _score(EXAMPLES, "-f", "jsonl", "-o", out, "--explain", "2").exit_code == 0
    meta, *records = (json.loads(line) for line in out.read_text().splitlines())
    run = meta["ficrate_run"]
    assert list(meta) == ["ficrate_run"] and run["command"] == "score" and run["format"] == "jsonl"
    assert run["options"]["--explain"] == 2 and len(run["model"]["sha256"]) == 16
    assert len(records) == len(list(EXAMPLES.iterdir())) and all("prediction" in r for r in records)
    stdout = _score(EXAMPLES, "-f", "jsonl", "--explain", "2").stdout
    assert "ficrate_run" not in stdout and stdout.splitlines() == out.read_text().splitlines()[1:]


@needs_default
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_with_other_explain_is_refused_saying_so(tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    assert _score(ONE, "-f", fmt, "-o", out, "--explain", "1").exit_code == 0
    before = out.read_bytes()
    r = _score(EXAMPLES, "-f", fmt, "-o", out, "--explain", "3", "--resume")
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == [
        f"ficrate: {out}: --resume: written by another run (--explain 1 there, 3 here); nothing appended"
    ]
    assert out.read_bytes() == before
    ok = _score(EXAMPLES, "-f", fmt, "-o", out, "--explain", "1", "--resume")  # the same options go on
    assert ok.exit_code == 0, ok.stderr
    assert len(out.read_text().splitlines()) == 1 + len(list(EXAMPLES.iterdir()))  # metadata or CSV header


@needs_default
def test_audit_does_not_resume_a_score_file(tmp_path):
    out = tmp_path / "out.jsonl"
    assert _score(ONE, "-f", "jsonl", "-o", out).exit_code == 0
    r = runner.invoke(app, ["audit", str(EXAMPLES), "-f", "jsonl", "-o", str(out), "--resume", "--jobs", "1"])
    assert r.exit_code == 2 and "written by `ficrate score`, this is `ficrate audit`" in r.stderr


@needs_default
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_refuses_another_model(tmp_path, fmt):
    from classifier.output import OutputError, Resume
    from classifier.provenance import run_metadata

    out = tmp_path / f"out.{fmt}"
    assert _score(ONE, "-f", fmt, "-o", out).exit_code == 0
    card = json.loads((DEFAULT / "model_card.json").read_text())
    opts = json.loads(out.read_text().splitlines()[0])["ficrate_run"]["options"] if fmt == "jsonl" else None
    if opts is None:
        opts = json.loads((tmp_path / "out.csv.run.json").read_text())["ficrate_run"]["options"]
    assert Resume(out, fmt, "score", run_metadata("score", fmt, card, opts)).done  # this model: fine
    other = dict(card, name="mine", artifacts={"weights.npz": {"sha256": "0" * 64}})
    with pytest.raises(OutputError, match=r"model ficrate-default \(\w{16}\) there, mine \(\w{16}\) here"):
        Resume(out, fmt, "score", run_metadata("score", fmt, other, opts))


@needs_default
def test_a_file_holding_only_its_metadata_resumes(tmp_path):
    out = tmp_path / "out.jsonl"
    assert _score(ONE, "-f", "jsonl", "-o", out).exit_code == 0
    meta, first = out.read_text().splitlines()
    out.write_text(meta + "\n" + first[:30])  # killed while writing the first record
    r = _score(EXAMPLES, "-f", "jsonl", "-o", out, "--resume")
    assert r.exit_code == 0, r.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == meta and len(lines) == 1 + len(list(EXAMPLES.iterdir()))


def test_readers_skip_the_metadata_record(tmp_path):
    from classifier.labels import load_taxonomy
    from classifier.readers import ReadOptions, iter_stories
    from classifier.readers.tables import TableOptions, read_jsonl_lines

    meta = json.dumps({"ficrate_run": {"command": "score", "format": "jsonl"}})
    rows = meta + "\n" + json.dumps({"id": "a", "text": "A story."}) + "\n"
    table = tmp_path / "t.jsonl"
    table.write_text(rows)
    items = list(iter_stories([str(table)], ReadOptions()))
    assert [getattr(i, "id", str(i)) for i in items] == ["a"]
    with open(table, "rb") as fh:
        streamed = list(read_jsonl_lines(fh, "<stdin>", load_taxonomy(), TableOptions(), max_line=10_000))
    assert [getattr(i, "id", str(i)) for i in streamed] == ["a"]


def test_difference_names_each_changed_option():
    from classifier.provenance import difference, run_metadata

    card = {"name": "m", "artifacts": {"w": {"sha256": "1"}}}
    a = run_metadata("audit", "csv", card, {"--explain": 3, "--min-confidence": 0.5, "--text-col": None})
    b = run_metadata("audit", "csv", card, {"--explain": 3, "--min-confidence": 0.7, "--text-col": "body"})
    assert difference(a, a) is None
    assert difference(a, b) == "--min-confidence 0.5 there, 0.7 here; --text-col unset there, body here"
    assert difference(a, run_metadata("audit", "jsonl", card, {})).startswith("format csv there, jsonl here")


@needs_default
def test_audit_resume_refuses_another_min_confidence(tmp_path):
    out = tmp_path / "out.jsonl"
    args = ["audit", ONE, "-f", "jsonl", "-o", str(out), "--jobs", "1"]
    assert runner.invoke(app, args).exit_code in (0, 1)
    before = out.read_bytes()
    again = runner.invoke(app, [*args, "--resume"])
    assert again.exit_code in (0, 1), again.stderr  # same options: nothing to do, nothing refused
    r = runner.invoke(app, [*args, "--resume", "--min-confidence", "0.6"])
    assert r.exit_code == 2 and "--min-confidence" in r.stderr and "0.6 here" in r.stderr
    assert out.read_bytes() == before


# Damaged or odd metadata: refused in one line, never resumed blind (found in review).
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
