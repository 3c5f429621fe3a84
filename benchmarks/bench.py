"""ficrate benchmark: scoring throughput vs a bare hashing+linear floor, peak RSS, training time.

Builds a synthetic corpus of a chosen size from our own example stories and clear-cut
passages (text we wrote), then measures, in one run on this machine:

* ficrate end to end, ``ficrate score CORPUS -f jsonl -o OUT --explain 1 --jobs N`` as a
  subprocess, on 1 core and on all cores, in MB/s and stories/s, with the peak RSS of the
  largest process of its tree. That is the whole chain of :mod:`classifier.modeling.scorer`:
  start-up and model load (arrays + JSON, numpy only), reading and header parsing, ~300-word
  passages, lexicon counts per passage pooled into story features, the ordinal rating and
  warning heads, the guideline rules, evidence passages and JSONL writing;
* the floor on the same texts in the same run: bare ``HashingVectorizer(ngram_range=(1, 2))``
  (2^18 features) + a linear ``decision_function`` for 12 outputs, one core, texts already in
  memory (issue 15: ficrate on one core must stay >= 0.8x of it);
* with ``--train``, the wall time, CPU time and peak RSS of
  ``ficrate train ../shared/data --out DIR --force``.

Usage::

    python benchmarks/bench.py --mb 20 [--train] [--cores 1,2] [--markdown benchmarks/README.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def build_corpus(target_mb: float, out_dir: Path, seed: int = 0) -> tuple[list[Path], int]:
    """Story files of 2k-20k words made by shuffling paragraphs of our own texts."""
    from classifier.readers import iter_stories
    from tests import clear_cut

    paragraphs: list[str] = []
    for s in iter_stories([str(REPO / "data" / "examples")]):
        paragraphs += [p for p in s.body.split("\n\n") if p.strip()]
    for name in ("PROFANITY", "BATTLE", "FUNERAL", "CUTTING", "PARTY", "SEX", "BAKERY"):
        paragraphs += [p for p in getattr(clear_cut, name).split("\n\n") if p.strip()]
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths, total, k = [], 0, 0
    while total < target_mb * 1e6:
        n_words = int(rng.uniform(2000, 20000))
        body, words = [], 0
        while words < n_words:
            p = rng.choice(paragraphs)
            body.append(p)
            words += len(p.split())
        text = f"Title: Benchmark story {k}\nRating: T\nWarnings: none\n\n" + "\n\n".join(body) + "\n"
        path = out_dir / f"story{k:06d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
        total += len(text.encode("utf-8"))
        k += 1
    return paths, total


def floor_throughput(texts: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of bare HashingVectorizer((1, 2)) + linear decision_function, one core."""
    import numpy as np
    from sklearn.feature_extraction.text import HashingVectorizer

    hv = HashingVectorizer(ngram_range=(1, 2), n_features=2**18, alternate_sign=False)
    coef = np.random.default_rng(0).normal(size=(12, 2**18)).astype(np.float32)
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), 64):
        X = hv.transform(texts[i : i + 64])
        _ = X @ coef.T
    return time.perf_counter() - t0, time.process_time() - c0


def ficrate_exe() -> str:
    return shutil.which("ficrate") or str(Path(sys.executable).parent / "ficrate")


