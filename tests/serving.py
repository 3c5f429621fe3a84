"""Helpers for the server tests and benchmark: a real `ficrate serve` on a free loopback port,
stdlib HTTP calls, and story text we write ourselves."""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

GENTLE = [
    "The cat slept in the sun by the kitchen window while the kettle hummed.",
    "They baked bread together and laughed when the flour went everywhere.",
    "Grandmother read the letter twice and smiled at the drawings in the margin.",
    "He carried the picnic basket up the hill and they watched the boats.",
]
VIOLENT = [
    "He drove the knife into the guard's chest and blood poured over the stones.",
    "The soldier screamed as the blade opened his thigh and he fell into the mud.",
    "The axe came down and severed his arm, and the gore spattered the walls.",
]


def story_text(words: int, *, seed: int = 0, violent: bool = True, header: str = "") -> str:
    """A story of about ``words`` words in paragraphs (gentle, with violent passages if asked)."""
    rng = random.Random(seed)
    pool = GENTLE + (VIOLENT if violent else [])
    sentences: list[str] = []
    n = 0
    while n < words:
        s = rng.choice(pool)
        sentences.append(s)
        n += len(s.split())
    paras = [" ".join(sentences[i : i + 6]) for i in range(0, len(sentences), 6)]
    return header + "\n\n".join(paras) + "\n"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Server:
    """A `ficrate serve` child process on 127.0.0.1:port; stderr goes to ``log``."""

    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60,
        chunked: bool = False,
    ) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        data: Any = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        started = time.perf_counter()
        try:
            if chunked:
                chunk = 64 * 1024
                parts = [data[i : i + chunk] for i in range(0, len(data), chunk)]
                conn.request(method, path, body=iter(parts), headers=hdrs, encode_chunked=True)
            else:
                conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            payload = resp.read()
            return Response(
                resp.status,
                {k.lower(): v for k, v in resp.getheaders()},
                payload,
                time.perf_counter() - started,
            )
        finally:
            conn.close()

    def get(self, path: str, **kw: Any) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Response:
        return self.request("POST", path, body, **kw)

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return int(self.proc.returncode)


def start_server(log: Path, *args: str, wait: float = 60) -> Server:
    """Start `python -m classifier serve` with ``args`` and wait until /healthz answers 200."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    fh = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "classifier", "serve", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=fh,
        cwd=REPO,
        env=env,
    )
    fh.close()
    server = Server(port, proc, log)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {server.stderr()[-2000:]}")
        try:
            if server.get("/healthz", timeout=2).status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not become healthy in {wait} s: {server.stderr()[-2000:]}")
