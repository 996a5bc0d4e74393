"""A log of what this server answered, for `aitre conform --upstream` (`aitre serve --answer-log`).

When this server is the upstream of a relay, conform needs the answer the relay received in order to
compare it with the one the relay passed on. Pairing by request would break on relays that map model
names or add parameters, so conform puts a unique marker (`aitre-mark-<hex>`) in the text it sends,
which relays pass through; this wrapper keeps every answer to a request carrying a marker, and
`GET /aitre/answers?marker=...` (outside the spec, the same Bearer keys as the API) returns them, oldest
first (a relay that retries leaves several). Nothing is kept without the flag, and the log is bounded.
"""

from __future__ import annotations

import base64
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aitre.server.auth import authenticate
from aitre.server.bodypeek import App, Message, Receive, Scope, Send, peek
from aitre.server.encoding import json_response
from aitre.server.errors import bad_request
from aitre.server.faults import FaultMiddleware

ROUTE = "/aitre/answers"
MARKER_PATTERN = re.compile(rb"aitre-mark-[0-9a-f]{16,32}")
# Bounded memory: the newest markers are kept, and an answer's body up to this many bytes.
MAX_MARKERS = 2000
MAX_ANSWERS_PER_MARKER = 8
MAX_BODY_BYTES = 4 * 1024 * 1024
# Only headers a relay comparison is about; the rest (dates, lengths, server names) differ by nature.
KEPT_HEADERS = ("content-type", "retry-after", "cache-control")


@dataclass
class Answer:
    """One answer as sent: complete is False when the connection ended before its last byte."""

    method: str
    path: str
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    fault: str | None = None
    complete: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "status": self.status, "headers": self.headers,
                "body_base64": base64.b64encode(bytes(self.body)).decode(), "fault": self.fault,
                "complete": self.complete}


class AnswerLog:
    """Answers by marker, newest markers kept; thread-safe (the embedded server runs in a thread)."""

    def __init__(self) -> None:
        self._answers: OrderedDict[str, list[Answer]] = OrderedDict()
        self._lock = Lock()

    def add(self, marker: str, answer: Answer) -> None:
        with self._lock:
            answers = self._answers.setdefault(marker, [])
            self._answers.move_to_end(marker)
            answers.append(answer)
            del answers[:-MAX_ANSWERS_PER_MARKER]
            while len(self._answers) > MAX_MARKERS:
                self._answers.popitem(last=False)

    def get(self, marker: str) -> list[Answer]:
        with self._lock:
            return list(self._answers.get(marker, ()))


class AnswerLogMiddleware:
    """ASGI wrapper that records every answer to a request whose body carries a marker."""

    def __init__(self, app: App, log: AnswerLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        body, receive = await peek(scope, receive)
        found = MARKER_PATTERN.search(body or b"")
        if found is None:
            await self.app(scope, receive, send)
            return
        answer = Answer(scope["method"], scope["path"])

        async def recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.status = message["status"]
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message.get("headers", ())}
                answer.headers = {name: headers[name] for name in KEPT_HEADERS if name in headers}
            elif message["type"] == "http.response.body":
                answer.body.extend(message.get("body", b"")[: MAX_BODY_BYTES - len(answer.body)])
                answer.complete = not message.get("more_body", False)
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            # Recorded even when the answer was cut: that is what the relay received.
            answer.fault = scope.get("state", {}).get("aitre_fault")
            self.log.add(found.group(0).decode(), answer)


def answers_route(log: AnswerLog, api_keys: tuple[str, ...]) -> Route:
    """`GET /aitre/answers?marker=aitre-mark-...`: the answers to that marker, behind the API's keys."""

    async def endpoint(request: Request) -> Response:
        authenticate(request, api_keys, False)
        marker = request.query_params.get("marker", "")
        if not MARKER_PATTERN.fullmatch(marker.encode()):
            raise bad_request("marker must look like aitre-mark-<16 to 32 hex digits>.", param="marker")
        return json_response({"marker": marker, "answers": [answer.as_json() for answer in log.get(marker)]})

    return Route(ROUTE, endpoint, methods=["GET"])


def install(app: Any, api_keys: tuple[str, ...], *, faults: bool, answer_log: bool) -> None:
    """Add the fault wrapper and the answer log to a Starlette app, as the settings ask (before it starts)."""
    if faults:
        app.add_middleware(FaultMiddleware)
    if answer_log:
        log = AnswerLog()
        app.router.routes.append(answers_route(log, api_keys))
        # Added last, so it is outermost and records the faults too.
        app.add_middleware(AnswerLogMiddleware, log=log)
