"""`ficrate serve`: the real server on a free loopback port, every endpoint and error path,
request ids, the access log, a non-blocking event loop, workers, and graceful SIGTERM."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import threading
import time

import pytest

from tests.serving import REPO, Server, start_server, story_text

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
jsonschema = pytest.importorskip("jsonschema")

from classifier.schema import record_schema  # noqa: E402

MAX_BYTES = 3_000_000
MAX_BATCH = 4
VALIDATORS = {r: jsonschema.Draft202012Validator(record_schema(r)) for r in ("score", "audit")}


def valid(record: str, rec: dict) -> None:
    errors = [f"{e.json_path}: {e.message[:200]}" for e in VALIDATORS[record].iter_errors(rec)]
    assert not errors, errors


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    log = tmp_path_factory.mktemp("serve") / "stderr.log"
    srv = start_server(log, "--max-bytes", str(MAX_BYTES), "--max-batch", str(MAX_BATCH))
    yield srv
    assert srv.stop() == 0, srv.stderr()[-2000:]


EXPLICIT_G = (
    "Title: Night Garden\nRating: General Audiences\nArchive Warning: No Archive Warnings Apply\n\n"
    + story_text(400, seed=3)
)


def test_healthz_and_request_ids(server):
    r = server.get("/healthz")
    assert r.status == 200
    assert r.json()["status"] == "ok" and r.json()["model"]
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    mine = server.get("/healthz", headers={"X-Request-ID": "upload-42.a"})
    assert mine.headers["x-request-id"] == "upload-42.a"
    # An unusable id (spaces, too long) is replaced, not echoed.
    other = server.get("/healthz", headers={"X-Request-ID": "bad id " * 40})
    assert re.fullmatch(r"[0-9a-f]{32}", other.headers["x-request-id"])


def test_model_endpoint(server):
    info = server.get("/v1/model").json()
    assert info["name"] == "ficrate-default"
    assert info["version"] and info["ficrate_version"]
    assert info["levels"] == ["general", "teen", "mature", "explicit"]
    assert set(info["thresholds"]) == set(info["warning_ids"])
    assert "violence" in info["warning_ids"]
    assert info["card"]["cross_validation"]


def test_score_is_the_cli_record(server, tmp_path):
    text = "Rating: Teen And Up Audiences\n\n" + story_text(300, seed=1)
    r = server.post("/v1/score", {"text": text})
    assert r.status == 200
    rec = r.json()
    valid("score", rec)
    assert rec["id"] == r.headers["x-request-id"]
    assert rec["declared"]["rating"]["canonical"] == "teen"
    # Same record as `ficrate score - -f jsonl` for the same text (apart from id/path).
    cli = subprocess.run(
        [sys.executable, "-m", "classifier", "score", "-", "-f", "jsonl"],
        input=text,
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    want = json.loads(cli.stdout)
    for key in ("id", "path"):
        rec.pop(key), want.pop(key)
    assert rec == want


def test_score_id_and_explain(server):
    rec = server.post("/v1/score", {"text": story_text(200, seed=2), "id": "work-7", "explain": 0}).json()
    valid("score", rec)
    assert rec["id"] == "work-7"
    assert rec["prediction"]["evidence"] == {}
    rec = server.post("/v1/score", {"text": story_text(200, seed=2), "explain": 1}).json()
    assert all(len(v) <= 1 for v in rec["prediction"]["evidence"].values())


def test_audit_from_header(server):
    r = server.post("/v1/audit", {"text": EXPLICIT_G, "id": "w1"})
    assert r.status == 200
    rec = r.json()
    valid("audit", rec)
    assert rec["declared"]["rating"]["canonical"] == "general"
    assert rec["flagged"] is (rec["audit"]["status"] == "flagged")
    assert rec["flagged"], rec["audit"]
    assert rec["audit"]["verdicts"][0]["kind"] == "under-rated"


def test_audit_with_declared_overrides_the_header(server):
    body = {"text": EXPLICIT_G, "declared": {"rating": "Mature", "warnings": ["Graphic Depictions Of Violence"]}}
    rec = server.post("/v1/audit", body).json()
    valid("audit", rec)
    assert rec["declared"]["rating"]["canonical"] == "mature"
    assert rec["declared"]["warnings"]["canonical"] == ["violence"]
    assert not any(v["kind"] == "under-rated" for v in rec["audit"]["verdicts"])
    # Ids work too; [] declares "no warnings"; a rating only keeps the header's warnings.
    rec = server.post("/v1/audit", {"text": "A quiet day.\n" * 30, "declared": {"warnings": ["violence"]}}).json()
    assert rec["declared"]["warnings"] == {"status": "declared", "canonical": ["violence"], "unmapped": []}
    rec = server.post("/v1/audit", {"text": "A quiet day.\n" * 30, "declared": {"rating": "K", "warnings": []}}).json()
    valid("audit", rec)
    assert rec["declared"]["warnings"]["status"] == "none"
    assert rec["declared"]["rating"] == {"raw": "K", "scale": "ffn", "canonical": "general"}


def test_batches_keep_order_and_limit(server):
    items = [{"text": story_text(150, seed=k, violent=k % 2 == 1)} for k in range(3)]
    items[1]["id"] = "mine"
    items[2]["explain"] = 0
    r = server.post("/v1/score:batch", {"items": items})
    assert r.status == 200
    out = r.json()["items"]
    rid = r.headers["x-request-id"]
    assert [o["id"] for o in out] == [f"{rid}.0", "mine", f"{rid}.2"]
    assert out[2]["prediction"]["evidence"] == {}
    for o in out:
        valid("score", o)
    single = [server.post("/v1/score", it).json()["prediction"] for it in items]
    assert [o["prediction"] for o in out] == single

    audits = server.post("/v1/audit:batch", {"items": [{"text": EXPLICIT_G}, {"text": "A calm sea.\n" * 20}]})
    assert audits.status == 200
    for o in audits.json()["items"]:
        valid("audit", o)
        assert isinstance(o["flagged"], bool)
    assert audits.json()["items"][0]["flagged"] is True

    over = server.post("/v1/score:batch", {"items": [{"text": "hello there"}] * (MAX_BATCH + 1)})
    assert over.status == 422 and f"at most {MAX_BATCH}" in over.json()["error"]
    assert server.post("/v1/audit:batch", {"items": []}).status == 422
    bad = server.post("/v1/score:batch", {"items": [{"text": "fine words"}, {"text": "  "}]})
    assert bad.status == 422 and bad.json()["error"].startswith("items.1.text")


BAD = [
    # (method, path, raw body, content type, status, words in the reason)
    ("POST", "/v1/score", b'{"text": ', "application/json", 400, "malformed JSON"),
    ("POST", "/v1/score", b"\xff\xfe\x00junk", "application/json", 400, "malformed JSON"),
    ("POST", "/v1/score", b"text=hello", "application/x-www-form-urlencoded", 400, "not JSON"),
    ("POST", "/v1/score", b"", "application/json", 422, "JSON object is required"),
    ("POST", "/v1/score", b"[1, 2]", "application/json", 422, "expected a JSON object"),
    ("POST", "/v1/score", b'"just a string"', "application/json", 422, "expected a JSON object"),
    ("POST", "/v1/score", b"{}", "application/json", 422, "text"),
    ("POST", "/v1/score", b'{"text": 42}', "application/json", 422, "text"),
    ("POST", "/v1/score", b'{"text": null}', "application/json", 422, "text"),
    ("POST", "/v1/score", b'{"text": ""}', "application/json", 422, "no story text"),
    ("POST", "/v1/score", b'{"text": " \\n\\t "}', "application/json", 422, "no story text"),
    (
        "POST",
        "/v1/score",
        b'{"text": "Rating: Explicit\\nWarnings: None\\n"}',
        "application/json",
        422,
        "only a header",
    ),
    ("POST", "/v1/score", b'{"text": "hi", "explain": 99}', "application/json", 422, "explain"),
    ("POST", "/v1/score", b'{"text": "hi", "explain": "3"}', "application/json", 422, "explain"),
    ("POST", "/v1/score", b'{"text": "hi", "id": 5}', "application/json", 422, "id"),
    ("POST", "/v1/score", b'{"text": "hi", "colour": "red"}', "application/json", 422, "unknown field"),
    ("POST", "/v1/audit", b'{"text": "hi", "declared": {"rating": "Q"}}', "application/json", 422, "declared.rating"),
    ("POST", "/v1/audit", b'{"text": "hi", "declared": {"rating": 3}}', "application/json", 422, "declared.rating"),
    ("POST", "/v1/audit", b'{"text": "hi", "declared": {"warnings": [1]}}', "application/json", 422, "declared"),
    ("POST", "/v1/audit", b'{"text": "hi", "declared": "M"}', "application/json", 422, "declared"),
    ("POST", "/v1/score:batch", b'{"items": {"text": "x"}}', "application/json", 422, "items"),
    ("POST", "/v1/audit:batch", b'{"items": [{"txt": "x"}]}', "application/json", 422, "items.0"),
    ("GET", "/v1/score", None, "application/json", 405, "Method Not Allowed"),
    ("POST", "/v1/nowhere", b"{}", "application/json", 404, "Not Found"),
]


@pytest.mark.parametrize(("method", "path", "raw", "ctype", "status", "words"), BAD)
def test_bad_input_is_a_4xx_with_one_line(server, method, path, raw, ctype, status, words):
    r = server.request(method, path, raw=raw, headers={"Content-Type": ctype})
    assert r.status == status, r.body
    err = r.json()
    assert words in err["error"], err
    assert "\n" not in err["error"] and len(err["error"]) < 300
    assert err["request_id"] == r.headers["x-request-id"]


def test_body_over_the_cap_is_413(server):
    big = json.dumps({"text": "word " * (MAX_BYTES // 5 + 10)}).encode()
    r = server.post("/v1/score", raw=big)
    assert r.status == 413 and "limit" in r.json()["error"]
    assert r.headers["x-request-id"]
    # Without a Content-Length (chunked upload) the cap holds too.
    r = server.post("/v1/score", raw=big, chunked=True)
    assert r.status == 413
    # Just under the cap is fine.
    ok = json.dumps({"text": story_text(2000)}).encode()
    assert server.post("/v1/score", raw=ok, chunked=True).status == 200


def test_odd_but_valid_json(server):
    # A lone surrogate is valid JSON (an escape) but not UTF-8: it comes back escaped, not a 500.
    r = server.post("/v1/score", raw=b'{"text": "The cat slept \\ud800 by the fire.", "id": "s\\udfff"}')
    assert r.status == 200, r.body
    rec = r.json()
    assert rec["id"] == "s\udfff"
    valid("score", rec)
    r = server.post("/v1/audit", raw=b'{"text": "A calm sea.", "declared": {"rating": "\\ud800"}}')
    assert r.status == 422 and "declared.rating" in r.json()["error"]
    # Nesting deeper than the parser goes, trailing junk, duplicate keys (the last wins).
    assert server.post("/v1/score", raw=b"[" * 100_000 + b"]" * 100_000).status == 400
    assert server.post("/v1/score", raw=b'{"text": "x"} junk').status == 400
    assert server.post("/v1/score", raw=b'{"text": "x", "text": 5}').status == 422


def test_junk_is_never_a_5xx(server):
    rng = random.Random(11)
    shapes = [
        lambda: bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))),
        lambda: json.dumps(
            {"text": "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(1, 300)))}
        ).encode(),
        lambda: json.dumps(
            {"text": rng.choice(["<html><body></body></html>", "\x00\x00", "Rating:", "---\n---"])}
        ).encode(),
        lambda: json.dumps({"items": [{"text": "x" * rng.randrange(0, 5)}] * rng.randrange(0, 6)}).encode(),
        lambda: json.dumps([rng.random()] * 3).encode(),
        lambda: (
            b'{"text": "'
            + b"a" * rng.randrange(0, 50)
            + b'", "declared": {"rating": "'
            + b"M" * rng.randrange(0, 3)
            + b'"}}'
        ),
    ]
    paths = ["/v1/score", "/v1/audit", "/v1/score:batch", "/v1/audit:batch"]
    for _ in range(120):
        r = server.post(rng.choice(paths), raw=rng.choice(shapes)())
        assert r.status < 500, r.body


def test_openapi_document(server):
    doc = server.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for path in ("/healthz", "/v1/model", "/v1/score", "/v1/audit", "/v1/score:batch", "/v1/audit:batch"):
        assert path in doc["paths"], path
    schemas = doc["components"]["schemas"]
    assert {"ScoreRecord", "AuditRecord", "ScoreRequest", "AuditRequest", "Error"} <= set(schemas)
    ok = doc["paths"]["/v1/score"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/ScoreRecord"}
    refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(doc))
    assert refs and all(r in schemas for r in refs)


def test_access_log_on_stderr(server):
    r = server.get("/v1/model", headers={"X-Request-ID": "log-me-1"})
    assert r.status == 200
    time.sleep(0.2)
    lines = [ln for ln in server.stderr().splitlines() if "id=log-me-1" in ln]
    assert len(lines) == 1
    assert '"GET /v1/model" 200' in lines[0] and "ms" in lines[0]


def test_scoring_does_not_block_the_event_loop(tmp_path):
    # ~22 MB: over a second of scoring even on a fast machine (its own server, for the cap).
    server = start_server(tmp_path / "stderr.log", "--max-bytes", "60000000")
    big = {"text": story_text(4_000_000, seed=5)}
    done: dict[str, float] = {}

    def score_big() -> None:
        r = server.post("/v1/score", big)
        done["status"], done["seconds"] = r.status, r.seconds

    t = threading.Thread(target=score_big)
    t.start()
    time.sleep(0.3)
    pings = []
    while t.is_alive() and len(pings) < 50:
        pings.append(server.get("/healthz").seconds)
        time.sleep(0.05)
    t.join(60)
    assert done["status"] == 200
    assert done["seconds"] > 0.6, "the big story scored too fast for this check to mean anything"
    assert len(pings) >= 3
    # Health checks answer while the story is scored, not after it.
    assert max(pings) < done["seconds"] / 2, (pings, done)
    assert server.stop() == 0, server.stderr()[-2000:]


def test_sigterm_lets_in_flight_requests_finish(tmp_path):
    srv = start_server(tmp_path / "stderr.log", "--max-bytes", str(MAX_BYTES))
    result: dict[str, object] = {}

    def score_big() -> None:
        r = srv.post("/v1/score", {"text": story_text(300_000, seed=6), "id": "in-flight"})
        result["status"], result["id"] = r.status, r.json().get("id")

    t = threading.Thread(target=score_big)
    t.start()
    # SIGTERM once the request is in (its body read, scoring under way).
    time.sleep(0.6)
    assert srv.proc.poll() is None
    code = srv.stop(timeout=60)
    t.join(60)
    assert result == {"status": 200, "id": "in-flight"}
    assert code == 0, srv.stderr()[-2000:]
    assert "stopped (SIGTERM)" in srv.stderr()


def test_two_workers_each_load_the_model(tmp_path):
    srv = start_server(tmp_path / "stderr.log", "--workers", "2")
    try:
        deadline = time.monotonic() + 30
        while srv.stderr().count("loaded (pid") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert srv.stderr().count("loaded (pid") == 2
        for k in range(6):
            r = srv.post("/v1/score", {"text": story_text(300, seed=k)})
            assert r.status == 200
            valid("score", r.json())
    finally:
        code = srv.stop(timeout=60)
    assert code == 0, srv.stderr()[-2000:]


def test_serve_without_the_extra_says_so():
    code = (
        "import sys; sys.modules['fastapi'] = None; sys.argv = ['ficrate', 'serve']; "
        "from classifier.cli import run; run()"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False, timeout=60)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'ficrate[serve]'" in lines[0], r.stderr


def test_serve_with_a_bad_model_exits_2(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "classifier", "serve", "--model", str(tmp_path / "nothing")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=60,
    )
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
