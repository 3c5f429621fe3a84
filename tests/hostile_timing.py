"""Time each hostile input (tests/hostile_inputs.py) at its size and twice it, one process per run.

    .venv/bin/python -m tests.hostile_timing [--timeout 60] [case ...]

Prints seconds, peak RSS and the outcome; the ratio of the two sizes shows linearity.
Not a test (timings belong in benchmarks): run it by hand before and after a change.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from tests.hostile_inputs import CASES

CHILD = r"""
import json, resource, sys, time
from tests.hostile_inputs import CASES, NAMES
from classifier.readers import ReadError, ReadOptions, read_bytes
case, n = sys.argv[1], int(sys.argv[2])
data = CASES[case][0](n)
opts = ReadOptions()
opts.get_taxonomy()
t = time.perf_counter()
try:
    out = []
    for s in read_bytes(data, NAMES.get(case, "story.txt"), opts):
        out.append(f"{s.body_words} words" if not isinstance(s, ReadError) else str(s))
except ReadError as e:
    out = [str(e)]
except Exception as e:
    out = [f"{type(e).__name__}: {str(e)[:80]}"]
dt = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"bytes": len(data), "s": round(dt, 3), "rss_mb": rss, "out": "; ".join(out)[:90]}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cases", nargs="*")
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    for case in args.cases or CASES:
        n = CASES[case][1]
        for size in (n, 2 * n):
            try:
                r = subprocess.run(
                    [sys.executable, "-c", CHILD, case, str(size)], capture_output=True, text=True, timeout=args.timeout
                )
                res = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else {"err": r.stderr[-200:]}
            except subprocess.TimeoutExpired:
                res = {"s": f">{args.timeout}", "out": "timed out"}
            print(f"{case:22} n={size:<7} {json.dumps(res, ensure_ascii=False)}", flush=True)


if __name__ == "__main__":
    main()
