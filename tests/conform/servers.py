"""Test servers: any ASGI app on a free loopback port in a thread, and a switchable breaker around the
reference server that spoils one behaviour at a time."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

KEY = "sk-aitre-test-" + "k3y" * 8


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve `app` on 127.0.0.1:<free port> until the block ends; yields the base URL."""
    # IPPROTO_TCP so asyncio sets TCP_NODELAY; without it keep-alive answers stall ~40 ms (delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", access_log=False, lifespan="off"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.force_exit = True
        thread.join(5)
        sock.close()


def reference_app() -> Any:
    from aitre.server.app import create_app
    from aitre.server.settings import ServerSettings

    return create_app(ServerSettings(api_keys=(KEY,)))


@dataclass
class Req:
    """The request a breaker sees: headers (lower-case names), raw body, and its JSON when it is JSON."""

    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def form(self, name: str) -> str | None:
        """A text field of a multipart body (good enough for the small forms the checks send)."""
        marker = f'name="{name}"'.encode()
        if marker not in self.body:
            return None
        rest = self.body.split(marker, 1)[1].split(b"\r\n\r\n", 1)[1]
        return rest.split(b"\r\n", 1)[0].decode()


Answer = tuple[int, dict[str, str], bytes]
Transform = Callable[[Req, int, dict[str, str], bytes], Answer]


@dataclass
class Breaker:
    """Rewrites the answers to one operation: `transform(request, status, headers, body)`."""

    method: str
    path: str  # exact path, or a prefix when it ends with "*"
    transform: Transform

    def matches(self, scope: dict[str, Any]) -> bool:
        path = scope["path"]
        wanted = self.path[:-1] if self.path.endswith("*") else None
        hit = path.startswith(wanted) if wanted is not None else path == self.path
        return scope["method"] == self.method and hit


class Breakable:
    """ASGI wrapper: passes everything through unless a breaker matches the request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.breakers: list[Breaker] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        breaker = next((b for b in self.breakers if scope["type"] == "http" and b.matches(scope)), None)
        if breaker is None:
            await self.app(scope, receive, send)
            return
        request_body = bytearray()

        async def capture_receive() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                request_body.extend(message.get("body", b""))
            return message

        answer: dict[str, Any] = {"status": 500, "headers": [], "body": bytearray()}

        async def capture_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"], answer["headers"] = message["status"], message.get("headers", [])
            elif message["type"] == "http.response.body":
                answer["body"].extend(message.get("body", b""))

        await self.app(scope, capture_receive, capture_send)
        request = Req({k.decode().lower(): v.decode() for k, v in scope["headers"]}, bytes(request_body))
        headers = {k.decode().lower(): v.decode() for k, v in answer["headers"] if k.lower() != b"content-length"}
        status, headers, body = breaker.transform(request, answer["status"], headers, bytes(answer["body"]))
        raw = [(k.encode(), v.encode()) for k, v in headers.items()] + [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})


def edit_json(method: str, path: str, edit: Callable[[Req, Any], Any], *, statuses: tuple[int, ...] = (200,)
              ) -> Breaker:
    """A breaker that passes the request and the response JSON to `edit`, which returns the new response."""

    def transform(request: Req, status: int, headers: dict[str, str], body: bytes) -> Answer:
        if status not in statuses or not headers.get("content-type", "").startswith("application/json"):
            return status, headers, body
        return status, headers, json.dumps(edit(request, json.loads(body))).encode()

    return Breaker(method, path, transform)


def edit_events(method: str, path: str, edit: Callable[[Req, list[str]], list[str]]) -> Breaker:
    """A breaker that rewrites the `data:` payloads of an event stream (as strings) via `edit`."""

    def transform(request: Req, status: int, headers: dict[str, str], body: bytes) -> Answer:
        if not headers.get("content-type", "").startswith("text/event-stream"):
            return status, headers, body
        events = [block.removeprefix("data: ") for block in body.decode().split("\n\n") if block.strip()]
        return status, headers, "".join(f"data: {event}\n\n" for event in edit(request, events)).encode()

    return Breaker(method, path, transform)


def replace_answer(method: str, path: str, *, status: int | None = None, body: bytes | None = None,
                   content_type: str | None = None, when: Callable[[Req, int], bool] | None = None) -> Breaker:
    """A breaker that overrides status, body or Content-Type, optionally only `when(request, status)`."""

    def transform(request: Req, old_status: int, headers: dict[str, str], old_body: bytes) -> Answer:
        if when is not None and not when(request, old_status):
            return old_status, headers, old_body
        if content_type is not None:
            headers["content-type"] = content_type
        return status or old_status, headers, old_body if body is None else body

    return Breaker(method, path, transform)
