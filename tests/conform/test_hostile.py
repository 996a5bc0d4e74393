"""Hostile servers: each misbehaviour becomes a bounded, reported failure, never a hang or a crash."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from aitre.conform.registry import load_checks
from aitre.conform.results import Outcome, RunReport
from aitre.conform.runner import Runner
from aitre.conform.settings import ConformSettings, Limits
from tests.conform.servers import KEY, serve

MODEL_LIST = {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model", "created": 1, "owned_by": "x"}]}
CHUNK = {"id": "c1", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-4o-mini",
         "choices": [{"index": 0, "delta": {"content": "la "}, "finish_reason": None}]}
TIMEOUT = 1.0


async def _hang(request: Request) -> Response:
    await asyncio.sleep(3600)
    return Response()


async def _endless_events(request: Request) -> Response:
    async def events() -> AsyncIterator[bytes]:
        while True:
            yield f"data: {json.dumps(CHUNK)}\n\n".encode()
            await asyncio.sleep(0)

    return StreamingResponse(events(), media_type="text/event-stream")


async def _huge(request: Request) -> Response:
    async def body() -> AsyncIterator[bytes]:
        yield b'{"object": "list", "data": ['
        for _ in range(10_000):
            yield b'{"id": "' + b"m" * 1000 + b'", "object": "model", "created": 1, "owned_by": "x"},'
        yield b"{}]}"

    return StreamingResponse(body(), media_type="application/json")


async def _drip(request: Request) -> Response:
    async def body() -> AsyncIterator[bytes]:
        for byte in json.dumps(MODEL_LIST).encode():
            yield bytes([byte])
            await asyncio.sleep(0.05)

    return StreamingResponse(body(), media_type="application/json")


def _app(models: object) -> Starlette:
    async def chat(request: Request) -> Response:
        body = await request.json()
        if body.get("stream"):
            return await _endless_events(request)
        return JSONResponse({"error": {"message": "no", "type": "x", "param": None, "code": None}}, 400)

    async def listing(request: Request) -> Response:
        if isinstance(models, Response):
            return models
        return await models(request)  # type: ignore[operator]

    return Starlette(routes=[Route("/v1/models", listing), Route("/v1/chat/completions", chat, methods=["POST"])])


def _run(url: str, areas: set[str], *, schema: bool = False) -> tuple[RunReport, float]:
    settings = ConformSettings(base_url=url, api_key=KEY, areas=frozenset(areas), timeout=TIMEOUT,
                               schema_checks=schema, max_examples=1,
                               limits=replace(Limits(), max_body_bytes=1_000_000, max_stream_events=200,
                                              schema_max_time=8))
    started = time.monotonic()
    report = Runner(settings, checks=list(load_checks().values())).run()
    return report, time.monotonic() - started


def _titles(report: RunReport, check: str) -> list[str]:
    result = next(r for r in report.results if r.name == check)
    assert result.outcome is Outcome.FAIL, (check, result.outcome, result.reason)
    return [f"{f.title}: {f.message}" for f in result.failures]


@pytest.mark.parametrize(
    ("models", "expected", "schema"),
    [
        (_hang, "no response within", True),
        (_huge, "larger than", False),
        (_drip, "still arriving", False),
        (Response(b'{"object": "list", "data": [', media_type="application/json"), "not valid JSON", False),
        (Response(json.dumps(MODEL_LIST), media_type="text/html"), "Wrong Content-Type", False),
    ],
    ids=["hanging", "huge-body", "slow-drip", "invalid-json", "wrong-content-type"],
)
def test_hostile_model_list_is_a_bounded_failure(models: object, expected: str, schema: bool) -> None:
    with serve(_app(models)) as url:
        report, elapsed = _run(url, {"models"}, schema=schema)
    assert elapsed < 40
    assert any(expected in title for title in _titles(report, "model_list_is_well_formed"))


def test_endless_event_stream_is_cut_and_reported() -> None:
    with serve(_app(Response(json.dumps(MODEL_LIST), media_type="application/json"))) as url:
        report, elapsed = _run(url, {"streaming"})
    assert elapsed < 30
    assert any("event stream" in title for title in _titles(report, "stream_sse_framing"))


@contextmanager
def _resetting_server() -> Iterator[str]:
    """A TCP server that reads the request and answers with a connection reset (RST)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.recv(65536)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def test_connection_reset_is_a_reported_failure() -> None:
    with _resetting_server() as url:
        report, elapsed = _run(url, {"models"}, schema=True)
    assert elapsed < 30
    assert any("connection broken" in title for title in _titles(report, "model_list_is_well_formed"))


def test_nothing_listening_is_a_usage_error() -> None:
    from aitre.conform.errors import TargetUnreachable

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TargetUnreachable):
        _run(f"http://127.0.0.1:{port}", {"models"})
