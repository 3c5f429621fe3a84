"""``ficrate serve``: a warm HTTP JSON service for upload pipelines (FastAPI on uvicorn).

Endpoints: ``GET /healthz``, ``GET /v1/model``, ``POST /v1/score``, ``POST /v1/audit`` and the
``:batch`` variants; the OpenAPI document is at ``/openapi.json``. Responses are the records
``ficrate score|audit -f jsonl`` write (their JSON Schemas: :mod:`classifier.schema`), built by
the same library calls (:meth:`classifier.api.Model.score_records` / ``audit_records``).

Bad input is never a 5xx: malformed JSON 400, wrong fields or types 422, an empty text 422, a
body over ``max_bytes`` 413, each with a one-line ``error``. Every response carries an
``X-Request-ID`` (the client's, when it sent a usable one); one access line per request goes to
stderr. Scoring runs on a thread pool (``threads`` at a time per worker process), so the event
loop keeps answering while a long story is scored; ``workers`` processes each load the model
once. SIGTERM stops accepting connections and lets in-flight requests finish.

Needs the ``serve`` extra (``pip install 'ficrate[serve]'``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Annotated, Any

import anyio
import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.protocols.http.h11_impl import H11Protocol

from classifier import __version__
from classifier.api import InputError, Model, load_model, story_from_text
from classifier.schema import record_schema

#: Environment variable carrying the configuration to worker processes (``--workers`` > 1).
CONFIG_ENV = "FICRATE_SERVE_CONFIG"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_BATCH = 64

log = logging.getLogger("ficrate.serve")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class ServeConfig:
    """How the service runs (one per process; workers get it through :data:`CONFIG_ENV`)."""

    model: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    max_batch: int = DEFAULT_MAX_BATCH
    #: Stories scored at the same time in one worker process (threads).
    threads: int = 2

    def to_env(self) -> str:
        """JSON form for :data:`CONFIG_ENV`."""
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> ServeConfig:
        """The configuration a parent process left in :data:`CONFIG_ENV` (defaults without one)."""
        raw = os.environ.get(CONFIG_ENV)
        return cls(**json.loads(raw)) if raw else cls()


# -- requests -------------------------------------------------------------------------------------

Explain = Annotated[StrictInt, Field(ge=0, le=20, description="Evidence passages per predicted label.")]


class ScoreRequest(BaseModel):
    """One story to score."""

    model_config = ConfigDict(extra="forbid")

    text: StrictStr = Field(description="Story text; a header at the top is parsed off and never scored.")
    id: StrictStr | None = Field(None, description="Story id for the record (default: the request id).")
    explain: Explain = 3


class DeclaredIn(BaseModel):
    """What the story declares, instead of (or over) its header; a field left out keeps the header's."""

    model_config = ConfigDict(extra="forbid")

    rating: StrictStr | None = Field(None, description="A rating as written on any known scale: M, Explicit, K+ ...")
    warnings: list[StrictStr] | StrictStr | None = Field(
        None, description="Warning terms as written, or warning ids; [] means explicitly none."
    )


class AuditRequest(ScoreRequest):
    """One story to audit: declared (its header, or ``declared``) against predicted."""

    declared: DeclaredIn | None = None


class ScoreBatch(BaseModel):
    """Several stories to score (at most ``--max-batch``), answered in order."""

    model_config = ConfigDict(extra="forbid")

    items: list[ScoreRequest]


class AuditBatch(BaseModel):
    """Several stories to audit (at most ``--max-batch``), answered in order."""

    model_config = ConfigDict(extra="forbid")

    items: list[AuditRequest]


# -- request ids, body cap, access log ------------------------------------------------------------

_GOOD_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def _error_body(status: int, reason: str, rid: str) -> bytes:
    return json.dumps({"error": reason, "status": status, "request_id": rid}).encode()


