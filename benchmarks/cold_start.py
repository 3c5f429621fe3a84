"""ficrate cold start: CPU time of one ``ficrate score`` and of loading and scoring in a fresh process.

Issue 10's targets, on one story of about 1,700 words (``benchmarks/story-1700.txt``, text we
wrote):

* ``ficrate score story.txt -f json`` as a new process: CPU (user + system, the process and
  everything it waited for) <= 1.0 s;
* in one new process, ``import classifier; classifier.load_model()`` <= 0.3 s CPU, then
  ``model.score(text)`` of that story <= 0.1 s CPU.

Every figure is a fresh process, repeated ``--runs`` times; the median is the figure to quote
(min and max show how noisy the machine was). The in-process times are the interpreter's own
CPU clock read around each step (the interpreter's start-up is shown on its own line). The
run also checks that scoring imported none of scikit-learn, pandas, SciPy or joblib.

Usage::

    python benchmarks/cold_start.py [--runs 7] [--python OTHER_VENV/bin/python] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STORY = HERE / "story-1700.txt"

# Runs in a fresh interpreter: CPU of the steps, and which heavy packages got imported.
IN_PROCESS = r"""
import json, resource, sys, time
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
start = cpu()
w0 = time.perf_counter()
import classifier
model = classifier.load_model()
loaded = cpu()
w1 = time.perf_counter()
text = open(sys.argv[1], encoding="utf-8").read()
t = cpu()
w2 = time.perf_counter()
pred = model.score(text)
scored = cpu()
w3 = time.perf_counter()
model.score(text)
again = cpu()
heavy = sorted(m for m in ("sklearn", "pandas", "scipy", "joblib", "pydantic") if m in sys.modules)
print(json.dumps({
    "startup": start, "load": loaded - start, "score": scored - t, "score_again": again - scored,
    "load_wall": w1 - w0, "score_wall": w3 - w2, "rating": pred.rating, "heavy": heavy,
}))
"""

TARGETS = {"cli": 1.0, "load": 0.3, "score": 0.1}


def child_cpu(cmd: list[str], cwd: str) -> tuple[float, float, int]:
    """CPU seconds (user + sys of the command and all it waited for), wall seconds, exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.stderr.write(done.stderr.decode(errors="replace")[-2000:])
    return cpu, wall, done.returncode


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="fresh processes per figure")
    ap.add_argument("--story", type=Path, default=STORY, help="the story to score")
    ap.add_argument("--python", default=sys.executable, help="interpreter of the install to measure")
    ap.add_argument("--ficrate", help="console script to measure (default: beside --python)")
    ap.add_argument("--markdown", type=Path, help="append the results table to this Markdown file")
    args = ap.parse_args()
    exe = args.ficrate or str(Path(args.python).parent / "ficrate")
    story = str(args.story.resolve())

    with tempfile.TemporaryDirectory(prefix="ficrate-cold-") as cwd:  # not the checkout: no ./models
        # One warm-up each (bytecode caches, page cache), not counted.
        child_cpu([exe, "score", story, "-f", "json"], cwd)
        cli = [child_cpu([exe, "score", story, "-f", "json"], cwd) for _ in range(args.runs)]
        version = [child_cpu([exe, "--version"], cwd) for _ in range(args.runs)]
        runs = []
        for _ in range(args.runs + 1):
            out = subprocess.run([args.python, "-c", IN_PROCESS, story], cwd=cwd, capture_output=True, text=True)
            if out.returncode != 0:  # e.g. a version without the library API
                print("in-process figures unavailable:", out.stderr.strip().splitlines()[-1], file=sys.stderr)
                runs = []
                break
            runs.append(json.loads(out.stdout))
        runs = runs[1:]
    if any(rc for _, _, rc in cli):
        sys.exit("ficrate score failed")

    cli_cpu = [c for c, _, _ in cli]
    load = [r["load"] for r in runs]
    score = [r["score"] for r in runs]
    heavy = sorted({m for r in runs for m in r["heavy"]})

    def verdict(values: list[float], key: str) -> str:
        return "met" if statistics.median(values) <= TARGETS[key] else "NOT met"

    rows = [
        ("story", f"{args.story.name}, {len(args.story.read_text(encoding='utf-8').split())} words"),
        (
            "`ficrate score story -f json`, CPU (user+sys)",
            f"{spread(cli_cpu)}; target <= 1.0 s: {verdict(cli_cpu, 'cli')}",
        ),
        ("`ficrate score story -f json`, wall", spread([w for _, w, _ in cli])),
        ("`ficrate --version`, CPU", spread([c for c, _, _ in version])),
    ]
    if runs:
        rows += [
            ("interpreter start-up, CPU", spread([r["startup"] for r in runs])),
            ("`import classifier; load_model()`, CPU", f"{spread(load)}; target <= 0.3 s: {verdict(load, 'load')}"),
            (
                "then `model.score(text)`, CPU (first call)",
                f"{spread(score)}; target <= 0.1 s: {verdict(score, 'score')}",
            ),
            ("`model.score(text)` again, CPU", spread([r["score_again"] for r in runs])),
            ("heavy packages imported by load + score", ", ".join(heavy) or "none"),
        ]
    table = f"| measure | median (min, max) over {args.runs} fresh processes |\n| --- | --- |\n"
    table += "\n".join(f"| {a} | {b} |" for a, b in rows)
    report = f"\n### {time.strftime('%Y-%m-%d')}, cold start, {os.cpu_count()} cores, {args.python}\n\n{table}\n"
    print(report)
    if args.markdown:
        with open(args.markdown, "a", encoding="utf-8") as fh:
            fh.write(report)


if __name__ == "__main__":
    main()
