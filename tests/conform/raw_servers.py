"""Raw-socket servers for the hostile tests: they answer with bytes no well-behaved framework would send."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

MODEL_LIST = {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model", "created": 1, "owned_by": "x"}]}


@dataclass
class Seen:
    """What a raw server received: request lines, in order."""

    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Stops accepting connections: later requests are refused, as if the server had died.
    die: Callable[[], None] = lambda: None


# (connection, request line, headers block) -> None; the handler writes the answer and may keep writing.
Handler = Callable[[socket.socket, str, bytes], None]


def _read_head(conn: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 1_000_000:
            return None
    head, _, rest = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            remaining = int(value) - len(rest)
            while remaining > 0:
                chunk = conn.recv(min(remaining, 65536))
                if not chunk:
                    break
                remaining -= len(chunk)
    return head


@contextmanager
def raw_server(handler: Handler) -> Iterator[tuple[str, Seen]]:
    """Serve one request per connection with `handler`, on 127.0.0.1:<free port>; yields (base URL, Seen)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    stop = threading.Event()
    seen = Seen()
    seen.die = listener.close

    def serve_one(conn: socket.socket) -> None:
        with conn:
            try:
                head = _read_head(conn)
                if head is None:
                    return
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                with seen.lock:
                    seen.requests.append(line)
                handler(conn, line, head)
            except OSError:
                pass  # the client gave up: exactly what the test wants to see

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                if listener.fileno() < 0:
                    time.sleep(0.05)
                continue
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", seen
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def answer(conn: socket.socket, status: str, body: bytes, headers: dict[str, str] | None = None) -> None:
    """A complete HTTP/1.1 answer that closes the connection."""
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


def models_answer(conn: socket.socket) -> None:
    answer(conn, "200 OK", json.dumps(MODEL_LIST).encode(), {"Content-Type": "application/json"})


BOMB_DECODED = 256 * 1024 * 1024


@cache
def gzip_bomb() -> bytes:
    """`BOMB_DECODED` zero bytes, gzipped twice (a few hundred bytes to send), for `Content-Encoding: gzip, gzip`."""
    block = b"\x00" * (16 * 1024 * 1024)
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    inner = b"".join(packer.compress(block) for _ in range(BOMB_DECODED // len(block))) + packer.flush()
    return gzip.compress(inner, compresslevel=9)


def stall(seconds: float, stop_after: float) -> Callable[[], bool]:
    """A pacing helper: sleeps `seconds` and says whether `stop_after` seconds have passed since creation."""
    started = time.monotonic()

    def step() -> bool:
        time.sleep(seconds)
        return time.monotonic() - started > stop_after

    return step
