"""A small pass-through relay for the fidelity tests, and `Tweak`s that each make it change one thing.

Like one-api or LiteLLM it takes its own client key, forwards to one upstream with the upstream's key,
passes answers through, and turns what the upstream botches into the OpenAI error object: an HTML page
or an unreachable upstream becomes a 502, a stream cut in the middle ends with an error event.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

ErrorEdit = Callable[[int, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]
PASSED_HEADERS = ("content-type", "retry-after")


@dataclass
class Tweak:
    """What a relay variant changes: 2xx JSON bodies, stream payloads (`data:` texts), or error answers."""

    json: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    events: Callable[[list[str]], list[str]] | None = None
    error: ErrorEdit | None = None


def _error(status: int, message: str) -> Response:
    body = {"error": {"message": message, "type": "relay_error", "param": None, "code": None}}
    return Response(json.dumps(body), status_code=status, media_type="application/json")


class Relay:
    """The relay as a Starlette app; `tweak` may be swapped between runs."""

    def __init__(self, upstream: str, upstream_key: str, client_key: str) -> None:
        self.upstream, self.upstream_key, self.client_key = upstream, upstream_key, client_key
        self.tweak = Tweak()
        # One pooled client, made on the relay's own event loop at its first request (as real relays keep
        # their upstream connections open).
        self._client: httpx.AsyncClient | None = None
        self.app = Starlette(routes=[Route("/{path:path}", self.forward, methods=["GET", "POST"])])

    async def forward(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.client_key}":
            return _error(401, "Invalid relay key.")
        headers = {"Authorization": f"Bearer {self.upstream_key}"}
        if "content-type" in request.headers:
            headers["Content-Type"] = request.headers["content-type"]
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_keepalive_connections=32))
        client = self._client
        upstream_request = client.build_request(request.method, self.upstream + request.url.path,
                                                params=request.query_params, content=await request.body(),
                                                headers=headers)
        try:
            answer = await client.send(upstream_request, stream=True)
        except httpx.HTTPError as exc:
            return _error(502, f"upstream unreachable: {exc.__class__.__name__}")
        if answer.headers.get("content-type", "").startswith("text/event-stream") and answer.status_code == 200:
            return StreamingResponse(self._events(answer), media_type="text/event-stream")
        try:
            body = await answer.aread()
        except httpx.HTTPError:
            return _error(502, "the upstream answer broke off")
        finally:
            await answer.aclose()
        return self._plain(answer.status_code, {k: v for k, v in answer.headers.items() if k in PASSED_HEADERS}, body)

    def _plain(self, status: int, headers: dict[str, str], body: bytes) -> Response:
        media = headers.get("content-type", "")
        if media.startswith("text/html"):
            return _error(502, "the upstream answered with a page, not JSON")
        if status >= 400 and self.tweak.error is not None:
            status, headers, body = self.tweak.error(status, headers, body)
        elif status < 300 and media.startswith("application/json") and self.tweak.json is not None:
            body = json.dumps(self.tweak.json(json.loads(body))).encode()
        return Response(body, status_code=status, headers=headers)

    async def _events(self, answer: httpx.Response) -> AsyncIterator[bytes]:
        try:
            if self.tweak.events is None:
                async for chunk in answer.aiter_raw():
                    yield chunk
                return
            raw = await answer.aread()
            payloads = [block.removeprefix("data: ") for block in raw.decode().split("\n\n") if block.strip()]
            for payload in self.tweak.events(payloads):
                yield f"data: {payload}\n\n".encode()
        except httpx.HTTPError:
            error = {"error": {"message": "the upstream stream broke off", "type": "relay_error"}}
            yield f"data: {json.dumps(error)}\n\n".encode()
        finally:
            await answer.aclose()
