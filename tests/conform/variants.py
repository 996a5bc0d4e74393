"""Servers that differ from the reference server in ways the contract allows, each in exactly one.

`aitre conform` must pass every one of them (exit 0), listing the difference as a warning where a
client could notice it at all. Each wraps the reference app in ASGI middleware that changes requests
or answers; `Captured` calls the inner app with a given body and collects its answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aitre.conform.request_contract import RequestContract

Scope = dict[str, Any]
App = Callable[[Scope, Any, Any], Awaitable[None]]


@dataclass
class Captured:
    """One answer of the inner app, held back so a middleware can decide what to send."""

    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: bytes) -> str:
        return next((value.decode() for key, value in self.headers if key.lower() == name), "")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


async def read_body(receive: Any) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        body.extend(message.get("body", b""))
        if not message.get("more_body"):
            return bytes(body)


async def call(app: App, scope: Scope, body: bytes) -> Captured:
    """Run `app` on `scope` with `body` as the whole request body; its answer, captured."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            # The client stays connected: a streaming response listens for a disconnect that never comes.
            await asyncio.Future()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    answer = Captured()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status, answer.headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    await app(scope, receive, send)
    return answer


async def reply(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    kept = [(key, value) for key, value in headers if key.lower() != b"content-length"]
    await send({"type": "http.response.start", "status": status,
                "headers": [*kept, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def json_answer(status: int, data: Any) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    return status, [(b"content-type", b"application/json")], json.dumps(data).encode()


class Variant:
    """Base middleware: `handle` sees each HTTP request with its body and answers it."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        answer = await self.handle(scope, body)
        await reply(send, answer.status, answer.headers, answer.body)

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        return await call(self.app, scope, body)


def _headers(scope: Scope) -> dict[str, str]:
    return {key.decode().lower(): value.decode() for key, value in scope["headers"]}


class MidjourneyErrors(Variant):
    """MJ routes refuse with new-api's `{code, description, type}` instead of the OpenAI error object."""

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        answer = await call(self.app, scope, body)
        error = (answer.json() or {}).get("error") if isinstance(answer.json(), dict) else None
        if scope["path"].startswith("/mj/") and answer.status in (400, 404) and isinstance(error, dict):
            token = str(error.get("code") or "request_error").lower()
            status, headers, raw = json_answer(answer.status, {"code": 4, "description": token,
                                                               "type": "upstream_error"})
            return Captured(status, headers, raw)
        return answer


class NoMjApiSecret(Variant):
    """The key is taken only from `Authorization`; `mj-api-secret` alone is refused with 401."""

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        headers = _headers(scope)
        if scope["path"].startswith("/mj") and "authorization" not in headers and "mj-api-secret" in headers:
            status, raw_headers, raw = json_answer(401, {"error": {
                "message": "Send the key as Authorization: Bearer.", "type": "invalid_request_error",
                "param": None, "code": "invalid_api_key"}})
            return Captured(status, raw_headers, raw)
        return await call(self.app, scope, body)


class MidjourneyProxyRefusals(Variant):
    """MJ submissions refused with 400 are answered as midjourney-proxy does: HTTP 200, the submit envelope
    and code 4 (the spec lets refusals of a submission come that way, M4)."""

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        answer = await call(self.app, scope, body)
        error = (answer.json() or {}).get("error") if isinstance(answer.json(), dict) else None
        if scope["path"].startswith("/mj/submit/") and answer.status == 400 and isinstance(error, dict):
            return Captured(*json_answer(200, {"code": 4, "description": str(error.get("message")),
                                               "result": None, "properties": {}}))
        return answer


class NoMjState(Variant):
    """Fetched MJ tasks carry `state` null: a relay that does not keep the submitter's tag."""

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        answer = await call(self.app, scope, body)
        data = answer.json()
        if scope["path"].startswith("/mj/task/") and answer.status == 200:
            tasks = data if isinstance(data, list) else [data]
            for task in tasks:
                if isinstance(task, dict) and "status" in task:
                    task["state"] = None
            answer.body = json.dumps(data).encode()
        return answer


# MJ routes a relay may not offer (Plus-protocol and basic extras); a 404 there is "not supported".
MJ_EXTRA_ROUTES = ("/mj/submit/shorten", "/mj/submit/modal", "/mj/submit/change", "/mj/submit/simple-change",
                   "/mj/submit/upload-discord-images")


class NoMjExtraRoutes(Variant):
    """The relay has imagine, action, blend and describe only: the other submit routes answer 404."""

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        if scope["path"] in MJ_EXTRA_ROUTES:
            return Captured(*json_answer(404, {"error": {
                "message": f"Invalid URL ({scope['method']} {scope['path']})", "type": "invalid_request_error",
                "param": None, "code": None}}))
        return await call(self.app, scope, body)


def _drop(body: Any, path: str) -> bool:
    """Delete the value at an error `param` path such as `stream_options.include_obfuscation`."""
    steps: list[str | int] = []
    for part in path.replace("]", "").replace("[", ".").split("."):
        steps.append(int(part) if part.isdigit() else part)
    target = body
    for step in steps[:-1]:
        try:
            target = target[step]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(target, dict) and steps[-1] in target:
        del target[steps[-1]]
        return True
    return False


class LenientNested(Variant):
    """Invalid values below the top level are ignored (dropped) instead of refused."""

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        answer = await call(self.app, scope, body)
        try:
            data = json.loads(body)
        except ValueError:
            return answer
        for _ in range(4):
            error = (answer.json() or {}).get("error") if isinstance(answer.json(), dict) else None
            param = error.get("param") if isinstance(error, dict) else None
            nested = isinstance(param, str) and ("." in param or "[" in param)
            if answer.status != 400 or not nested or not _drop(data, param):
                return answer
            retry = await call(self.app, scope, json.dumps(data).encode())
            if retry.status == 400 and retry.json() == answer.json():
                return answer
            answer = retry
        return answer


class UnknownPropertiesRejected(Variant):
    """Top-level properties the spec does not declare are refused, as OpenAI does."""

    def __init__(self, app: App, spec: dict[str, Any]) -> None:
        super().__init__(app)
        self.contract = RequestContract(spec)

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        operation = f"{scope['method']} {scope['path']}"
        pointer = self.contract.body_pointer(operation, "application/json")
        data: Any = None
        if pointer is not None:
            try:
                data = json.loads(body)
            except ValueError:
                data = None
        declared = self.contract.declared_names(operation, "application/json")
        if isinstance(data, dict) and declared is not None:
            unknown = sorted(key for key in data if key not in declared)
            if unknown:
                status, headers, raw = json_answer(400, {"error": {
                    "message": f"Unrecognized request argument supplied: {unknown[0]}",
                    "type": "invalid_request_error", "param": None, "code": None}})
                return Captured(status, headers, raw)
        return await call(self.app, scope, body)


# Served model ids that no rule of the spec names, one per area with per-model rules.
LENIENT_MODELS = {"/v1/audio/speech": "aitre-voice", "/v1/images/generations": "aitre-painter",
                  "/v1/embeddings": "aitre-embedder"}


class NoModelPolicy(Variant):
    """Per-model rules are not enforced: a body refused for its model is served by a model without rules."""

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        answer = await call(self.app, scope, body)
        lenient = LENIENT_MODELS.get(scope["path"])
        if answer.status != 400 or lenient is None:
            return answer
        try:
            data = json.loads(body)
        except ValueError:
            return answer
        error = (answer.json() or {}).get("error") if isinstance(answer.json(), dict) else None
        refused_model = isinstance(error, dict) and error.get("param") == "model"
        if not isinstance(data, dict) or not isinstance(data.get("model"), str) or refused_model:
            return answer
        asked = data["model"]
        retry = await call(self.app, scope, json.dumps({**data, "model": lenient}).encode())
        if not 200 <= retry.status < 300:
            return answer
        served = retry.json()
        if isinstance(served, dict) and served.get("model") == lenient:
            retry.body = json.dumps({**served, "model": asked}).encode()
        return retry


class OctetStreamSpeech(Variant):
    """Speech answers carry `application/octet-stream`, as OpenAI's own OpenAPI document declares."""

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        answer = await call(self.app, scope, body)
        if scope["path"] == "/v1/audio/speech" and answer.header(b"content-type").startswith("audio/"):
            answer.headers = [(k, b"application/octet-stream" if k.lower() == b"content-type" else v)
                              for k, v in answer.headers]
        return answer


class NotFoundForUnknownMethods(Variant):
    """An unknown method on a known path is 404 `Invalid URL`, as OpenAI answers, not 405 with Allow."""

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        answer = await call(self.app, scope, body)
        if answer.status == 405:
            status, headers, raw = json_answer(404, {"error": {
                "message": f"Invalid URL ({scope['method']} {scope['path']})", "type": "invalid_request_error",
                "param": None, "code": None}})
            return Captured(status, headers, raw)
        return answer


class PlainTextChat(Variant):
    """A chat upstream without the optional extras: one tool call at a time, forced deprecated function calls
    ending with `function_call`, and spoken output refused with a 400 naming `modalities`."""

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        if scope["path"] != "/v1/chat/completions":
            return await call(self.app, scope, body)
        try:
            data = json.loads(body)
        except ValueError:
            return await call(self.app, scope, body)
        if not isinstance(data, dict):
            return await call(self.app, scope, body)
        if "audio" in (data.get("modalities") or []):
            status, headers, raw = json_answer(400, {"error": {
                "message": "This model does not support audio output.", "type": "invalid_request_error",
                "param": "modalities", "code": "unsupported_value"}})
            return Captured(status, headers, raw)
        if data.get("tools") and "parallel_tool_calls" not in data:
            body = json.dumps({**data, "parallel_tool_calls": False}).encode()
        answer = await call(self.app, scope, body)
        served = answer.json() if answer.status == 200 else None
        if isinstance(data.get("function_call"), dict) and isinstance(served, dict):
            for choice in served.get("choices") or []:
                choice["finish_reason"] = "function_call"
            answer.body = json.dumps(served).encode()
        return answer


class ClosesConnections(Variant):
    """Every few answers, the connection is closed right after the answer, without `Connection: close`.

    The exception after a complete answer makes uvicorn drop the connection silently (as it does after
    an unhandled error), so a client's next request on that pooled connection may be reset.
    """

    def __init__(self, app: App, every: int = 5) -> None:
        super().__init__(app)
        self.every, self.count = every, 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        answer = await call(self.app, scope, body)
        await reply(send, answer.status, answer.headers, answer.body)
        self.count += 1
        if self.count % self.every == 0:
            raise ConnectionAbortedError("closing the connection after the answer, on purpose")



class NoAudioRoutes(Variant):
    """The server has no audio routes: 404 `Invalid URL`, except a body parser's generic 400 first."""

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        if not scope["path"].startswith("/v1/audio/"):
            return await call(self.app, scope, body)
        content_type = _headers(scope).get("content-type", "")
        if content_type.startswith("application/json"):
            try:
                json.loads(body)
            except ValueError:
                status, headers, raw = json_answer(400, {"error": {
                    "message": "The body is not valid JSON.", "type": "invalid_request_error",
                    "param": None, "code": None}})
                return Captured(status, headers, raw)
        status, headers, raw = json_answer(404, {"error": {
            "message": f"Invalid URL ({scope['method']} {scope['path']})", "type": "invalid_request_error",
            "param": None, "code": None}})
        return Captured(status, headers, raw)


class ListsNoModels(Variant):
    """`GET /v1/models` lists nothing, though every default model is served (a wildcard proxy)."""

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        answer = await call(self.app, scope, body)
        if scope["method"] == "GET" and scope["path"] == "/v1/models" and answer.status == 200:
            answer.body = json.dumps({"object": "list", "data": []}).encode()
        return answer


class NoAuth(Variant):
    """A broken server: any key, or none, is let in (as the reference server's own key)."""

    def __init__(self, app: App, key: str) -> None:
        super().__init__(app)
        self.key = key

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"authorization", b"mj-api-secret")]
        scope = {**scope, "headers": [*headers, (b"authorization", f"Bearer {self.key}".encode())]}
        return await call(self.app, scope, body)
