"""Streaming output, --resume, Ctrl-C mid-batch, a killed train, determinism, the Dask backend."""

import json
import os
import shutil
import signal
import subprocess
import time
import warnings

import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.cli import app
from tests.conftest import EXAMPLES, REPO

runner = CliRunner()
DEFAULT = REPO / "models" / "ficrate-default"
needs_default = pytest.mark.skipif(not (DEFAULT / "model_card.json").exists(), reason="no default model")
FICRATE = shutil.which("ficrate") or str(REPO / ".venv" / "bin" / "ficrate")


def _corpus(tmp_path, copies):
    d = tmp_path / "corpus"
    d.mkdir()
    sources = sorted(EXAMPLES.iterdir())
    for i in range(copies):
        src = sources[i % len(sources)]
        (d / f"s{i:04d}{src.suffix}").write_bytes(src.read_bytes())
    return d


@needs_default
def test_score_is_byte_for_byte_deterministic(tmp_path):
    a = runner.invoke(app, ["score", str(EXAMPLES), "-f", "jsonl", "--jobs", "1"])
    b = runner.invoke(app, ["score", str(EXAMPLES), "-f", "jsonl", "--jobs", "1"])
    assert a.exit_code == b.exit_code == 0 and a.stdout == b.stdout


@needs_default
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_skips_done_and_repairs_torn_line(tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    full = runner.invoke(app, ["score", str(EXAMPLES), "-f", fmt, "-o", str(out), "--jobs", "1"])
    assert full.exit_code == 0
    complete = out.read_text()
    lines = complete.splitlines(keepends=True)
    keep = 4 if fmt == "jsonl" else 5  # csv has a header line
    out.write_text("".join(lines[:keep]) + lines[keep][:25])  # a torn record at the end
    again = runner.invoke(app, ["score", str(EXAMPLES), "-f", fmt, "-o", str(out), "--jobs", "1", "--resume"])
    assert again.exit_code == 0, again.stderr
    assert sorted(out.read_text().splitlines()) == sorted(complete.splitlines())
    assert out.read_text().count("ficrate_run") == (fmt == "jsonl")  # one metadata record, at the top


def test_resume_needs_a_streamable_output():
    r = runner.invoke(app, ["score", str(EXAMPLES), "--resume"])
    assert r.exit_code == 2 and "--resume needs --output" in r.stderr


@needs_default
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_keeps_every_finished_result(tmp_path, jobs):
    corpus = _corpus(tmp_path, 400)
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [FICRATE, "score", str(corpus), "-f", "jsonl", "-o", str(out), "--jobs", jobs, "--explain", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 120
    while time.time() < deadline and (not out.exists() or out.read_text().count("\n") < 20):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()[-500:]
    assert b"interrupted" in err and b"Traceback" not in err
    meta, *lines = out.read_text().splitlines()
    assert "ficrate_run" in json.loads(meta)  # the file's metadata record (classifier.provenance)
    assert 20 <= len(lines) < 400
    paths = [json.loads(line)["path"] for line in lines]  # every line is a complete record
    expected = sorted(str(p) for p in corpus.iterdir())[: len(paths)]
    assert paths == expected  # complete and in order up to where it stopped


def test_killed_train_leaves_no_half_written_model(tmp_path):
    from classifier.labels import RATING_LEVELS
    from classifier.modeling.persist import ModelError, load_model
    from tests.corpus import make_corpus

    texts, Y, groups = make_corpus(n=120)
    table = tmp_path / "t.csv"
    pd.DataFrame({"id": groups, "text": texts, "rating": [RATING_LEVELS[int(r)] for r in Y[:, 0]]}).to_csv(
        table, index=False
    )
    out = tmp_path / "model"
    for delay in (0.5, 1.5, 3.0, 5.0):
        proc = subprocess.Popen(
            [FICRATE, "train", str(table), "--out", str(out), "--force", "-q"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.kill()
        proc.wait()
        if out.exists():
            try:
                load_model(out)  # a model directory is either complete and verified ...
            except ModelError as exc:  # pragma: no cover - this is the failure we test for
                pytest.fail(f"half-written model after kill at {delay}s: {exc}")
    done = subprocess.run(
        [FICRATE, "train", str(table), "--out", str(out), "--force", "-q"], capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr
    load_model(out)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".model.")]
    assert leftovers == []  # stale temporary directories of killed runs are cleaned up


@pytest.fixture(scope="module")
def local_cluster():
    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    yield cluster.scheduler_address
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster.close()


@needs_default
@pytest.mark.filterwarnings("ignore")
def test_dask_backend_matches_local_run(local_cluster, tmp_path):
    corpus = _corpus(tmp_path, 40)
    (corpus / "broken.txt").write_bytes(b"")
    table = tmp_path / "rows.jsonl"
    table.write_text(
        "".join(json.dumps({"id": i, "text": (EXAMPLES / "rooftop.txt").read_text()}) + "\n" for i in range(5))
    )
    args = ["score", str(corpus), str(table), "-f", "jsonl", "--explain", "2"]
    local = subprocess.run([FICRATE, *args, "--jobs", "1"], capture_output=True, text=True, check=False)
    dask = subprocess.run(
        [FICRATE, *args, "--backend", "dask", "--scheduler", local_cluster], capture_output=True, text=True, check=False
    )
    assert local.returncode == dask.returncode == 2  # the empty file, named on stderr
    assert "broken.txt: empty file" in dask.stderr
    assert dask.stdout == local.stdout and len(dask.stdout.splitlines()) == 45


@needs_default
@pytest.mark.filterwarnings("ignore")
def test_dask_backend_audit(local_cluster):
    r = subprocess.run(
        [FICRATE, "audit", str(EXAMPLES), "-f", "jsonl", "--backend", "dask", "--scheduler", local_cluster],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 1, r.stderr[-1000:]
    recs = [json.loads(line) for line in r.stdout.splitlines()]
    assert {rec["audit"]["status"] for rec in recs} >= {"ok", "flagged"}


class _InlineClient:
    """A stand-in for a dask.distributed Client: runs each submitted task at once, records it."""

    def __init__(self):
        self.tasks = []

    def submit(self, fn, *args, pure=True):
        self.tasks.append(fn.__name__)
        result = fn(*args)
        return type("Done", (), {"result": staticmethod(lambda: result)})()


@needs_default
def test_dask_sends_a_big_table_out_in_row_tasks(tmp_path):
    """One table is many tasks on a cluster (as on local workers), results in row order, same as serial."""
    from classifier.modeling.persist import load_model
    from classifier.modeling.predict import _dask_tasks, _in_order, score_stream
    from classifier.readers import ReadOptions, iter_stories

    table = _table(tmp_path, 40, 120)
    (tmp_path / "one.txt").write_text((EXAMPLES / "rooftop.txt").read_text())
    paths = [str(tmp_path / "one.txt"), str(table)]
    model, options = load_model(DEFAULT)[0], ReadOptions()
    client = _InlineClient()
    got = list(_in_order(_dask_tasks(client, model, paths, options, 1, 32, 16), 4))
    assert client.tasks == ["_score_partition", "_score_stories", "_score_stories", "_score_stories"]
    want = list(score_stream(iter_stories(paths, options), model, explain=1, jobs=1))
    assert [s.id for s, _ in got] == [s.id for s, _ in want] and len(got) == 41
    assert [p for _, p in got] == [p for _, p in want]


# -- Parallel runs and signals (issue 13) -----------------------------------------------------------


def _table(tmp_path, rows, words_per_row):
    """A JSONL table of ``rows`` stories made from our examples' text, ~``words_per_row`` words each."""
    words = " ".join((EXAMPLES / name).read_text() for name in ("rooftop.txt", "letters-home.txt")).split()
    table = tmp_path / "rows.jsonl"
    with open(table, "w") as fh:
        for i in range(rows):
            text = " ".join(words[(i + k) % len(words)] for k in range(words_per_row))
            fh.write(json.dumps({"id": f"w{i}", "text": text}) + "\n")
    return table


def _children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return {int(p) for p in fh.read().split()}


def _rows_in_order(lines):
    rows = [int(json.loads(line)["path"].rsplit("=", 1)[1]) for line in lines]
    assert rows == sorted(rows) and len(set(rows)) == len(rows)
    return rows


def _wait_for_lines(out, n, proc, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if out.exists() and out.read_text().count("\n") >= n + 1:  # + the metadata record
            return
        time.sleep(0.02)
    pytest.fail(f"fewer than {n} records written")


@needs_default
def test_ctrl_c_on_a_big_table_with_two_jobs_keeps_what_is_finished(tmp_path):
    table = _table(tmp_path, 20_000, 120)
    out = tmp_path / "out.jsonl"
    # Its own session, so that the SIGINT goes to the whole process group as a terminal's Ctrl-C does.
    with subprocess.Popen(
        [FICRATE, "score", str(table), "-f", "jsonl", "-o", str(out), "--jobs", "2", "--explain", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as proc:
        _wait_for_lines(out, 100, proc)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()[-800:]
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err
    assert err.decode().strip().endswith("results so far are written")
    lines = out.read_text().splitlines()[1:]  # after the metadata record
    assert 100 <= len(lines) < 20_000
    assert _rows_in_order(lines) == list(range(1, len(lines) + 1))  # every finished row, in order, no gap


@needs_default
@pytest.mark.parametrize("kills", [1, 2])
def test_a_killed_worker_is_retried_once_then_its_inputs_fail(tmp_path, kills):
    rows = 160
    table = _table(tmp_path, rows, 8000)  # tasks of 16 rows that take long enough to be killed mid-way
    out = tmp_path / "out.jsonl"
    with subprocess.Popen(
        [FICRATE, "score", str(table), "-f", "jsonl", "-o", str(out), "--jobs", "2", "--explain", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        _wait_for_lines(out, 16, proc)
        seen = _children(proc.pid)
        os.kill(min(seen), signal.SIGKILL)
        if kills == 2:
            # The task that worker had is run again, alone, on new workers: kill those as well.
            deadline = time.time() + 60
            while time.time() < deadline and len(_children(proc.pid) - seen) < 2:  # the new pool's two workers
                time.sleep(0.005)
            for pid in _children(proc.pid) - seen:
                os.kill(pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=300)
    text = err.decode()
    assert "Traceback" not in text and "BrokenProcessPool" not in text
    lines = out.read_text().splitlines()[1:]  # after the metadata record
    kept = _rows_in_order(lines)
    if kills == 1:
        assert proc.returncode == 0, text[-800:]
        assert kept == list(range(1, rows + 1))  # the retry succeeded: nothing lost
        return
    assert proc.returncode == 2, text[-800:]
    lost = [line for line in text.splitlines() if "a worker process died while scoring it, and again on retry" in line]
    assert len(lost) == 16  # one line per row of the task whose worker died twice
    lost_rows = sorted(int(line.split("#row=")[1].split(":")[0]) for line in lost)
    assert sorted(kept + lost_rows) == list(range(1, rows + 1))  # everything else is kept
