"""Hostile servers: each misbehaviour becomes a bounded, reported failure, never a hang or a crash."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import socket
import struct
import tempfile
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from aitre.conform.command import ConformOptions, conform
from aitre.conform.registry import load_checks
from aitre.conform.report import write_reports
from aitre.conform.report.console import print_report
from aitre.conform.results import Outcome, RunReport
from aitre.conform.runner import Runner
from aitre.conform.settings import ConformSettings, Limits
from tests.conform.raw_servers import Handler, answer, gzip_bomb, models_answer, raw_server, stall
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


# --- Issue 16, conform side: raw-socket servers, each a defect that crashed, hung or fooled conform before. ---

def _key_forms_absent(text: str) -> None:
    """No form of the key, whole or cut (all but its first or last character), in `text`."""
    for form in (KEY, KEY[:-1], KEY[1:], KEY.removeprefix("sk-")[:-1]):
        assert form not in text


def _cli(tmp_path: Path, caplog: pytest.LogCaptureFixture, **options: object) -> tuple[int, str, str]:
    """`aitre conform` as typed: exit code, stderr, and everything written (reports, consoles, logs), key-free."""
    out = Console(record=True, width=200, force_terminal=False)
    err = Console(record=True, width=200, force_terminal=False, stderr=True)
    given = {"report_dir": tmp_path / "reports", "api_key": KEY, "timeout": TIMEOUT, "max_examples": 1,
             **options}
    with caplog.at_level(logging.DEBUG):
        code = conform(ConformOptions(**given), out, err)  # type: ignore[arg-type]  # keyword options per test
    written = [p.read_text(errors="replace") for p in (tmp_path / "reports").glob("*") if p.is_file()] \
        if (tmp_path / "reports").is_dir() else []
    stderr = err.export_text()
    everything = "\n".join([*written, out.export_text(), stderr, caplog.text])
    _key_forms_absent(everything)
    return code, stderr, everything


def _bounded_run(url: str, areas: set[str], *, checks: bool = True, budget: int | None = None,
                 limit: float = 90.0) -> tuple[RunReport, float, int]:
    """A run in a thread, joined for at most `limit` s: (report, elapsed, peak traced bytes); never hangs the test.

    Reports are written and printed too, and must not hold the key.
    """
    settings = ConformSettings(base_url=url, api_key=KEY, areas=frozenset(areas), timeout=TIMEOUT, max_examples=1,
                               budget=budget, limits=replace(Limits(), max_body_bytes=1_000_000,
                                                             max_stream_events=200, schema_max_time=30))
    box: list[RunReport] = []
    tracemalloc.start()
    started = time.monotonic()
    thread = threading.Thread(target=lambda: box.append(Runner(
        settings, checks=list(load_checks().values()) if checks else []).run()), daemon=True)
    thread.start()
    thread.join(limit)
    elapsed = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert box, f"conform still running after {limit:.0f} s"
    with tempfile.TemporaryDirectory() as directory:
        write_reports(box[0], Path(directory))
        console = Console(record=True, width=200, force_terminal=False)
        print_report(box[0], console)
        written = [p.read_text(errors="replace") for p in Path(directory).iterdir() if p.is_file()]
        _key_forms_absent("\n".join([*written, console.export_text()]))
    return box[0], elapsed, peak


def _messages(report: RunReport, name: str) -> list[str]:
    return [f.message for r in report.results if r.name == name for f in r.failures]


def test_key_with_a_trailing_newline_is_trimmed_not_a_traceback(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                                  ) -> None:
    with raw_server(lambda conn, line, head: models_answer(conn)) as (url, _):
        code, err, _ = _cli(tmp_path, caplog, base_url=url, api_key=KEY + "\r\n", only="models")
    assert code in (0, 1) and "whitespace around the API key" in err


@pytest.mark.parametrize(
    "options",
    [{"api_key": "sk-kléé-0123456789"}, {"api_key": "sk-a b-0123456789"}, {"timeout": math.nan},
     {"timeout": math.inf}, {"base_url": "http://127.0.0.1:9/\nx"}, {"report_dir": "under-a-file"}],
    ids=["non-ascii-key", "inner-space-key", "timeout-nan", "timeout-inf", "newline-in-url", "unwritable-report-dir"],
)
def test_bad_local_input_is_exit_2_in_one_line_before_any_request(
        options: dict[str, object], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    if options.get("report_dir") == "under-a-file":
        (tmp_path / "file").write_text("")
        options = {"report_dir": tmp_path / "file" / "reports"}
    with raw_server(lambda conn, line, head: models_answer(conn)) as (url, seen):
        code, err, _ = _cli(tmp_path, caplog, **{"base_url": url, "only": "models", **options})
    lines = err.strip().splitlines()
    assert (code, len(lines), seen.requests) == (2, 1, []), err
    assert lines[0].startswith("aitre conform: ") and "Traceback" not in err


def _bomb(conn: socket.socket, line: str, head: bytes) -> None:
    answer(conn, "200 OK", gzip_bomb(), {"Content-Type": "application/json", "Content-Encoding": "gzip, gzip"})


def _raw_huge(conn: socket.socket, line: str, head: bytes) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                 b"Content-Length: 134217728\r\n\r\n")
    block = b" " * (1024 * 1024)
    for _ in range(128):
        conn.sendall(block)


def _endless_line(conn: socket.socket, line: str, head: bytes) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\ndata: ")
    step = stall(0.001, 20)
    while not step():
        conn.sendall(b"x" * 65536)


def _raw_endless_events(conn: socket.socket, line: str, head: bytes) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
    step = stall(0.001, 20)
    while not step():
        conn.sendall(f"data: {json.dumps(CHUNK)}\n\n".encode() * 50)


@pytest.mark.parametrize(("handler", "expected"),
                         [(_bomb, "once decoded"), (_raw_huge, "larger than"), (_endless_line, "larger than"),
                          (_raw_endless_events, "longer than")],
                         ids=["gzip-gzip-bomb", "huge-body", "endless-sse-line", "endless-sse-events"])
def test_schemathesis_requests_obey_the_size_caps_too(handler: Handler, expected: str) -> None:
    if handler is _bomb:
        gzip_bomb()  # built before memory is traced: it is the test's, not conform's
    with raw_server(handler) as (url, _):
        # No semantic checks: nothing keeps the hostile operations away from schemathesis.
        report, elapsed, peak = _bounded_run(url, {"models"}, checks=False)
    assert peak < 128 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"
    assert elapsed < 2 * TIMEOUT * report.requests_sent + 30
    network = _messages(report, "schemathesis.network")
    if handler is _raw_endless_events:
        # schemathesis judges only the first events of a stream, so for it a stream past the event cap ends
        # there (a long answer is no fault); our own client, whose requests ask for short answers, reports it.
        assert not any(expected in message for message in network), network
    else:
        assert any(expected in message for message in network), report.notes
    assert any(expected in note for note in report.notes)  # our own discovery request met the same cap


def _early_hints(conn: socket.socket, line: str, head: bytes) -> None:
    step = stall(0.02, 20)
    while not step():
        conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")


def _header_drip(conn: socket.socket, line: str, head: bytes) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    step = stall(0.2, 20)
    while not step():
        conn.sendall(b"a")


@pytest.mark.parametrize("handler", [_early_hints, _header_drip], ids=["endless-103", "header-drip"])
def test_a_server_that_never_finishes_its_headers_cannot_hang_conform(handler: Handler) -> None:
    with raw_server(handler) as (url, _):
        report, elapsed, _ = _bounded_run(url, {"models"})
    assert elapsed < 2 * TIMEOUT * report.requests_sent + 30
    assert any("no response within" in m for m in _messages(report, "model_list_is_well_formed"))
    # schemathesis's requests were each cut at the deadline: its phase ended well before the watchdog.
    assert not any("did not finish within" in note for note in report.notes), report.notes


def _illegal_header_echo(conn: socket.socket, line: str, head: bytes) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nAuthorization Bearer " + KEY.encode() + b"\r\n\r\n")


def _straddling(cut: int) -> Handler:
    def handler(conn: socket.socket, line: str, head: bytes) -> None:
        body = b"x" * (cut - len(KEY) + 1) + KEY.encode() + b" and more"
        answer(conn, "400 Bad Request", body, {"Content-Type": "text/plain"})

    return handler


@pytest.mark.parametrize("handler", [_illegal_header_echo, _straddling(200), _straddling(1500)],
                         ids=["illegal-header-line", "echo-across-200", "echo-across-1500"])
def test_an_echoed_key_reaches_no_output_even_when_quoted_or_cut(
        handler: Handler, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with raw_server(handler) as (url, _):
        code, _, everything = _cli(tmp_path, caplog, base_url=url, only="models")
    assert code in (1, 2) and "[REDACTED]" in everything


@pytest.mark.parametrize(("after", "only"), [(3, "models,errors"), (30, "models")],
                         ids=["during-the-checks", "during-schemathesis"])
def test_a_server_that_dies_mid_run_is_never_conformant(after: int, only: str, tmp_path: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """Dead in the semantic checks, or later while schemathesis runs (which reports `ServerUnavailable`)."""
    def handler(conn: socket.socket, line: str, head: bytes) -> None:
        models_answer(conn)
        if len(seen.requests) >= after:
            seen.die()

    with raw_server(handler) as (url, seen):
        code, err, _ = _cli(tmp_path, caplog, base_url=url, only=only)
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert code == 2 and "incomplete run: the server stopped accepting connections" in err
    assert report["incomplete"]


def _redirect_loop(conn: socket.socket, line: str, head: bytes) -> None:
    answer(conn, "302 Found", b"", {"Location": line.split(" ")[1]})


def test_redirect_loops_count_against_the_budget() -> None:
    with raw_server(_redirect_loop) as (url, seen):
        report, _, _ = _bounded_run(url, {"models", "chat"}, budget=20)
    assert len(seen.requests) <= 20 and report.requests_sent <= 20


def test_checks_that_judged_nothing_are_not_passes() -> None:
    with raw_server(_redirect_loop) as (url, _):
        report, _, _ = _bounded_run(url, {"models"})
    passed = [r.name for r in report.results if r.outcome is Outcome.PASS and r.source == "schemathesis"]
    assert passed == []
    assert any(r.reason.startswith("not run: all") for r in report.results)
