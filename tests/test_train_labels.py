"""`ficrate train` must not learn nonsense from label semantics, and names bad columns."""

import csv
import json

from typer.testing import CliRunner

from classifier.cli import app
from tests.corpus import make_corpus

runner = CliRunner()
LEVELS = ["General Audiences", "Teen And Up Audiences", "Mature", "Explicit"]


def _table(path, *, warnings="No Archive Warnings Apply"):
    texts, Y, _ = make_corpus(n=48)
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["body", "stars", "warn"])
        w.writeheader()
        for t, y in zip(texts, Y, strict=True):
            w.writerow({"body": t, "stars": LEVELS[int(y[0])], "warn": warnings})
    return path


def test_labels_without_negatives_are_named_and_not_learned(tmp_path):
    table = _table(tmp_path / "t.csv")
    r = runner.invoke(
        app,
        [
            "train",
            str(table),
            "--out",
            str(tmp_path / "m"),
            "--text-col",
            "body",
            "--rating-col",
            "stars",
            "--warnings-col",
            "warn",
        ],
    )
    assert r.exit_code == 0, r.output
    spec = json.loads((tmp_path / "m" / "model.json").read_text())
    card = json.loads((tmp_path / "m" / "model_card.json").read_text())
    # "No Archive Warnings Apply" says nothing about language or sex: no negatives, so nothing is learned
    # for them and their thresholds stay neutral (an F1 of 1.000 at 0.05 is what this prevents).
    for wid in ("sexual_content", "strong_language"):
        assert spec["thresholds"][wid] == 0.5
        assert card["metrics"]["cross_validation"]["warnings"]["per_label"][wid]["known"] == 0
    # The archive warnings have negatives only: named as not learned.
    assert "violence" in card["metrics"]["skipped_labels"]
    assert "warning violence" in r.stderr and "not learned" in r.stderr
    # ...and the closing line gives no micro-F1 for warnings that had nothing to find (it said 0.000).
    assert "wrote " in r.stdout and "micro-F1" not in r.stdout


def test_missing_or_wrong_columns_are_named(tmp_path):
    table = _table(tmp_path / "t.csv")
    r = runner.invoke(app, ["train", str(table), "--out", str(tmp_path / "m")])
    assert r.exit_code == 2 and "--rating-col" in r.stderr
    r = runner.invoke(
        app, ["train", str(table), "--out", str(tmp_path / "m"), "--text-col", "body", "--rating-col", "nope"]
    )
    assert r.exit_code == 2 and "no rating column 'nope'" in r.stderr and "columns: body, stars, warn" in r.stderr
    r = runner.invoke(app, ["train", str(table), "--out", str(tmp_path / "m"), "--text-col", "nope"])
    assert r.exit_code == 2 and "no text column 'nope'" in r.stderr
    assert not (tmp_path / "m").exists()
