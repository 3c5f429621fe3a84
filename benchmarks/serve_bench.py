"""`ficrate serve` benchmark, loopback only, bounded request counts.

For a story of ``--words`` words (text we write, see ``tests/serving.py``) and 1 and 2 worker
processes, it measures:

* in-process ``Model.score`` time (sequential), and the HTTP/in-process ratio for sequential
  ``POST /v1/score`` requests on one keep-alive connection;
* requests/s and p50/p95 latency with 1, 4 and 16 concurrent clients (threads, keep-alive);
* RSS per worker process after the run;
* ``/healthz`` latency while a ~300k-word story is being scored (the event loop is not blocked);
* with ``--soak N``, N mixed good and bad requests (4 clients): no 5xx, no lost answers, RSS flat.

Usage::

    python benchmarks/serve_bench.py [--words 2000] [--requests 200] [--workers 1 2] [--clients 1 4 16] [--soak 3000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.serving import Server, start_server, story_text  # noqa: E402


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def worker_pids(root: int) -> list[int]:
    """The serving processes: the root itself (one worker) or its python children (several)."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == root:
            kids.append(int(stat.parent.name))
    # uvicorn's supervisor also starts a resource tracker; workers are the ones with the model.
    kids = [k for k in kids if rss_mb(k) > 60]
    return kids or [root]


