"""Parquet (pyarrow) and evaluate's plots (matplotlib) are extras: without them, one line naming the extra.

``evaluate`` runs with ``--shared`` set to a folder without summaries (no TF-IDF baseline to
train: the plots are what is tested). The missing module is simulated with ``sys.modules[name] = None`` (an import of it then raises
ImportError), so these run with the extras installed, as CI has them.
"""

import json
import sys
import tomllib

import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.extras import load_extra, missing_extra_message
from tests.conftest import EXAMPLES, REPO

runner = CliRunner()
PARQUET_LINE = "ficrate: Parquet needs the 'parquet' extra: pip install 'ficrate[parquet]'"


@pytest.fixture
def no_pyarrow(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)


def test_load_extra_and_the_message():
    assert load_extra("parquet").__name__ == "pyarrow"
    assert missing_extra_message("Parquet", "parquet") == PARQUET_LINE.removeprefix("ficrate: ")


def test_load_extra_is_none_when_the_module_is_missing(no_pyarrow):
    assert load_extra("parquet") is None


def test_parquet_output_without_pyarrow_is_one_line_exit_2(tmp_path, no_pyarrow):
    out = tmp_path / "audit.parquet"
    r = runner.invoke(app, ["audit", str(EXAMPLES / "bakery-morning.txt"), "-f", "parquet", "-o", str(out)])
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [PARQUET_LINE]
    assert "Traceback" not in r.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_parquet_input_without_pyarrow_names_the_file_and_the_extra(tmp_path, monkeypatch):
    table = tmp_path / "rows.parquet"
    pd.DataFrame({"id": [1], "text": ["Rating: T\n\nA short story about tea."]}).to_parquet(table)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    r = runner.invoke(app, ["headers", str(table), str(EXAMPLES / "bakery-morning.txt"), "-f", "jsonl"])
    assert r.exit_code == 2
    assert f"ficrate: {table}: Parquet needs the 'parquet' extra: pip install 'ficrate[parquet]'" in r.stderr
    assert "Traceback" not in r.output
    assert len(r.stdout.splitlines()) == 1  # the other input is still read


def test_evaluate_without_matplotlib_writes_the_report_and_says_why(tmp_path, monkeypatch):
    rep = tmp_path / "rep"
    rep.mkdir()
    (rep / "reliability.png").write_bytes(b"an old run's plot")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    r = runner.invoke(
        app, ["evaluate", str(EXAMPLES), "--report", str(rep), "--bootstrap", "20", "--shared", str(tmp_path)]
    )
    assert r.exit_code == 0, r.stderr
    assert "Traceback" not in r.output
    metrics = json.loads((rep / "metrics.json").read_text())
    assert metrics["systems"]["ficrate"]["rating"]["n"] == 7
    reason = "matplotlib is not installed; the 'plots' extra draws them: pip install 'ficrate[plots]'"
    assert metrics["plots"] == {"skipped": reason}
    summary = (rep / "summary.md").read_text()
    assert f"Plots skipped: {reason}." in summary and "| rating exact accuracy |" in summary
    assert f"Plots skipped: {reason}." in r.stdout
    assert sorted(p.name for p in rep.iterdir()) == ["metrics.json", "summary.md"]
    assert "tfidf-summaries" not in metrics["systems"]


def test_evaluate_with_matplotlib_lists_its_plots(tmp_path):
    rep = tmp_path / "rep"
    r = runner.invoke(
        app, ["evaluate", str(EXAMPLES), "--report", str(rep), "--bootstrap", "20", "--shared", str(tmp_path)]
    )
    assert r.exit_code == 0, r.stderr
    plots = ["confusion_matrix.png", "reliability.png", "precision_recall.png"]
    assert json.loads((rep / "metrics.json").read_text())["plots"] == {"written": plots}
    assert "Plots: " + ", ".join(plots) in (rep / "summary.md").read_text()
    assert all((rep / p).stat().st_size > 1000 for p in plots)


def test_core_dependencies_leave_out_the_extras():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"])
    assert "pyarrow" not in core and "matplotlib" not in core and "pyyaml" in core
    extras = project["optional-dependencies"]
    assert extras["parquet"] == ["pyarrow>=15"] and extras["plots"] == ["matplotlib>=3.8"]
    assert "parquet" in extras["all"][0] and "plots" in extras["all"][0]
    dev = " ".join(extras["dev"])
    assert "pyarrow" in dev and "matplotlib" in dev
