"""score / train / evaluate through the CLI (CliRunner), with the default and tiny models."""

import csv
import io
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.cli import app
from tests.conftest import EXAMPLES, REPO
from tests.corpus import make_corpus

runner = CliRunner()
DEFAULT = REPO / "models" / "ficrate-default"
needs_default = pytest.mark.skipif(not (DEFAULT / "model_card.json").exists(), reason="no default model")


@pytest.mark.parametrize("command", ["score", "train", "evaluate"])
def test_help_has_example(command):
    r = runner.invoke(app, [command, "--help"])
    assert r.exit_code == 0
    assert f"Example: ficrate {command}" in r.output


@needs_default
def test_score_jsonl_schema_and_order():
    r = runner.invoke(app, ["score", str(EXAMPLES), "-f", "jsonl", "--explain", "2", "--jobs", "1"])
    assert r.exit_code == 0, r.stderr
    recs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [rec["path"] for rec in recs] == sorted(str(p) for p in EXAMPLES.iterdir())
    for rec in recs:
        pred = rec["prediction"]
        assert set(pred) >= {"rating", "rating_probs", "warnings", "warning_probs", "evidence"}
        assert pred["rating"] in ("general", "teen", "mature", "explicit")
        assert list(pred["rating_probs"]) == ["general", "teen", "mature", "explicit"]
        assert abs(sum(pred["rating_probs"].values()) - 1) < 1e-3
        for label, evs in pred["evidence"].items():
            assert label == "rating" or label in pred["warnings"]
            assert len(evs) <= 2
            for ev in evs:
                assert (
                    set(ev)
                    == {"start", "end", "score", "snippet", "quote_start", "quote_end", "marks", "snippet_marks"}
                    and len(ev["snippet"]) <= 200
                )
        assert "declared" in rec and "body_words" in rec  # extends the headers record


@needs_default
def test_score_parallel_equals_serial():
    a = runner.invoke(app, ["score", str(EXAMPLES), "-f", "jsonl", "--jobs", "1"])
    b = runner.invoke(app, ["score", str(EXAMPLES), "-f", "jsonl", "--jobs", "2"])
    assert a.exit_code == b.exit_code == 0
    assert a.stdout == b.stdout


@needs_default
def test_score_few_files_starts_no_worker_pool(monkeypatch):
    # One story (the usual `ficrate score story.txt`) is one worker's task: scored in-process.
    import classifier.modeling.predict as predict

    def no_pool(*args, **kwargs):
        raise AssertionError("a worker pool was started")

    monkeypatch.setattr(predict, "_fork_pool", no_pool)
    files = [str(EXAMPLES / "rooftop.txt"), str(EXAMPLES / "library-cat.txt")]
    r = runner.invoke(app, ["score", *files, "-f", "jsonl", "--jobs", "2"])
    assert r.exit_code == 0, r.stderr
    assert [json.loads(line)["path"] for line in r.stdout.splitlines()] == files


@needs_default
def test_score_table_csv_json_and_stdin():
    t = runner.invoke(app, ["score", str(EXAMPLES / "rooftop.txt")])
    assert t.exit_code == 0 and "substance_use" in t.stdout
    c = runner.invoke(app, ["score", str(EXAMPLES / "rooftop.txt"), "-f", "csv"])
    row = next(csv.DictReader(io.StringIO(c.stdout)))
    assert row["pred_rating"] in ("teen", "mature") and float(row["p_substance_use"]) > 0.5
    j = runner.invoke(app, ["score", str(EXAMPLES / "rooftop.txt"), "-f", "json"])
    assert json.loads(j.stdout)[0]["prediction"]["rating"] == row["pred_rating"]
    s = runner.invoke(app, ["score", "-", "-f", "jsonl"], input="Rating: G\n\nThe cat slept by the fire.\n")
    assert s.exit_code == 0 and json.loads(s.stdout)["path"] == "<stdin>"


