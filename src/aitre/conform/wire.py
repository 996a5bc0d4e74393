"""The bounds every response conform reads goes through, whichever client sent it (ours or schemathesis's).

Three things a hostile server can otherwise use against the tool:

- time: a per-request deadline that covers the connection, the header phase (endless `103 Early Hints`,
  headers at one byte a second) and the body, not only the gap between two reads;
- size: the body is counted after decoding, stage by stage, so `Content-Encoding: gzip, gzip` over a
  few kilobytes cannot expand into gigabytes before the cap is seen;
- events: an event stream is cut after a number of events, and its bytes count against the body cap.

`BoundedReader` is the one read loop; `DeadlineTransport` gives httpx the deadline, `st_wire.py` gives
schemathesis's `requests` session the same reader and deadline.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import httpcore
import httpx

from aitre.conform.sse import SseEvent, SseParser

# zlib window bits per content coding (16 + : gzip header; plain: zlib header; raw deflate is tried after).
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_GZIP_MAGIC = b"\x1f\x8b"


class BodyCut(Exception):
    """A response stopped being read at one of the bounds; the message says which (and never the body)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Stage:
    """One zlib decoding stage whose output never exceeds `limit` bytes in total."""

    def __init__(self, coding: str, limit: int) -> None:
        self.coding, self.limit, self.produced = coding, limit, 0
        self._inflate = zlib.decompressobj(_WBITS[coding])
        self._started = False

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        while data:
            if self._inflate.eof:
                # Another gzip member may follow (RFC 1952 allows several); anything else is trailing noise.
                if self.coding == "deflate" or not data.startswith(_GZIP_MAGIC):
                    break
                self._inflate = zlib.decompressobj(_WBITS[self.coding])
            try:
                # At most one byte past the room left: enough to know the cap is passed, never more.
                chunk = self._inflate.decompress(data, self.limit - self.produced + 1)
            except zlib.error as exc:
                if self.coding == "deflate" and not self._started:
                    # Many servers send raw deflate without the zlib header (httpx accepts it too).
                    self._inflate, self._started = zlib.decompressobj(-zlib.MAX_WBITS), True
                    continue
                raise BodyCut(f"cannot be decoded as {self.coding} ({exc})") from None
            self._started = True
            self._count(chunk)
            out.append(chunk)
            data = self._inflate.unused_data if self._inflate.eof else self._inflate.unconsumed_tail
        return b"".join(out)

    def finish(self) -> bytes:
        chunk = self._inflate.flush() if not self._inflate.eof else b""
        self._count(chunk)
        return chunk

    def _count(self, chunk: bytes) -> None:
        self.produced += len(chunk)
        if self.produced > self.limit:
            raise BodyCut(f"larger than {self.limit} bytes once decoded ({self.coding})")


class Decoder:
    """Undoes a `Content-Encoding` list (last applied first), each stage bounded; unknown codings pass through."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        self._stages = [_Stage(c, limit) for c in reversed(codings) if c in _WBITS]

    def feed(self, data: bytes) -> bytes:
        for stage in self._stages:
            data = stage.feed(data)
        return data

    def finish(self) -> bytes:
        data = b""
        for stage in self._stages:
            data = stage.feed(data) + stage.finish() if data else stage.finish()
        return data


class BoundedReader:
    """Reads one response body: decoded, size-, event- and time-bounded; raises `BodyCut` at a bound.

    What was read before the cut stays available in `body` and `events` (for the report's excerpt).
    """

    def __init__(self, content_encoding: str, *, max_bytes: int, deadline: float, timeout: float,
                 max_events: int | None = None) -> None:
        self.max_bytes, self.deadline, self.timeout = max_bytes, deadline, timeout
        self.max_events = max_events
        self._decoder = Decoder(content_encoding, max_bytes)
        self._chunks: list[bytes] = []
        self.size = 0
        self.parser = SseParser() if max_events is not None else None
        self.events: list[SseEvent] = []
        self._kind = "event stream" if max_events is not None else "body"

    @property
    def body(self) -> bytes:
        return b"".join(self._chunks)[: self.max_bytes]

    def read(self, raw_chunks: Iterable[bytes], on_progress: Callable[[], None] | None = None) -> None:
        for raw in raw_chunks:
            self._take(self._decode(self._decoder.feed, raw))
            if on_progress is not None:
                on_progress()
            if time.monotonic() > self.deadline:
                raise self.late()
        self._take(self._decode(lambda _: self._decoder.finish(), b""))

    def late(self) -> BodyCut:
        """The cut for a body still arriving at the deadline."""
        detail = f"{len(self.events)} events" if self.parser is not None else f"{self.size} bytes"
        verb = "still open" if self.parser is not None else "still arriving"
        return BodyCut(f"{self._kind} {verb} after {self.timeout:g} s ({detail}); stopped reading")

    def _decode(self, step: Callable[[bytes], bytes], raw: bytes) -> bytes:
        try:
            return step(raw)
        except BodyCut as cut:
            raise BodyCut(f"{self._kind} {cut.message}; stopped reading") from None

    def _take(self, data: bytes) -> None:
        if not data:
            return
        self.size += len(data)
        self._chunks.append(data)
        if self.parser is not None and self.max_events is not None:
            self.events.extend(self.parser.feed(data))
            if len(self.events) > self.max_events:
                raise BodyCut(f"event stream longer than {self.max_events} events; stopped reading")
        if self.size > self.max_bytes:
            raise BodyCut(f"{self._kind} larger than {self.max_bytes} bytes; stopped reading")


# The deadline of the request the current thread is sending (None outside one).
_LOCAL = threading.local()


class Deadline:
    """The wall-clock end of one request; `arm` schedules a cut (closing a socket) for when it passes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._timers: list[threading.Timer] = []

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def arm(self, cut: Callable[[], None]) -> None:
        def fire() -> None:
            self.expired = True
            cut()

        timer = threading.Timer(max(self.remaining(), 0.0), fire)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def disarm(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()


@contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """Run one request of this thread under a total deadline of `seconds`."""
    current = Deadline(seconds)
    previous = getattr(_LOCAL, "deadline", None)
    _LOCAL.deadline = current
    try:
        yield current
    finally:
        current.disarm()
        _LOCAL.deadline = previous


def current_deadline() -> Deadline | None:
    found: Deadline | None = getattr(_LOCAL, "deadline", None)
    return found


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """A read/write/connect timeout shortened to what is left of this thread's deadline."""
    current = current_deadline()
    if current is None:
        return timeout
    left = current.remaining()
    if left <= 0:
        current.expired = True
        raise error(f"no complete response within {current.seconds:g} s")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write gets at most the time left of the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: object, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        upgraded = self._inner.start_tls(ssl_context, server_hostname,  # type: ignore[arg-type]  # ssl.SSLContext
                                         _bounded(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(upgraded)

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync backend with every socket operation bounded by the current request's deadline."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[object] | None = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _bounded(timeout, httpcore.ConnectTimeout), local_address,
                                         socket_options)  # type: ignore[arg-type]  # httpcore's SOCKET_OPTION union
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport, over `DeadlineBackend`.

    httpx takes no network backend, but httpcore's connection pool does (a documented httpcore
    extension point); the pool is replaced right after httpx builds its own, with the same limits.
    """

    def __init__(self, *, max_connections: int, max_keepalive_connections: int) -> None:
        super().__init__(limits=httpx.Limits(max_connections=max_connections,
                                             max_keepalive_connections=max_keepalive_connections))
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
            keepalive_expiry=5.0,
            network_backend=DeadlineBackend(),
        )
