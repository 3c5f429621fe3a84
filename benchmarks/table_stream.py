"""Time to first record, total time and peak RSS of ``ficrate score TABLE -f jsonl --jobs N``.

Issue 12 ("Archive runs"): a single big table with several jobs must stream, its first record
within 20% of the run, in input order, peak RSS ≤ 1 GB. The table is built at run time from
../shared/data/fulltext.jsonl.gz (the first ``--stories`` rows) into a temporary folder and
removed afterwards; no text is printed.

    python benchmarks/table_stream.py --stories 1844 --jobs 2
    python benchmarks/table_stream.py --table /tmp/big.jsonl --jobs 2   # an existing table
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "fulltext.jsonl.gz"


def build_table(dest: Path, stories: int) -> int:
    """Copy the first ``stories`` rows of the shared full-text table to ``dest``; returns its size."""
    with gzip.open(SHARED, "rb") as src, open(dest, "wb") as out:
        for n, line in enumerate(src):
            if n >= stories:
                break
            out.write(line)
    return dest.stat().st_size


def run(table: Path, jobs: int, explain: int, ficrate: str | None = None) -> dict[str, float]:
    """One run: seconds to the first record on stdout, total seconds, CPU seconds (user + system,
    workers included) and peak RSS (MB) of the largest process, from /usr/bin/time -v."""
    ficrate = ficrate or shutil.which("ficrate") or str(REPO / ".venv" / "bin" / "ficrate")
    cmd = [ficrate, "score", str(table), "-f", "jsonl", "--jobs", str(jobs), "--explain", str(explain)]
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    start = time.monotonic()
    proc = subprocess.Popen([*timer, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    first = None
    records = 0
    last_order = -1
    in_order = True
    for line in proc.stdout:
        if first is None:
            first = time.monotonic() - start
        rec = json.loads(line)
        row = int(rec["path"].rsplit("=", 1)[1])
        in_order = in_order and row > last_order
        last_order = row
        records += 1
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.wait()
    total = time.monotonic() - start
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    cpu = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", err))
    return {
        "records": records,
        "first_s": first or float("nan"),
        "total_s": total,
        "first_share": (first or total) / total,
        "cpu_s": cpu,
        "peak_rss_mb": int(rss.group(1)) / 1024 if rss else float("nan"),
        "in_order": float(in_order),
        "exit": proc.returncode,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stories", type=int, default=1844)
    ap.add_argument("--table", type=Path, help="An existing JSONL/CSV table instead of building one.")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--explain", type=int, default=3)
    ap.add_argument("--ficrate", help="The ficrate executable to measure (default: the one on PATH).")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ficrate-table-") as tmp:
        table = args.table
        if table is None:
            if not SHARED.exists():
                sys.exit(f"{SHARED} not found")
            table = Path(tmp) / "fulltext.jsonl"
            size = build_table(table, args.stories)
            print(f"table: {args.stories} stories, {size / 1e6:.1f} MB")
        result = run(table, args.jobs, args.explain, args.ficrate)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