@needs_default
def test_score_bad_input_exit_2_rest_scored(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    r = runner.invoke(app, ["score", str(bad), str(EXAMPLES / "bakery-morning.txt"), "-f", "jsonl"])
    assert r.exit_code == 2
    assert f"{bad}: binary data (a PNG image)" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stdout.splitlines()) == 1


def test_score_refuses_non_model(tmp_path):
    (tmp_path / "model.joblib").write_bytes(b"not a pickle")
    r = runner.invoke(app, ["score", str(EXAMPLES), "--model", str(tmp_path)])
    assert r.exit_code == 2
    assert "not a ficrate model" in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def tiny_table(tmp_path_factory):
    texts, Y, groups = make_corpus(n=36)
    from classifier.labels import RATING_LEVELS

    d = tmp_path_factory.mktemp("data")
    df = pd.DataFrame(
        {
            "id": groups,
            "text": texts,
            "rating": [RATING_LEVELS[int(r)] for r in Y[:, 0]],
            "warnings": [
                "Violence" if "knife" in t or "blood" in t else "swearing" if "fuck" in t else "none" for t in texts
            ],
        }
    )
    path = d / "stories.csv"
    df.to_csv(path, index=False)
    return path


def test_train_writes_model_and_card_and_refuses_overwrite(tiny_table, tmp_path):
    out = tmp_path / "m"
    r = runner.invoke(app, ["train", str(tiny_table), "--out", str(out), "--folds", "2", "-q"])
    assert r.exit_code == 0, r.stderr + r.stdout
    card = json.loads((out / "model_card.json").read_text())
    assert card["data"]["rows"] == 36 and card["sources"] == [str(tiny_table)]
    assert card["command"].startswith("ficrate train")
    assert "exact_accuracy" in card["metrics"]["cross_validation"]["rating"]
    assert "under_rated_false_alarms" in card["metrics"]["cross_validation"]["audit"]
    bands = card["metrics"]["cross_validation"]["rating"]["by_length"]
    assert [b["words"] for b in bands] == ["under 1,500", "1,500-4,999", "5,000-14,999", "15,000+"]
    assert sum(b["n"] for b in bands) == card["metrics"]["cross_validation"]["rating"]["n"]
    assert "By story length" in (out / "MODEL_CARD.md").read_text()
    r2 = runner.invoke(app, ["train", str(tiny_table), "--out", str(out), "-q"])
    assert r2.exit_code == 2 and "already exists" in r2.stderr
    score = runner.invoke(app, ["score", str(EXAMPLES / "bakery-morning.txt"), "--model", str(out), "-f", "jsonl"])
    assert score.exit_code == 0, score.stderr


def test_train_exclude_is_recorded(tiny_table, tmp_path):
    excl = tmp_path / "flagged.csv"
    excl.write_text("id\ng0\ng1\ng2\n")
    out = tmp_path / "m2"
    r = runner.invoke(app, ["train", str(tiny_table), "--out", str(out), "--folds", "2", "-q", "--exclude", str(excl)])
    assert r.exit_code == 0, r.stderr
    card = json.loads((out / "model_card.json").read_text())
    assert card["exclusions"]["excluded"] == 3 and card["data"]["rows"] == 33


def test_train_with_too_little_data_fails_cleanly(tmp_path):
    p = tmp_path / "few.csv"
    p.write_text("text,rating\nhello there,G\nbye now,T\n")
    r = runner.invoke(app, ["train", str(p), "--out", str(tmp_path / "m"), "-q"])
    assert r.exit_code == 2 and "need at least 20" in r.stderr
    assert not (tmp_path / "m").exists()


