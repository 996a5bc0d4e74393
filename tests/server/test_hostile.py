"""Issue 16, the server half: what a hostile or careless client could do to `aitre serve`, reproduced.

Each test sends what the probe sent (scaled down so it runs in a second or two) through a real HTTP client
or the ASGI app, and checks the refusal or the absence of harm. None of them times anything: waits are
bounded only as safety nets.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from aitre.server import ServerSettings, create_app, serve_in_background
from aitre.server.embedded import BackgroundServer

CHAT = "/v1/chat/completions"
HELLO = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}


def _error(response: httpx.Response) -> dict[str, Any]:
    """The OpenAI error object of a refusal, with exactly its four fields."""
    body: dict[str, Any] = response.json()["error"]
    assert set(body) == {"message", "type", "param", "code"}
    return body


def _mj_finish(client: httpx.Client, task_id: str) -> dict[str, Any]:
    """Fetch a MidJourney task until it ends (one status step per fetch)."""
    task: dict[str, Any] = {}
    for _ in range(6):
        task = client.get(f"/mj/task/{task_id}/fetch").json()
        if task["status"] in ("SUCCESS", "FAILURE"):
            break
    return task


# ---- 10. ids and picture names must be unguessable ------------------------------------------------------


def _untemper(value: int) -> int:
    """Invert the Mersenne Twister's output tempering, giving back one word of its internal state."""
    value ^= value >> 18
    value ^= (value << 15) & 0xEFC60000
    result = value
    for _ in range(5):
        result = value ^ ((result << 7) & 0x9D2C5680)
    value = result & 0xFFFFFFFF
    result = value
    for _ in range(3):
        result = value ^ (result >> 11)
    return result & 0xFFFFFFFF


def _clone_twister(outputs: list[int]) -> random.Random:
    """A generator in the state a Mersenne Twister is in after producing these 624 32-bit outputs."""
    assert len(outputs) == 624
    clone = random.Random()
    clone.setstate((3, (*(_untemper(word) for word in outputs), 624), None))
    return clone


def _words(value: int) -> list[int]:
    """The 32-bit outputs behind one `getrandbits(96)`, in the order the generator produced them."""
    return [(value >> shift) & 0xFFFFFFFF for shift in (0, 32, 64)]


def test_twister_clone_predicts_a_twister() -> None:
    # The attack itself must work, or the next test would pass for the wrong reason.
    victim = random.Random(1234)
    outputs = [word for _ in range(208) for word in _words(victim.getrandbits(96))]
    assert _clone_twister(outputs).getrandbits(96) == victim.getrandbits(96)


def test_picture_links_cannot_be_predicted_from_chat_ids(server: BackgroundServer) -> None:
    # The probe: 208 chat ids (96 bits each, so 624 outputs) give away the generator, and with it the name
    # of the next picture anyone uploads or generates, which is readable without a key.
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
        outputs: list[int] = []
        for _ in range(208):
            chat_id = client.post(CHAT, json=HELLO).json()["id"]
            outputs += _words(int(chat_id.removeprefix("chatcmpl-"), 16))
        guess = f"img_{_clone_twister(outputs).getrandbits(96):024x}.png"
        body = {"model": "dall-e-2", "prompt": "a cat", "size": "256x256", "response_format": "url"}
        link = client.post("/v1/images/generations", json=body).json()["data"][0]["url"]
        assert link.rsplit("/", 1)[1] != guess
        assert httpx.get(f"{server.base_url}/files/images/{guess}").status_code == 404


def test_midjourney_picture_names_are_not_task_ids(http: httpx.Client) -> None:
    # Task ids are Unix milliseconds plus a counter (the midjourney-proxy form); a picture named after one
    # can be found by counting.
    task_id = http.post("/mj/submit/imagine", json={"prompt": "a fox"}).json()["result"]
    link = _mj_finish(http, task_id)["imageUrl"]
    assert link and task_id not in link
    assert httpx.get(link).content.startswith(b"\x89PNG")


# ---- 11. a lone surrogate in a JSON string is refused with 400, never a 500 ----------------------------

