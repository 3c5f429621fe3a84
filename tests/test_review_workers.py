"""Review: workers of a run that was killed (SIGKILL, no chance to clean up) do not stay behind."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

DEFAULT = REPO / "models" / "ficrate-default"
TEXT = "She walked to the market and bought bread. The morning was quiet and he hit him until blood ran. " * 200


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(
    not Path("/proc/self/task").exists() or not (DEFAULT / "model_card.json").exists(),
    reason="needs /proc and the default model",
)
def test_workers_exit_when_the_parent_is_killed(tmp_path):
    table = tmp_path / "big.csv"
    with open(table, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        for i in range(3000):
            w.writerow([f"r{i}", TEXT])
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "classifier",
            "score",
            str(table),
            "-j",
            "2",
            "-f",
            "jsonl",
            "-o",
            str(tmp_path / "o.jsonl"),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[int] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(workers) < 2:
        workers = _children(proc.pid)
        time.sleep(0.1)
    try:
        assert len(workers) >= 2, "the workers never started"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.1)
        assert not any(_alive(p) for p in workers)
    finally:
        for p in workers:
            if _alive(p):
                os.kill(p, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