@needs_default
def test_evaluate_writes_report_with_baselines(tmp_path):
    r = runner.invoke(app, ["evaluate", str(EXAMPLES), "--report", str(tmp_path / "rep"), "--bootstrap", "20"])
    assert r.exit_code == 0, r.stderr
    for name in ("metrics.json", "summary.md", "confusion_matrix.png", "reliability.png", "precision_recall.png"):
        assert (tmp_path / "rep" / name).stat().st_size > 0, name
    metrics = json.loads((tmp_path / "rep" / "metrics.json").read_text())
    assert {"ficrate", "lexicon-rule"} <= set(metrics["systems"])
    rating = metrics["systems"]["ficrate"]["rating"]
    assert rating["n"] == 7 and len(rating["exact_accuracy"]["ci95"]) == 2
    # library-cat declares nothing: left out, and said so, rather than counted as labelled
    assert metrics["texts"] == 7 and metrics["unlabelled_texts"] == 1
    assert (
        "(7 labelled texts; 1 without any label, left out; 0 unreadable)"
        in (tmp_path / "rep" / "summary.md").read_text()
    )
    assert "| rating exact accuracy |" in (tmp_path / "rep" / "summary.md").read_text()
    assert sum(b["n"] for b in rating["by_length"]) == 7
    assert "## ficrate rating by story length" in (tmp_path / "rep" / "summary.md").read_text()


def test_train_tests_the_final_model_on_other_fandoms(tmp_path):
    """Summaries and development stories beside the shared files are never trained on but tested on."""
    import gzip
    import shutil

    from classifier.labels import RATING_LEVELS

    texts, Y, _groups = make_corpus(n=40)
    data = tmp_path / "shared"
    data.mkdir()
    ao3_names = ["General Audiences", "Teen And Up Audiences", "Mature", "Explicit"]
    with gzip.open(data / "fulltext.jsonl.gz", "wt", encoding="utf-8") as f:
        for i, (t, y) in enumerate(zip(texts, Y, strict=True)):
            rec = {"id": f"ao3:{i}", "site": "ao3", "rating": ao3_names[int(y[0])], "warnings": None, "text": t}
            f.write(json.dumps(rec) + "\n")
    summaries = [("A quiet walk", "Two friends bake bread and walk the dog.", "K"), ("Trouble", "A bad day.", "T")] * 6
    with gzip.open(data / "ffn_summaries.jsonl.gz", "wt", encoding="utf-8") as f:
        for i, (title, summary, rating) in enumerate(summaries):
            f.write(json.dumps({"id": str(i), "title": title, "summary": summary, "rating": rating}) + "\n")
    (data / "stories").mkdir()
    for name in ("bakery-morning.txt", "letters-home.txt"):
        shutil.copy(EXAMPLES / name, data / "stories" / name)
    out = tmp_path / "m"
    r = runner.invoke(app, ["train", str(data), "--out", str(out), "--folds", "2", "-q"])
    assert r.exit_code == 0, r.stderr + r.stdout
    card = json.loads((out / "model_card.json").read_text())
    assert card["data"]["rows"] == 40  # the summaries and stories were not trained on
    transfer = card["metrics"]["transfer"]
    assert set(transfer) == {"ffn_summaries", "dev_stories"}
    ffn = transfer["ffn_summaries"]
    assert ffn["texts"] == 12 and ffn["rating"]["n"] == 12
    assert sum(map(sum, ffn["rating"]["confusion"]["matrix"])) == 12
    assert "under_rated_false_alarms" in ffn["audit"]
    assert transfer["dev_stories"]["texts"] == 2
    md = (out / "MODEL_CARD.md").read_text()
    assert "Transfer: `ffn_summaries`" in md and "Transfer: `dev_stories`" in md
    # No archive-warning labels in the FFN set: no warning figure is printed for it (not "0.000, nan").
    ffn_section = md.split("Transfer: `ffn_summaries`")[1].split("### ")[0]
    assert "micro-F1" not in ffn_section and "nan" not in ffn_section
    assert RATING_LEVELS[0] in ffn_section


def test_evaluate_reports_its_stages_with_counts(tmp_path):
    from classifier.api import load_model
    from classifier.evaluate import evaluate_model
    from classifier.labels import load_taxonomy

    model = load_model()
    said: list[str] = []
    result = evaluate_model(
        model.scorer, model.card, [str(EXAMPLES)], tmp_path, taxonomy=load_taxonomy(), rounds=20, progress=said.append
    )
    n = result["texts"]
    assert said[0] == "reading the labelled data"
    assert f"scoring: {n:,}/{n:,} texts" in said
    assert "figures with 20 bootstrap rounds" in said