class Frontdoor:
    """Pure ASGI middleware: a request id on every response, the body cap (413), one access line.

    The body is read here (at most ``max_bytes``) before the application sees it, so an
    oversized upload is refused as soon as it passes the cap, whether or not it sent a length.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        given = headers.get("x-request-id", "")
        rid = given if _GOOD_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        seen = {"status": 0, "bytes": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            elif message["type"] == "http.response.body":
                seen["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            body_receive = await self._read_body(scope, receive, headers)
            if body_receive is None:
                await self._refuse(send_with_id, 413, f"request body over the {self.max_bytes}-byte limit", rid)
            else:
                await self.app(scope, body_receive, send_with_id)
        finally:
            ms = (time.perf_counter() - started) * 1000
            client = scope.get("client") or ("-", 0)
            log.info(
                '%s:%s "%s %s" %s %dB %.1fms pid=%d id=%s',
                client[0],
                client[1],
                scope.get("method", "-"),
                scope.get("path", "-"),
                seen["status"] or "-",
                seen["bytes"],
                ms,
                os.getpid(),
                rid,
            )

    async def _read_body(self, scope: Scope, receive: Receive, headers: dict[str, str]) -> Receive | None:
        """A receive that replays the whole body, or None when the body is over the cap."""
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            return None
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            return receive
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        return replay

    @staticmethod
    async def _refuse(send: Send, status: int, reason: str, rid: str) -> None:
        body = _error_body(status, reason, rid)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


# -- errors ---------------------------------------------------------------------------------------


class Answer(JSONResponse):
    """JSON responses as UTF-8; text holding lone surrogates (valid as ``\\ud800`` escapes in the
    request's JSON, but not encodable as UTF-8) is sent back escaped the same way."""

    def render(self, content: Any) -> bytes:
        try:
            return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _rid(request: Request) -> str:
    return str(getattr(request.state, "request_id", "") or uuid.uuid4().hex)


def _error(request: Request, status: int, reason: str) -> JSONResponse:
    return Answer({"error": reason, "status": status, "request_id": _rid(request)}, status_code=status)


def _validation_reason(exc: RequestValidationError) -> tuple[int, str]:
    """One line for the first problem of a request (400 for JSON that does not parse)."""
    errors = list(exc.errors())
    if not errors:
        return 422, "invalid request"
    first = errors[0]
    kind = str(first.get("type", ""))
    if kind == "json_invalid":
        ctx = first.get("ctx") or {}
        return 400, f"malformed JSON: {ctx.get('error', first.get('msg', 'cannot parse'))}"
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    where = ".".join(loc) or "body"
    if kind == "missing" and where == "body":
        return 422, "body: a JSON object is required"
    if where == "body" and isinstance(first.get("input"), bytes | bytearray):
        return 400, "body: not JSON (send it with Content-Type: application/json)"
    if where == "body" and kind in ("model_attributes_type", "dict_type"):
        return 422, "body: expected a JSON object"
    if kind == "extra_forbidden":
        return 422, f"{where}: unknown field"
    msg = str(first.get("msg", "invalid")).replace("\n", " ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return 422, f"{where}: {msg}{more}"


# -- the application ------------------------------------------------------------------------------


def _openapi_records(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The OpenAPI document, with the published record schemas as its response schemas."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        for record, name in (("score", "ScoreRecord"), ("audit", "AuditRecord")):
            schema = record_schema(record)
            for key, sub in schema.pop("$defs").items():
                schemas[f"Record_{key}"] = _rebase(sub)
            schema.pop("$schema", None)
            schemas[name] = _rebase(schema)
        schemas["Error"] = {
            "type": "object",
            "required": ["error", "status", "request_id"],
            "properties": {
                "error": {"type": "string", "description": "One-line reason."},
                "status": {"type": "integer"},
                "request_id": {"type": "string"},
            },
        }
        app.openapi_schema = doc
        return doc

    return build


def _rebase(node: Any) -> Any:
    """``#/$defs/x`` references → ``#/components/schemas/Record_x``."""
    if isinstance(node, dict):
        return {
            k: (
                v.replace("#/$defs/", "#/components/schemas/Record_")
                if k == "$ref" and isinstance(v, str)
                else _rebase(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node


def _record_response(name: str, batch: bool = False) -> dict[int | str, dict[str, Any]]:
    ref: dict[str, Any] = {"$ref": f"#/components/schemas/{name}"}
    schema = (
        {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref}}}
        if batch
        else ref
    )
    error_ref = {"schema": {"$ref": "#/components/schemas/Error"}}
    err = {"description": "One-line reason", "content": {"application/json": error_ref}}
    return {
        200: {"description": "The record(s)", "content": {"application/json": {"schema": schema}}},
        400: err,
        413: err,
        422: err,
    }


def model_summary(model: Model) -> dict[str, Any]:
    """What ``GET /v1/model`` answers: name, version, card summary, thresholds, taxonomy ids."""
    card = model.card
    cv = card.get("metrics", {}).get("cross_validation", {})
    rating = cv.get("rating", {})
    figures = {
        k: rating[k]["value"]
        for k in ("exact_accuracy", "within_one_accuracy", "adult_accuracy", "macro_f1")
        if isinstance(rating.get(k), dict)
    }
    arch = cv.get("archive_warnings", {}).get("micro_f1")
    if isinstance(arch, dict):
        figures["archive_warnings_micro_f1"] = arch["value"]
    taxonomy = card.get("taxonomy", {})
    return {
        "name": card.get("name"),
        "version": card.get("created"),
        "ficrate_version": __version__,
        "format": card.get("format"),
        "card": {
            "description": card.get("description"),
            "created": card.get("created"),
            "git_commit": card.get("git_commit"),
            "training_rows": card.get("data", {}).get("rows"),
            "cross_validation": figures,
            "limits": card.get("limits"),
        },
        "thresholds": model.thresholds,
        "audit_defaults": model.audit_defaults,
        "levels": list(taxonomy.get("levels", [])),
        "warning_ids": list(model.warning_ids),
        "warnings": [{"id": w.get("id"), "name": w.get("name")} for w in taxonomy.get("warnings", [])],
    }


def create_app(config: ServeConfig | None = None, model: Model | None = None) -> Any:
    """The ASGI application (FastAPI behind :class:`Frontdoor`); loads the model at start-up
    unless ``model`` is given."""
    config = config or ServeConfig()
    state: dict[str, Any] = {"model": model}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        if state["model"] is None:
            state["model"] = await anyio.to_thread.run_sync(load_model, config.model)
        state["limiter"] = anyio.CapacityLimiter(max(1, config.threads))
        log.info("model %s loaded (pid %d)", state["model"].card.get("name"), os.getpid())
        yield

    app = FastAPI(
        title="ficrate",
        version=__version__,
        description="Content rating and content warnings for fan fiction, as a local JSON service. "
        "Records are those of `ficrate score|audit -f jsonl` (`ficrate schema score|audit`).",
        lifespan=lifespan,
        default_response_class=Answer,
        # The interactive pages load scripts from a CDN; the service is for offline use.
        docs_url=None,
        redoc_url=None,
    )
    app.openapi = _openapi_records(app)  # type: ignore[method-assign]

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        status, reason = _validation_reason(exc)
        return _error(request, status, reason)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        reason = str(exc.detail)
        if exc.status_code == 400 and "parsing the body" in reason:
            reason = "malformed JSON: the body cannot be decoded (send UTF-8 JSON)"
        return _error(request, exc.status_code, reason)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> JSONResponse:
        return _error(request, 422, str(exc))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error (request %s)", _rid(request))
        return _error(request, 500, f"internal error: {type(exc).__name__}")

    async def run(fn: Callable[..., Any], *args: Any) -> Any:
        """CPU-bound work on the thread pool: the event loop keeps answering meanwhile."""
        return await anyio.to_thread.run_sync(fn, *args, limiter=state["limiter"])

    def check_batch(n: int) -> None:
        if n == 0:
            raise InputError("items: at least one item is required")
        if n > config.max_batch:
            raise InputError(f"items: {n} items, at most {config.max_batch} per batch")

    def score_items(items: list[ScoreRequest], rid: str, batch: bool) -> list[dict[str, Any]]:
        m: Model = state["model"]
        stories = [_story(it, rid, k if batch else None) for k, it in enumerate(items)]
        # One explain value per call to the model: group items that share one (usually all).
        out: list[dict[str, Any] | None] = [None] * len(items)
        for explain in sorted({it.explain for it in items}):
            idx = [k for k, it in enumerate(items) if it.explain == explain]
            for k, rec in zip(idx, m.score_records([stories[k] for k in idx], explain=explain), strict=True):
                out[k] = rec
        return [r for r in out if r is not None]

    def audit_items(items: list[AuditRequest], rid: str, batch: bool) -> list[dict[str, Any]]:
        m: Model = state["model"]
        stories = [_story(it, rid, k if batch else None) for k, it in enumerate(items)]
        out: list[dict[str, Any] | None] = [None] * len(items)
        for explain in sorted({it.explain for it in items}):
            idx = [k for k, it in enumerate(items) if it.explain == explain]
            for k, rec in zip(idx, m.audit_records([stories[k] for k in idx], explain=explain), strict=True):
                rec["flagged"] = rec["audit"]["status"] == "flagged"
                out[k] = rec
        return [r for r in out if r is not None]

    @app.get("/healthz", summary="200 once the model is loaded")
    async def healthz() -> dict[str, Any]:
        m = state["model"]
        return {"status": "ok", "model": m.card.get("name"), "ficrate_version": __version__, "pid": os.getpid()}

    @app.get("/v1/model", summary="The model: name, version, card summary, thresholds, taxonomy ids")
    async def model_info() -> dict[str, Any]:
        return model_summary(state["model"])

    @app.post("/v1/score", summary="Score one story", responses=_record_response("ScoreRecord"))
    async def score(body: ScoreRequest, request: Request) -> JSONResponse:
        records = await run(score_items, [body], _rid(request), False)
        return Answer(records[0])

    @app.post(
        "/v1/audit",
        summary="Audit one story (declared: its header or `declared`)",
        responses=_record_response("AuditRecord"),
    )
    async def audit(body: AuditRequest, request: Request) -> JSONResponse:
        records = await run(audit_items, [body], _rid(request), False)
        return Answer(records[0])

    @app.post("/v1/score:batch", summary="Score several stories", responses=_record_response("ScoreRecord", True))
    async def score_batch(body: ScoreBatch, request: Request) -> JSONResponse:
        check_batch(len(body.items))
        return Answer({"items": await run(score_items, body.items, _rid(request), True)})

    @app.post("/v1/audit:batch", summary="Audit several stories", responses=_record_response("AuditRecord", True))
    async def audit_batch(body: AuditBatch, request: Request) -> JSONResponse:
        check_batch(len(body.items))
        return Answer({"items": await run(audit_items, body.items, _rid(request), True)})

    return Frontdoor(app, config.max_bytes)


def _story(item: ScoreRequest, rid: str, index: int | None) -> Any:
    where = "" if index is None else f"items.{index}."
    story_id = item.id if item.id is not None else (rid if index is None else f"{rid}.{index}")
    declared = None
    if isinstance(item, AuditRequest) and item.declared is not None:
        declared = {k: getattr(item.declared, k) for k in item.declared.model_fields_set}
    try:
        return story_from_text(item.text, id=story_id, declared=declared)
    except InputError as exc:
        raise InputError(f"{where}{exc}") from None


def app_from_env() -> Any:
    """Factory for uvicorn's worker processes: the configuration comes from :data:`CONFIG_ENV`."""
    _configure_logging()
    return create_app(ServeConfig.from_env())


def _configure_logging() -> None:
    if not any(getattr(h, "_ficrate", False) for h in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("ficrate serve: %(message)s"))
        handler._ficrate = True  # type: ignore[attr-defined]
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


class NoDelayH11(H11Protocol):
    """uvicorn's h11 protocol with TCP_NODELAY on every connection.

    Worker processes (``--workers`` > 1) get the listening socket from the supervisor, and
    asyncio then leaves Nagle's algorithm on: each keep-alive response waited ~40 ms for a
    delayed ACK (measured: /healthz 44 ms instead of 1.4 ms).
    """

    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        super().connection_made(transport)


class Stopped(Exception):
    """The server was stopped by SIGTERM after finishing in-flight requests."""


def serve(
    config: ServeConfig, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, graceful_timeout: float = 30
) -> None:
    """Run the service until SIGINT/SIGTERM (in-flight requests finish, up to ``graceful_timeout`` s).

    The model is loaded here first, so a bad ``--model`` fails at once with a one-line
    :class:`~classifier.modeling.persist.ModelError`; with one worker that model is served,
    with several each worker process loads its own. Raises :class:`Stopped` after SIGTERM.
    """
    _configure_logging()
    model = load_model(config.model)
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": False,
        "log_level": "info",
        "timeout_graceful_shutdown": graceful_timeout,
        "server_header": False,
        "http": NoDelayH11,
    }

    def on_term(_sig: int, _frame: Any) -> None:
        raise Stopped()

    # uvicorn re-raises the signal it stopped on once it has shut down; for SIGTERM that
    # means a clean exit here instead of death by signal.
    signal.signal(signal.SIGTERM, on_term)
    if workers <= 1:
        uvicorn.run(create_app(config, model), **common)
        return
    del model
    os.environ[CONFIG_ENV] = config.to_env()
    uvicorn.run("classifier.server:app_from_env", factory=True, workers=workers, **common)