# Each body holds the six characters `\ud800` inside a string: valid JSON, but not Unicode text.
SURROGATE_BODIES = [
    pytest.param(CHAT, '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "a\\ud800b"}]}',
                 "messages[0].content", id="chat"),
    pytest.param("/v1/completions", '{"model": "gpt-3.5-turbo-instruct", "prompt": "\\ud800"}', "prompt",
                 id="completions"),
    pytest.param("/v1/embeddings", '{"model": "text-embedding-3-small", "input": ["ok", "\\udfff"]}', "input[1]",
                 id="embeddings"),
    pytest.param("/v1/audio/speech", '{"model": "tts-1", "voice": "alloy", "input": "\\ud800"}', "input",
                 id="speech"),
    pytest.param("/v1/images/generations", '{"model": "dall-e-2", "prompt": "\\ud800", "size": "256x256"}',
                 "prompt", id="images"),
    pytest.param("/mj/submit/imagine", '{"prompt": "a cat \\ud800"}', "prompt", id="mj-imagine"),
    pytest.param(CHAT, '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "\\ud800": 1}',
                 "\\ud800", id="key"),
]


@pytest.mark.parametrize(("path", "raw", "param"), SURROGATE_BODIES)
def test_lone_surrogate_is_400_naming_the_field(http: httpx.Client, path: str, raw: str, param: str) -> None:
    response = http.post(path, content=raw.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = _error(response)
    assert error["param"] == param and error["code"] == "invalid_unicode"


def test_lone_surrogate_in_a_form_field_is_400(http: httpx.Client) -> None:
    # Multipart text is strict UTF-8, but a field that holds JSON can still escape a surrogate.
    files = {"file": ("a.wav", b"RIFF0000WAVEfmt ", "audio/wav")}
    strategy = '{"type": "server_vad", "note": "\\ud800"}'
    data = {"model": "gpt-4o-transcribe", "chunking_strategy": strategy}
    response = http.post("/v1/audio/transcriptions", files=files, data=data)
    assert response.status_code == 400
    assert _error(response)["param"] == "chunking_strategy.note"


def test_the_server_stays_well_after_a_surrogate(http: httpx.Client) -> None:
    # The probe's MidJourney task answered 500 on every later fetch; now no such task exists, and the same
    # request with the surrogate escaped properly works.
    raw = b'{"prompt": "a cat \\ud800"}'
    refused = http.post("/mj/submit/imagine", content=raw, headers={"Content-Type": "application/json"})
    assert refused.status_code == 400
    accepted = http.post("/mj/submit/imagine", json={"prompt": "a cat \N{CAT FACE}"})
    assert accepted.status_code == 200
    assert _mj_finish(http, accepted.json()["result"])["status"] == "SUCCESS"


# ---- 12. request heads are held to one size limit, on both HTTP stacks ---------------------------------

HEAD_LIMIT = ServerSettings().max_head_bytes


@pytest.fixture(scope="module", params=["httptools", "h11"])
def stack_server(request: pytest.FixtureRequest) -> Iterator[BackgroundServer]:
    with serve_in_background(ServerSettings(), http=request.param) as running:
        yield running


def _read_answers(sock: socket.socket, count: int = 1) -> list[tuple[int, bytes]]:
    """Read `count` HTTP responses from a raw socket (they may share reads): [(status, body), ...]."""
    answers: list[tuple[int, bytes]] = []
    pending = b""
    while len(answers) < count:
        while b"\r\n\r\n" not in pending and (chunk := sock.recv(65536)):
            pending += chunk
        head, _, pending = pending.partition(b"\r\n\r\n")
        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        assert length is not None, head
        while len(pending) < int(length.group(1)) and (chunk := sock.recv(65536)):
            pending += chunk
        answers.append((int(head.split(b" ", 2)[1]), pending[: int(length.group(1))]))
        pending = pending[int(length.group(1)) :]
    return answers


def _read_answer(sock: socket.socket) -> tuple[int, bytes]:
    """Read one HTTP response from a raw socket: (status, body)."""
    return _read_answers(sock)[0]


def _send_head(server: BackgroundServer, head: bytes, piece: int = 1 << 20) -> tuple[int, bytes, bool]:
    """Send one request head over a fresh socket, `piece` bytes per write; (status, body, whether the server
    then closed the connection). A refused head is read back even when the server stopped reading early."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        try:
            for start in range(0, len(head), piece):
                sock.sendall(head[start : start + piece])
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, body = _read_answer(sock)
        # Only asked of refusals: a served request keeps the connection open, and recv would wait.
        closed = status >= 400 and sock.recv(1) == b""
    return status, body, closed


def _head(header_bytes: int, key: str | None = None) -> bytes:
    """A GET /v1/models head with one `X-Padding` header of `header_bytes` bytes in all."""
    lines = [b"GET /v1/models HTTP/1.1", b"Host: 127.0.0.1"]
    if key:
        lines.append(f"Authorization: Bearer {key}".encode())
    lines.append(b"X-Padding: " + b"a" * (header_bytes - len(b"X-Padding: ")))
    return b"\r\n".join(lines) + b"\r\n\r\n"


def test_a_megabyte_header_is_431_naming_the_limit(stack_server: BackgroundServer) -> None:
    # The probe sent 200 MB with no key; 1 MB shows the same thing: refused after the limit, connection closed.
    status, body, closed = _send_head(stack_server, _head(1024 * 1024))
    assert status == 431 and closed
    error = json.loads(body)["error"]
    assert str(HEAD_LIMIT) in error["message"] and error["code"] == "request_header_fields_too_large"


def test_both_stacks_share_the_limit(stack_server: BackgroundServer) -> None:
    # Just under the limit is served (h11's own 16 KiB cap used to refuse it); just over is refused (httptools
    # used to take anything).
    under = _send_head(stack_server, _head(HEAD_LIMIT - 1024, stack_server.api_key))[0]
    over = _send_head(stack_server, _head(HEAD_LIMIT + 1024, stack_server.api_key))[0]
    assert (under, over) == (200, 431)


def test_the_limit_counts_a_head_sent_in_pieces(stack_server: BackgroundServer) -> None:
    # A head trickled in small writes adds up the same way as one sent at once.
    assert _send_head(stack_server, _head(HEAD_LIMIT + 1024), piece=4096)[0] == 431


def test_keep_alive_requests_each_get_the_whole_limit(stack_server: BackgroundServer) -> None:
    # The count starts afresh with each request on a connection: three heads of most of the limit each pass.
    headers = {"Authorization": f"Bearer {stack_server.api_key}", "X-Padding": "a" * (HEAD_LIMIT - 2048)}
    with httpx.Client(base_url=stack_server.base_url, timeout=10) as client:
        statuses = [client.get("/v1/models", headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]


def test_pipelined_requests_each_get_the_whole_limit(stack_server: BackgroundServer) -> None:
    # Two heads of most of the limit each, in one write: the first ends within the limit, so the second is
    # a new head and not the first one running over.
    head = _head(HEAD_LIMIT - 4096, stack_server.api_key)
    with socket.create_connection((stack_server.host, stack_server.port), timeout=10) as sock:
        sock.sendall(head + head)
        statuses = [status for status, _ in _read_answers(sock, 2)]
    assert statuses == [200, 200]


def test_bodies_do_not_count_towards_the_head_limit(stack_server: BackgroundServer) -> None:
    # A body several times the head limit, sent with its head in the same writes, is served.
    body = {"model": "text-embedding-3-small", "input": ["word " * 120] * 512, "dimensions": 8}
    with httpx.Client(base_url=stack_server.base_url, timeout=30) as client:
        response = client.post("/v1/embeddings", json=body, headers={"Authorization": f"Bearer {stack_server.api_key}"})
    assert len(response.request.content) > 4 * HEAD_LIMIT
    assert response.status_code == 200 and len(response.json()["data"]) == 512


# ---- 13. over-limit inputs are refused before per-item work, and big work leaves the loop free ---------

EMBEDDINGS = "/v1/embeddings"


@pytest.mark.parametrize(
    "items", [pytest.param(["a"] * 100_000, id="strings"), pytest.param([7] * 100_000, id="token-ids")]
)
def test_too_many_embedding_inputs_is_400_naming_the_limit(http: httpx.Client, items: list[Any]) -> None:
    # The probe sent a million strings; a tenth of that shows the same refusal. The answer names the spec's
    # maxItems and does not echo the input back.
    response = http.post(EMBEDDINGS, json={"model": "text-embedding-3-small", "input": items})
    assert response.status_code == 400 and len(response.content) < 1024
    error = _error(response)
    assert error["param"] == "input" and error["code"] == "array_above_max_length"
    assert "2048" in error["message"] and "100000" in error["message"]


def test_too_long_speech_input_is_400_naming_the_limit(http: httpx.Client) -> None:
    response = http.post("/v1/audio/speech", json={"model": "tts-1", "voice": "alloy", "input": "a" * 1_000_000})
    assert response.status_code == 400 and len(response.content) < 1024
    error = _error(response)
    assert error["param"] == "input" and error["code"] == "string_above_max_length" and "4096" in error["message"]


def test_a_refusal_does_not_echo_a_big_request(http: httpx.Client) -> None:
    # A schema error deep inside the body used to quote the offending value whole.
    body = {"model": "gpt-4o-mini", "messages": "a" * 300_000}
    response = http.post(CHAT, json=body)
    assert response.status_code == 400 and len(response.content) < 4096
    assert _error(response)["param"] == "messages"


async def _busy_ticks(app: Any, path: str, body: dict[str, Any], key: str) -> tuple[int, int]:
    """Call the ASGI app with one request; (status, how often another task ran while the app was busy
    with it, from the moment it had the whole body until it started to answer).

    Before the fix every step after reading the body ran without yielding, so the count was 0 however
    long the request took: the loop could serve no one else.
    """
    raw = json.dumps(body).encode()
    state = {"busy": False, "delivered": False, "status": 0, "ticks": 0, "finished": False}
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if state["delivered"]:
            await never.wait()  # the client stays connected
        state["delivered"] = state["busy"] = True
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            state["busy"], state["status"] = False, message["status"]

    async def heartbeat() -> None:
        while not state["finished"]:
            state["ticks"] += state["busy"]
            await asyncio.sleep(0)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000),
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {key}".encode()),
                    (b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())],
    }
    beating = asyncio.create_task(heartbeat())
    try:
        await asyncio.wait_for(app(scope, receive, send), timeout=120)  # a safety net, not a measurement
    finally:
        state["finished"] = True
        await beating
    return state["status"], state["ticks"]


@pytest.fixture(scope="module")
def asgi_app() -> Any:
    return create_app(ServerSettings())


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"model": "text-embedding-3-small", "input": ["a"] * 100_000}, id="over-the-limit"),
        pytest.param({"model": "text-embedding-3-small", "input": [f"text {i}" for i in range(300)]}, id="valid"),
    ],
)
def test_big_embeddings_requests_leave_the_event_loop_free(asgi_app: Any, body: dict[str, Any]) -> None:
    status, ticks = asyncio.run(_busy_ticks(asgi_app, EMBEDDINGS, body, ServerSettings().api_keys[0]))
    assert status in (200, 400) and ticks > 0


# ---- 14. the picture store is bounded by bytes as well as by count -------------------------------------


def test_the_picture_store_keeps_to_its_byte_budget() -> None:
    # The probe: 256 uploads of 18 MB would have been kept (4.7 GB). Scaled down: a 1 MiB budget, five
    # pictures of 300 kB; the oldest go, the newest stay, and what is still served fits the budget.
    budget = 1024 * 1024
    settings = ServerSettings(max_body_bytes=512 * 1024, max_stored_image_bytes=budget)
    picture = b"\x89PNG\r\n\x1a\n" + bytes(300_000)
    data_url = "data:image/png;base64," + base64.b64encode(picture).decode()
    with serve_in_background(settings) as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
        headers = {"Authorization": f"Bearer {server.api_key}"}
        links = [
            client.post("/mj/submit/upload-discord-images", json={"base64Array": [data_url]}, headers=headers)
            .json()["result"][0]
            for _ in range(5)
        ]
        served = [client.get(link) for link in links]
    kept = [len(response.content) for response in served if response.status_code == 200]
    assert served[0].status_code == 404 and served[-1].content == picture
    assert sum(kept) <= budget and len(kept) == 3


# ---- 15. `aitre serve`'s access log keeps keys out; and the head limit on its default stack -----------

CLI_KEY = "sk-hostile-cli-5e0c8a41d7"


@dataclass
class CliServer:
    """A running `aitre serve` (default stack, access log on) and every line it has written so far."""

    port: int
    process: subprocess.Popen[str]
    lines: list[str]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_for(self, *needles: str, timeout: float = 20) -> list[str]:
        """The output up to the first line containing one of `needles`; fails after `timeout` s (a safety net)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for index, line in enumerate(list(self.lines)):
                if any(needle in line for needle in needles):
                    return self.lines[: index + 1]
            time.sleep(0.05)
        raise AssertionError(f"none of {needles!r} appeared in the log of aitre serve: {self.lines}")


def _collect(stream: IO[str], lines: list[str]) -> None:
    for line in stream:
        lines.append(line)


@pytest.fixture(scope="module")
def cli_server() -> Iterator[CliServer]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(Path(sys.executable).with_name("aitre")), "serve", "--port", str(port)]
    process = subprocess.Popen(command, env={**os.environ, "AITRE_API_KEY": CLI_KEY}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=_collect, args=(process.stdout, lines), daemon=True)
    reader.start()
    running = CliServer(port, process, lines)
    try:
        running.wait_for("Uvicorn running on")
        yield running
    finally:
        process.terminate()
        process.wait(timeout=10)
        reader.join(timeout=10)


