"""`create_app(settings)`: the Starlette application of the reference server.

Routes come from the bundled spec (`contract.operations`): each path gets one endpoint that answers
405 + Allow for any method the spec does not declare (QUERY and TRACE included), checks the key, and
hands the request to the handler registered for the operationId. Everything a handler raises ends up
as the OpenAI error object; nothing a client sends can produce a 5xx short of a bug.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from aitre.paths import BUNDLED_SPEC
from aitre.server import answerlog, audio, chat, completions, embeddings, files, images, midjourney, models
from aitre.server.auth import authenticate
from aitre.server.contract import Operation, load_document, operations
from aitre.server.errors import ApiError
from aitre.server.limits import SizeLimits
from aitre.server.runtime import Handler, Runtime
from aitre.server.settings import ServerSettings
from aitre.server.validation import RequestValidator

log = logging.getLogger("aitre.server")

HANDLERS: dict[str, Handler] = {
    **completions.HANDLERS,
    **chat.HANDLERS,
    **embeddings.HANDLERS,
    **models.HANDLERS,
    **images.HANDLERS,
    **audio.HANDLERS,
    **midjourney.HANDLERS,
}
# Rules between fields, by operationId: `(settings, body) -> None`, raising a 400 ApiError. The spec states
# most of them as if/then rules (G8), not all; exposed so test generators can tell a schema-valid body this
# server refuses on purpose.
SEMANTIC_CHECKS: dict[str, Callable[[ServerSettings, dict[str, Any]], None]] = {
    **completions.SEMANTIC_CHECKS,
    **chat.SEMANTIC_CHECKS,
    **embeddings.SEMANTIC_CHECKS,
    **images.SEMANTIC_CHECKS,
    **audio.SEMANTIC_CHECKS,
}
# MidJourney speed prefixes: `/mj-turbo/mj/...` is the same API as `/mj/...` (spec/DECISIONS.md M1).
MJ_MODE_PREFIXES = ("", "/mj-fast", "/mj-turbo", "/mj-relax")

_LAST_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def _route_path(spec_path: str) -> str:
    # A parameter in the last segment may hold a percent-encoded "/" (model ids such as "org/model").
    return _LAST_PARAM.sub(r"{\1:path}", spec_path)


def _endpoint(runtime: Runtime, path: str, ops: dict[str, Operation]) -> Callable[[Request], Awaitable[Response]]:
    allow = ", ".join(sorted(ops))
    mj_route = path.startswith("/mj/")

    async def endpoint(request: Request) -> Response:
        op = ops.get(request.method)
        if op is None:
            raise ApiError(
                405,
                f"Method {request.method} is not allowed on {path}; allowed: {allow}.",
                code="method_not_allowed",
                headers={"Allow": allow},
            )
        authenticate(request, runtime.settings.api_keys, mj_route)
        handler = HANDLERS.get(op.operation_id)
        if handler is None:
            raise ApiError(
                501, f"{op.operation_id} is not implemented.", type="server_error", code="api_not_implemented"
            )
        return await handler(runtime, request, op)

    return endpoint


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"Invalid URL ({request.method} {request.url.path})."
        return ApiError(404, message, code="unknown_url").response()
    return ApiError(exc.status_code, str(exc.detail), headers=exc.headers).response()


async def _client_gone(request: Request, exc: Exception) -> Response:
    # Nobody is left to answer, and it is no fault of the server: one quiet line, no traceback. The path
    # only: a query string may hold a key.
    log.info("client disconnected before sending the whole body of %s %s", request.method, request.url.path)
    return Response(status_code=400)  # never sent; uvicorn drops what is sent to a closed connection


async def _unexpected(request: Request, exc: Exception) -> Response:
    # A bug, never the client's fault; the body still has the error shape the SDKs parse.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return ApiError(500, "The server had an error while processing your request.", type="server_error").response()


def create_app(settings: ServerSettings | None = None, spec_path: Any = BUNDLED_SPEC) -> Starlette:
    """The reference server as an ASGI application."""
    settings = settings or ServerSettings()
    document = load_document(spec_path)
    ops = operations(document)
    runtime = Runtime(settings, document, RequestValidator(document, ops), SizeLimits(document, ops))
    by_path: dict[str, dict[str, Operation]] = {}
    for op in ops:
        by_path.setdefault(op.path, {})[op.method] = op
        if op.operation_id not in HANDLERS:
            log.warning("no handler for %s (%s %s); it will answer 501", op.operation_id, op.method, op.path)
    routes: list[Route] = []
    for path, methods in by_path.items():
        endpoint = _endpoint(runtime, path, methods)
        for prefix in MJ_MODE_PREFIXES if path.startswith("/mj/") else ("",):
            route = Route(prefix + _route_path(path), endpoint)
            # Every method reaches the endpoint, which answers 405 + Allow itself; Starlette would otherwise
            # default a function endpoint to GET and add HEAD, which the spec does not declare.
            route.methods = None
            routes.append(route)
    routes.append(Route(files.ROUTE, files.image_endpoint(runtime), methods=["GET"]))
    app = Starlette(
        routes=routes,
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, ClientDisconnect: _client_gone,
                            Exception: _unexpected},
    )
    app.router.redirect_slashes = False
    app.state.runtime = runtime
    if settings.faults or settings.answer_log:
        answerlog.install(app, settings.api_keys, faults=settings.faults, answer_log=settings.answer_log)
    return app