def run_clients(port: int, body: bytes, clients: int, total: int) -> tuple[float, list[float], int]:
    """``total`` requests spread over ``clients`` threads with keep-alive: (seconds, latencies, failures)."""
    lat: list[float] = []
    bad = [0]
    lock = threading.Lock()
    per = [total // clients + (k < total % clients) for k in range(clients)]

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine = []
        for _ in range(n):
            t = time.perf_counter()
            conn.request("POST", "/v1/score", body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            mine.append(time.perf_counter() - t)
            if r.status != 200:
                with lock:
                    bad[0] += 1
        conn.close()
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in per if n]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, lat, bad[0]


def healthz_while_busy(srv: Server) -> tuple[float, float, float]:
    """(big request seconds, p50 and max /healthz latency while it runs)."""
    big = json.dumps({"text": story_text(300_000, seed=9)}).encode()
    out: dict[str, float] = {}

    def go() -> None:
        r = srv.post("/v1/score", raw=big)
        out["s"] = r.seconds

    t = threading.Thread(target=go)
    t.start()
    time.sleep(0.3)
    pings = []
    while t.is_alive() and len(pings) < 100:
        pings.append(srv.get("/healthz").seconds)
        time.sleep(0.02)
    t.join()
    return out["s"], statistics.median(pings) if pings else float("nan"), max(pings) if pings else float("nan")


def soak(srv: Server, total: int, clients: int = 4) -> dict[str, object]:
    """``total`` mixed good and bad requests from ``clients`` threads (bounded): status counts,
    answers lost (no response or a wrong id), and worker RSS before, midway and after."""
    import random

    rng = random.Random(7)
    good = [
        json.dumps({"text": story_text(rng.randrange(100, 3000), seed=k), "id": f"g{k}"}).encode() for k in range(20)
    ]
    bad = [
        b'{"text": ',
        b"[1]",
        b'{"text": ""}',
        b'{"text": 3}',
        b"\xff\xfe",
        b'{"text": "hi", "x": 1}',
        json.dumps({"items": [{"text": "a b c"}] * 100}).encode(),
    ]
    plan = []
    for k in range(total):
        if rng.random() < 0.6:
            j = rng.randrange(len(good))
            plan.append(("/v1/score" if k % 2 else "/v1/audit", good[j], f"g{j}"))
        else:
            plan.append((rng.choice(["/v1/score", "/v1/audit", "/v1/score:batch"]), rng.choice(bad), None))
    counts: dict[int, int] = {}
    lost = [0]
    lock = threading.Lock()
    pids = worker_pids(srv.proc.pid)
    rss = {"before": sum(rss_mb(p) for p in pids)}

    def client(part: list[tuple[str, bytes, str | None]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        for n, (path, body, want) in enumerate(part):
            try:
                conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                payload = r.read()
                ok_id = want is None or json.loads(payload).get("id") == want
                with lock:
                    counts[r.status] = counts.get(r.status, 0) + 1
                    lost[0] += not ok_id
            except (OSError, http.client.HTTPException, ValueError):
                with lock:
                    lost[0] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
            if n == len(part) // 2 and "mid" not in rss:
                rss["mid"] = sum(rss_mb(p) for p in pids)
        conn.close()

    threads = [threading.Thread(target=client, args=(plan[k::clients],)) for k in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rss["after"] = sum(rss_mb(p) for p in pids)
    return {
        "seconds": time.perf_counter() - start,
        "status": dict(sorted(counts.items())),
        "lost": lost[0],
        "rss_mb": rss,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--words", type=int, default=2000)
    ap.add_argument("--requests", type=int, default=200, help="Requests per measurement (bounded).")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--soak", type=int, default=0, help="Also send this many mixed good/bad requests (1 worker).")
    args = ap.parse_args()

    import classifier

    text = story_text(args.words, seed=1, header="Rating: Teen And Up Audiences\n\n")
    body = json.dumps({"text": text}).encode()
    model = classifier.load_model()
    for _ in range(5):
        model.score(text)
    t = time.perf_counter()
    n_in = max(20, args.requests // 4)
    for _ in range(n_in):
        model.score(text)
    in_proc = (time.perf_counter() - t) / n_in
    del model
    print(f"story: {args.words} words, {len(body)} bytes; in-process Model.score {in_proc * 1000:.1f} ms")

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            srv = start_server(Path(tmp) / f"w{workers}.log", "--workers", str(workers), "--max-bytes", "8000000")
            try:
                time.sleep(2 if workers > 1 else 0)  # every worker up
                run_clients(srv.port, body, 1, 10)  # warm-up
                secs, lat, bad = run_clients(srv.port, body, 1, args.requests)
                ratio = statistics.median(lat) / in_proc
                print(f"workers={workers} sequential: p50 {pct(lat, 0.5) * 1000:.1f} ms, HTTP/in-process {ratio:.2f}x")
                for clients in args.clients:
                    secs, lat, bad = run_clients(srv.port, body, clients, args.requests)
                    row = {
                        "workers": workers,
                        "clients": clients,
                        "rps": len(lat) / secs,
                        "p50": pct(lat, 0.5) * 1000,
                        "p95": pct(lat, 0.95) * 1000,
                        "failed": bad,
                        "ratio": ratio,
                    }
                    rows.append(row)
                    print(
                        f"workers={workers} clients={clients:>2}: {row['rps']:.1f} req/s, p50 {row['p50']:.1f} ms, "
                        f"p95 {row['p95']:.1f} ms, non-200 {bad}"
                    )
                rss = [rss_mb(p) for p in worker_pids(srv.proc.pid)]
                big_s, h50, hmax = healthz_while_busy(srv)
                print(
                    f"workers={workers}: RSS per worker {', '.join(f'{r:.0f} MB' for r in rss)}; "
                    f"/healthz during a {big_s:.2f} s score: p50 {h50 * 1000:.1f} ms, max {hmax * 1000:.1f} ms"
                )
                if args.soak and workers == args.workers[0]:
                    res = soak(srv, args.soak)
                    rss = res["rss_mb"]
                    print(
                        f"soak: {args.soak} requests in {res['seconds']:.1f} s, status {res['status']}, "
                        f"lost {res['lost']}, worker RSS MB before/mid/after "
                        + "/".join(f"{v:.0f}" for v in rss.values())  # type: ignore[union-attr]
                    )
            finally:
                code = srv.stop()
                print(f"workers={workers}: SIGTERM exit {code}")


if __name__ == "__main__":
    main()