def test_access_log_masks_keys_in_query_strings(cli_server: CliServer) -> None:
    # Some clients put the key in the URL; the access log used to write it out.
    for query in (f"api_key={CLI_KEY}&limit=5", f"key={CLI_KEY}", f"access_token={CLI_KEY}"):
        assert httpx.get(f"{cli_server.base_url}/v1/models?{query}").status_code == 401
    httpx.get(cli_server.base_url + "/v1/models?done=1")  # the marker: its line comes after the others
    log = "".join(cli_server.wait_for("/v1/models?done=1"))
    assert CLI_KEY not in log
    assert "api_key=****&limit=5" in log and "key=****" in log and "access_token=****" in log


def test_aitre_serve_holds_heads_to_the_limit(cli_server: CliServer) -> None:
    # The probe's 200 MB header went to `aitre serve` on its default stack (httptools); 1 MB shows it.
    with socket.create_connection(("127.0.0.1", cli_server.port), timeout=10) as sock:
        try:
            sock.sendall(_head(1024 * 1024))
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, body = _read_answer(sock)
    assert status == 431 and str(HEAD_LIMIT) in json.loads(body)["error"]["message"]


# ---- 16. stored pictures are served inert ---------------------------------------------------------------


def _upload(http: httpx.Client, media_type: str, data: bytes) -> str:
    data_url = f"data:{media_type};base64," + base64.b64encode(data).decode()
    link: str = http.post("/mj/submit/upload-discord-images", json={"base64Array": [data_url]}).json()["result"][0]
    return link


