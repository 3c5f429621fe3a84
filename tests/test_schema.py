"""The published record schemas: `ficrate schema score|audit`, validated against real
`ficrate score|audit -f jsonl` output (the server's responses are checked in test_server.py)."""

from __future__ import annotations

import copy
import json

import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.schema import RECORDS, record_schema, schema_text
from tests.conftest import EXAMPLES

jsonschema = pytest.importorskip("jsonschema")

runner = CliRunner()


def _errors(record: str, rec: dict) -> list[str]:
    v = jsonschema.Draft202012Validator(record_schema(record))
    return [f"{e.json_path}: {e.message[:200]}" for e in v.iter_errors(rec)]


def _jsonl(*args: str, input: str | None = None) -> list[dict]:
    r = runner.invoke(app, list(args), input=input)
    assert r.exit_code in (0, 1), r.output
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize("record", RECORDS)
def test_schema_command_prints_a_valid_schema(record):
    r = runner.invoke(app, ["schema", record])
    assert r.exit_code == 0
    schema = json.loads(r.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == record_schema(record)
    assert json.loads(schema_text(record)) == schema
    assert set(schema["required"]) >= {"id", "declared", "prediction"}


def test_schema_command_refuses_other_records():
    r = runner.invoke(app, ["schema", "headers"])
    assert r.exit_code == 2


def test_audit_schema_is_the_score_schema_plus_audit():
    score, audit = record_schema("score"), record_schema("audit")
    assert set(audit["properties"]) == set(score["properties"]) | {"audit", "flagged"}
    assert audit["required"] == [*score["required"], "audit"]
    assert "flagged" not in audit["required"]


def test_real_score_output_validates():
    recs = _jsonl("score", str(EXAMPLES), "-f", "jsonl", "--jobs", "1")
    assert len(recs) >= 5
    for rec in recs:
        assert not _errors("score", rec), rec["id"]
    for rec in _jsonl("score", str(EXAMPLES), "-f", "jsonl", "--explain", "0", "--jobs", "1"):
        assert not _errors("score", rec)
        assert rec["prediction"]["evidence"] == {}
    text = "Rating: M\nWarnings: Graphic Depictions Of Violence\n\nHe drove the knife in and blood poured out.\n"
    (rec,) = _jsonl("score", "-", "-f", "jsonl", input=text)
    assert not _errors("score", rec)


def test_real_audit_output_validates():
    recs = _jsonl("audit", str(EXAMPLES), "-f", "jsonl", "--jobs", "1")
    assert len(recs) >= 5
    kinds = set()
    for rec in recs:
        assert not _errors("audit", rec), rec["id"]
        kinds |= {v["kind"].split(":")[0] for v in rec["audit"]["verdicts"]}
    assert len(kinds) >= 2, kinds


def test_schema_is_strict():
    (rec,) = _jsonl("audit", "-", "-f", "jsonl", input="Rating: G\n\nThe kettle hummed while the cat slept.\n")
    assert not _errors("audit", rec)
    extra = copy.deepcopy(rec)
    extra["surprise"] = 1
    assert _errors("audit", extra)
    wrong = copy.deepcopy(rec)
    wrong["prediction"]["rating"] = "adult"
    assert _errors("audit", wrong)
    missing = copy.deepcopy(rec)
    del missing["audit"]["verdicts"]
    assert _errors("audit", missing)
    assert not _errors("score", {k: v for k, v in rec.items() if k != "audit"})


def test_library_records_match_the_cli():
    import classifier
    from classifier.api import story_from_text

    text = (EXAMPLES / "rooftop.txt").read_text(encoding="utf-8")
    (cli,) = _jsonl("audit", "-", "-f", "jsonl", input=text)
    model = classifier.load_model()
    (lib,) = model.audit_records([story_from_text(text, id=cli["id"])])
    for rec in (cli, lib):
        rec.pop("path")
    assert lib == cli
