"""Answering as a failing upstream, on request, for relay tests (`aitre serve --faults`).

A request whose body contains `aitre-fault=NAME` gets the fault NAME instead of (or on top of) its
normal answer. The trigger is text in the body (a chat message, a prompt, an input) rather than a
header or a model-name suffix: relays such as one-api, new-api and LiteLLM rebuild the upstream request
with their own headers and map model names per channel, but pass message text through verbatim, and a
relay that retries sends the same text again, so the fault holds on every attempt. Without `--faults`
(`ServerSettings.faults`) the text is ordinary content and nothing fails on purpose.

| NAME | the upstream answers |
|---|---|
| `429` | 429 `rate_limit_exceeded` with `Retry-After: 7` |
| `500`, `503` | that status with the OpenAI error object (`server_error`) |
| `400` | 400 `invalid_value` naming `param` `temperature` |
| `slow` | its normal answer, after `SLOW_SECONDS` without a byte |
| `cut` | the status and headers of its normal answer, then half the body, then a closed connection |
| `notjson` | 200 with an HTML page |
"""

from __future__ import annotations

import asyncio
import json
import re

from aitre.server.bodypeek import App, Message, Receive, Scope, Send, peek

FAULT_PATTERN = re.compile(rb"aitre-fault=([a-z0-9]+)")
SLOW_SECONDS = 1.5
RETRY_AFTER = "7"
FAULT_400_PARAM = "temperature"
FAULT_NAMES = ("429", "500", "503", "400", "slow", "cut", "notjson")
NOT_JSON_PAGE = b"<html><body><h1>502 Bad Gateway</h1><p>aitre fault notjson</p></body></html>"


def fault_in(body: bytes | None) -> str | None:
    """The fault a request body asks for, if it names a known one."""
    if not body:
        return None
    found = FAULT_PATTERN.search(body)
    name = found.group(1).decode() if found else None
    return name if name in FAULT_NAMES else None


def _error(status: int, message: str, kind: str, code: str, param: str | None = None) -> bytes:
    return json.dumps({"error": {"message": message, "type": kind, "param": param, "code": code}}).encode()


# The canned failures: status, extra headers, body.
CANNED: dict[str, tuple[int, dict[str, str], bytes]] = {
    "429": (429, {"retry-after": RETRY_AFTER}, _error(
        429, "Rate limit reached for requests (aitre fault 429). Please try again in 7s.", "requests",
        "rate_limit_exceeded")),
    "500": (500, {}, _error(500, "The server had an error while processing your request (aitre fault 500).",
                            "server_error", "internal_error")),
    "503": (503, {}, _error(503, "The engine is currently overloaded, please try again later (aitre fault 503).",
                            "server_error", "overloaded")),
    "400": (400, {}, _error(400, f"Invalid value for '{FAULT_400_PARAM}': aitre fault 400 refuses it.",
                            "invalid_request_error", "invalid_value", FAULT_400_PARAM)),
}


async def _send_canned(send: Send, name: str) -> None:
    if name == "notjson":
        status, headers, body = 200, {"content-type": "text/html; charset=utf-8"}, NOT_JSON_PAGE
    else:
        status, extra, body = CANNED[name]
        headers = {"content-type": "application/json", **extra}
    raw = [(k.encode(), v.encode()) for k, v in headers.items()] + [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _cut(app: App, scope: Scope, receive: Receive, send: Send) -> None:
    # The whole answer is produced first (it is small and deterministic), so the cut falls at a known place:
    # after half of its stream events, or half of its bytes.
    start: Message = {}
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    body = b"".join(chunks)
    events = body.split(b"\n\n")
    kept = b"".join(event + b"\n\n" for event in events[: max(1, len(events) // 2)]) if len(events) > 2 \
        else body[: len(body) // 2]
    await send(start)
    await send({"type": "http.response.body", "body": kept, "more_body": True})
    # Returning without the last body message makes uvicorn close the connection: the client sees a
    # truncated answer, exactly as when an upstream dies mid-answer.


class FaultMiddleware:
    """ASGI wrapper that answers as a failing upstream when the request body names a fault."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        body, receive = await peek(scope, receive)
        name = fault_in(body)
        scope.setdefault("state", {})["aitre_fault"] = name
        if name is None:
            await self.app(scope, receive, send)
        elif name == "slow":
            await asyncio.sleep(SLOW_SECONDS)
            await self.app(scope, receive, send)
        elif name == "cut":
            await _cut(self.app, scope, receive, send)
        else:
            await _send_canned(send, name)