def test_uploaded_svg_is_served_inert(http: httpx.Client) -> None:
    # The probe's SVG came back (without a key) as active image/svg+xml: script in it ran on this origin.
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'
    served = httpx.get(_upload(http, "image/svg+xml", svg))
    assert served.status_code == 200 and served.content == svg
    assert served.headers["x-content-type-options"] == "nosniff"
    policy = served.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy
    assert served.headers["content-disposition"].startswith("attachment")


def test_an_upload_of_an_unknown_type_is_served_as_a_download(http: httpx.Client) -> None:
    # The media type of an upload comes from its data URL, which the client writes; only known picture
    # types are served as such.
    served = httpx.get(_upload(http, "image/x-made-up", b"<html><script>alert(1)</script></html>"))
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith("attachment")


def test_generated_pictures_still_display_inline(http: httpx.Client) -> None:
    body = {"model": "dall-e-2", "prompt": "a cat", "size": "256x256", "response_format": "url"}
    served = httpx.get(http.post("/v1/images/generations", json=body).json()["data"][0]["url"])
    assert served.headers["content-type"] == "image/png" and "content-disposition" not in served.headers
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]


# ---- 17. a client that leaves in the middle of its body is one quiet log line ----------------------------


def _leave_mid_body(host: str, port: int, path: str, key: str) -> None:
    """Announce a 100 kB body, send 1 kB of it, and close the connection."""
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(head.encode() + b"{" + b" " * 999)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_client_leaving_mid_body_is_one_quiet_line(server: BackgroundServer) -> None:
    # The probe's disconnect wrote about 85 lines: the server's own traceback and uvicorn's.
    collected = _Records()
    loggers = [logging.getLogger("aitre.server"), logging.getLogger("uvicorn.error")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(collected)
        logger.setLevel(logging.DEBUG)
    try:
        _leave_mid_body(server.host, server.port, "/v1/embeddings", server.api_key)
        deadline = time.monotonic() + 10  # a safety net: the line comes as soon as the server sees the close
        while not any("/v1/embeddings" in record.getMessage() for record in collected.records):
            assert time.monotonic() < deadline, "the server logged nothing about the disconnect"
            time.sleep(0.02)
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(collected)
            logger.setLevel(level)
    [record] = [record for record in collected.records if "/v1/embeddings" in record.getMessage()]
    assert record.levelno <= logging.INFO and "\n" not in record.getMessage()
    assert all(record.exc_info is None and record.levelno < logging.ERROR for record in collected.records)


def test_aitre_serve_logs_no_traceback_for_a_client_leaving_mid_body(cli_server: CliServer) -> None:
    _leave_mid_body("127.0.0.1", cli_server.port, "/v1/chat/completions", CLI_KEY)
    log = "".join(cli_server.wait_for("disconnected", "Exception in ASGI application", "unhandled error"))
    assert "Traceback" not in log and "unhandled error" not in log
