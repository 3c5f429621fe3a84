"""ficrate benchmark: scoring throughput vs a bare hashing+linear floor, peak RSS, training time.

Builds a synthetic corpus of a chosen size from our own example stories and clear-cut
passages (text we wrote), then measures, in one run on this machine:

* ficrate end-to-end scoring (read, split, featurize, predict, pool, write JSONL) on 1 core
  and on all cores, in MB/s and stories/s, with peak RSS of the scoring process tree;
* the floor on the same texts in the same run: bare ``HashingVectorizer(ngram_range=(1, 2))``
  + a linear ``decision_function``, one core;
* optionally, training time on all of ``../shared/data``.

Usage::

    python benchmarks/bench.py --mb 50 [--train] [--markdown benchmarks/README.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def floor_throughput(texts: list[str]) -> float:
    """Seconds for bare HashingVectorizer((1, 2)) + linear decision_function, one core."""
    import numpy as np
    from sklearn.feature_extraction.text import HashingVectorizer

    hv = HashingVectorizer(ngram_range=(1, 2), n_features=2**18, alternate_sign=False)
    coef = np.random.default_rng(0).normal(size=(12, 2**18)).astype(np.float32)
    t0 = time.perf_counter()
    for i in range(0, len(texts), 64):
        X = hv.transform(texts[i : i + 64])
        _ = X @ coef.T
    return time.perf_counter() - t0


def run_ficrate(corpus: Path, jobs: int, out: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB, largest process of its tree) of ``ficrate score`` on the corpus."""
    exe = shutil.which("ficrate") or str(Path(sys.executable).parent / "ficrate")
    cmd = [exe, "score", str(corpus), "-f", "jsonl", "-o", str(out), "--jobs", str(jobs), "--explain", "1"]
    # A fresh wrapper per run, so the peak RSS is this run's alone.
    wrapper = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL,"
        " stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", wrapper, *cmd], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    return wall, int(done.stdout.strip().splitlines()[-1]) / 1024


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
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ficrate-bench-"))
    try:
        paths, nbytes = build_corpus(args.mb, tmp / "corpus")
        texts = [p.read_text(encoding="utf-8") for p in paths]
        floor_s = floor_throughput(texts)
        del texts
        results = {"stories": len(paths), "mb": nbytes / 1e6, "floor_s": floor_s}
        job_list = [int(j) for j in args.cores.split(",") if j] or [1, os.cpu_count() or 1]
        for jobs in job_list:
            wall, rss = run_ficrate(tmp / "corpus", jobs, tmp / f"out{jobs}.jsonl")
            results[f"ficrate_{jobs}_s"] = wall
            results[f"ficrate_{jobs}_rss_mb"] = rss
        if args.train:
            shared = REPO.parent / "shared" / "data"
            exe = shutil.which("ficrate") or str(Path(sys.executable).parent / "ficrate")
            t0 = time.perf_counter()
            subprocess.run(
                [exe, "train", str(shared), "--out", str(tmp / "model"), "-q"], check=True, stdout=subprocess.DEVNULL
            )
            results["train_s"] = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    mb = results["mb"]
    rows = [
        ("corpus", f"{results['stories']} stories, {mb:.1f} MB"),
        ("floor: HashingVectorizer(1,2) + linear, 1 core", f"{mb / results['floor_s']:.2f} MB/s"),
    ]
    for jobs in job_list:
        sec = results[f"ficrate_{jobs}_s"]
        rows.append(
            (
                f"ficrate score, {jobs} core(s), end to end",
                f"{mb / sec:.2f} MB/s, {results['stories'] / sec:.1f} stories/s, "
                f"peak RSS {results[f'ficrate_{jobs}_rss_mb']:.0f} MB",
            )
        )
    if 1 in job_list:
        rows.append(("1 core vs floor", f"{results['floor_s'] / results['ficrate_1_s']:.2f}x"))
        for jobs in job_list:
            if jobs > 1:
                rows.append(
                    (f"{jobs} cores vs 1 core", f"{results['ficrate_1_s'] / results[f'ficrate_{jobs}_s']:.2f}x")
                )
    if "train_s" in results:
        rows.append(("training on all ../shared/data", f"{results['train_s']:.0f} s"))
    table = "| measure | result |\n| --- | --- |\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)
    report = f"\n### {time.strftime('%Y-%m-%d')}, {machine()}\n\n{table}\n"
    print(report)
    print(json.dumps(results, indent=1))
    if args.markdown:
        with open(args.markdown, "a", encoding="utf-8") as fh:
            fh.write(report)


if __name__ == "__main__":
    main()