def measured(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + sys of its tree) and peak RSS (MB, largest process) of ``cmd``."""
    # A fresh wrapper per run, so the peak RSS is this run's alone.
    wrapper = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL,"
        " stderr=subprocess.DEVNULL); r = resource.getrusage(resource.RUSAGE_CHILDREN);"
        " print(r.ru_maxrss, r.ru_utime + r.ru_stime)"
    )
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", wrapper, *cmd], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    rss_kb, cpu = done.stdout.strip().splitlines()[-1].split()
    return wall, float(cpu), int(rss_kb) / 1024


def run_ficrate(corpus: Path, jobs: int, out: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB, largest process) of ``ficrate score`` on the corpus."""
    cmd = [ficrate_exe(), "score", str(corpus), "-f", "jsonl", "-o", str(out), "--jobs", str(jobs), "--explain", "1"]
    return measured(cmd)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=20.0, help="corpus size in MB")
    ap.add_argument("--train", action="store_true", help="also time training on ../shared/data")
    ap.add_argument("--cores", default="", help="comma-separated --jobs values to run (default: 1 and all cores)")
    ap.add_argument("--markdown", type=Path, help="append a results table to this Markdown file")
    ap.add_argument(
        "--repeat", type=int, default=1, help="rounds of floor + ficrate runs, in turn; medians are reported"
    )
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ficrate-bench-"))
    try:
        paths, nbytes = build_corpus(args.mb, tmp / "corpus")
        texts = [p.read_text(encoding="utf-8") for p in paths]
        results: dict[str, Any] = {"stories": len(paths), "mb": nbytes / 1e6, "repeat": args.repeat}
        job_list = [int(j) for j in args.cores.split(",") if j] or [1, os.cpu_count() or 1]
        rounds: list[dict[str, float]] = []
        # Floor and ficrate in turn, round after round: a machine whose load drifts moves both alike.
        for _ in range(args.repeat):
            r: dict[str, float] = {}
            r["floor_s"], r["floor_cpu_s"] = floor_throughput(texts)
            for jobs in job_list:
                out = tmp / f"out{jobs}.jsonl"
                r[f"ficrate_{jobs}_s"], r[f"ficrate_{jobs}_cpu_s"], r[f"ficrate_{jobs}_rss_mb"] = run_ficrate(
                    tmp / "corpus", jobs, out
                )
            if 1 in job_list:
                r["ratio_wall"] = r["floor_s"] / r["ficrate_1_s"]
                r["ratio_cpu"] = r["floor_cpu_s"] / r["ficrate_1_cpu_s"]
            rounds.append(r)
        del texts
        for key in rounds[0]:
            results[key] = statistics.median(r[key] for r in rounds)
        if args.train:
            shared = REPO.parent / "shared" / "data"
            cmd = [ficrate_exe(), "train", str(shared), "--out", str(tmp / "model"), "--force", "-q"]
            results["train_s"], results["train_cpu_s"], results["train_rss_mb"] = measured(cmd)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    mb = results["mb"]
    rows = [
        ("corpus", f"{results['stories']} stories, {mb:.1f} MB"),
        (
            "floor: HashingVectorizer(1,2) + linear, 1 core",
            f"{mb / results['floor_s']:.2f} MB/s ({mb / results['floor_cpu_s']:.2f} MB per CPU second)",
        ),
    ]
    for jobs in job_list:
        sec = results[f"ficrate_{jobs}_s"]
        rows.append(
            (
                f"ficrate score, {jobs} core(s), end to end",
                f"{mb / sec:.2f} MB/s, {results['stories'] / sec:.1f} stories/s "
                f"({mb / results[f'ficrate_{jobs}_cpu_s']:.2f} MB per CPU second), "
                f"peak RSS {results[f'ficrate_{jobs}_rss_mb']:.0f} MB",
            )
        )
    if 1 in job_list:
        rows.append(
            (
                "1 core vs floor (target >= 0.8x)",
                f"{results['ratio_wall']:.2f}x wall, {results['ratio_cpu']:.2f}x CPU (median of rounds)",
            )
        )
        for jobs in job_list:
            if jobs > 1:
                rows.append(
                    (f"{jobs} cores vs 1 core", f"{results['ficrate_1_s'] / results[f'ficrate_{jobs}_s']:.2f}x")
                )
    if "train_s" in results:
        rows.append(
            (
                "`ficrate train ../shared/data` (target <= 10 min, <= 8 GB)",
                f"{results['train_s']:.0f} s wall, {results['train_cpu_s']:.0f} s CPU, "
                f"peak RSS {results['train_rss_mb'] / 1024:.2f} GB",
            )
        )
    table = "| measure | result |\n| --- | --- |\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)
    runs = f", median of {args.repeat} rounds" if args.repeat > 1 else ""
    report = f"\n### {time.strftime('%Y-%m-%d')}, {machine()}{runs}\n\n{table}\n"
    print(report)
    print(json.dumps(results, indent=1))
    if args.markdown:
        with open(args.markdown, "a", encoding="utf-8") as fh:
            fh.write(report)


if __name__ == "__main__":
    main()
