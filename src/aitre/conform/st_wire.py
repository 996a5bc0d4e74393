"""schemathesis's requests go through the bounds of `wire.py`: deadline, decoded-size, event and budget caps.

schemathesis 4 sends with one `requests.Session` per worker thread, made by
`schemathesis.engine.context.make_session`, and its hooks get no handle on that session. The one patch:
`install()` wraps that factory so each session it makes has `BoundedAdapter` mounted, a `requests`
transport adapter (requests' documented extension point). It is a no-op when the factory is missing
(another schemathesis version) and when no run has set bounds on the thread (`use_bounds`), so the
adapter then behaves exactly as `requests`' own.

`BoundedAdapter` counts every request it puts on the wire against --budget (the first of a case is
counted by the `before_call` hook, which can stop the run; a resend or a redirect is counted here),
reads the body itself through `wire.BoundedReader` (its own decoding, so a gzip bomb stops at the cap)
under a total deadline, and hands `requests` a replay of the bounded, decoded body.
"""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.response import BaseHTTPResponse, HTTPResponse

from aitre.conform.client import RequestCounter
from aitre.conform.wire import BodyCut, BoundedReader, current_deadline, deadline

READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class WireBounds:
    """The bounds of one run, as schemathesis's requests must obey them."""

    timeout: float
    max_body_bytes: int
    max_stream_events: int
    counter: RequestCounter


class RequestCut(requests.exceptions.RequestException):
    """A response was abandoned at a bound (size, events, budget); the message says which."""


_THREAD = threading.local()


def use_bounds(bounds: WireBounds | None, *, prepaid: bool = True) -> None:
    """Apply `bounds` to this thread's next requests; `prepaid`: the next one is already counted by the caller."""
    _THREAD.bounds = bounds
    _THREAD.prepaid = bounds is not None and prepaid


def _shut(sock: socket.socket) -> None:
    # Called by the deadline's timer: a blocked read returns at once and the request fails.
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _arm(sock: socket.socket | None) -> None:
    current = current_deadline()
    if current is not None and sock is not None:
        current.arm(lambda: _shut(sock))


class _HTTPConnection(HTTPConnection):
    """Waits for the status line and headers no longer than the request's deadline (endless 1xx, drip)."""

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]  # same signature as urllib3's
        _arm(self.sock)
        return super().getresponse()


class _HTTPSConnection(HTTPSConnection):
    def getresponse(self) -> HTTPResponse:  # type: ignore[override]  # same signature as urllib3's
        _arm(self.sock)
        return super().getresponse()


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _Replay:
    """The bounded, decoded body in place of `response.raw`; anything else is the original's."""

    def __init__(self, original: BaseHTTPResponse, body: bytes) -> None:
        self._original = original
        self._buffer = io.BytesIO(body)

    def read(self, amt: int | None = None, decode_content: bool | None = None, **_: Any) -> bytes:
        return self._buffer.read(-1 if amt is None else amt)

    def read1(self, amt: int | None = None, decode_content: bool | None = None) -> bytes:
        return self._buffer.read1(-1 if amt is None else amt)

    def stream(self, amt: int | None = READ_CHUNK, decode_content: bool | None = None) -> Iterator[bytes]:
        while chunk := self._buffer.read(amt or READ_CHUNK):
            yield chunk

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


def _raw_chunks(raw: BaseHTTPResponse) -> Iterator[bytes]:
    # Undecoded: the reader decodes, counting every stage against the cap.
    while chunk := raw.read1(READ_CHUNK, decode_content=False):
        yield chunk


class BoundedAdapter(HTTPAdapter):
    """`requests`' adapter with conform's bounds when a run has set them on the thread."""

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        bounds: WireBounds | None = getattr(_THREAD, "bounds", None)
        if bounds is None:
            return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
        if getattr(_THREAD, "prepaid", False):
            _THREAD.prepaid = False
        elif not bounds.counter.try_acquire():
            raise RequestCut("request budget exhausted", request=request)
        with deadline(bounds.timeout) as bound:
            late = f"no complete response within {bounds.timeout:g} s"
            try:
                response = super().send(request, stream=True, timeout=timeout, verify=verify, cert=cert,
                                        proxies=proxies)
            except requests.RequestException:
                if bound.expired or bound.remaining() <= 0:
                    raise requests.exceptions.ReadTimeout(late, request=request) from None
                raise
            if bound.expired:
                # The deadline shut the socket mid-headers; what http.client parsed up to there is no answer.
                response.close()
                raise requests.exceptions.ReadTimeout(late, request=request)
            streaming = response.headers.get("content-type", "").split(";")[0].strip() == "text/event-stream"
            reader = BoundedReader(response.headers.get("content-encoding", ""), max_bytes=bounds.max_body_bytes,
                                   deadline=bound.at, timeout=bounds.timeout,
                                   max_events=bounds.max_stream_events if streaming else None)
            try:
                reader.read(_raw_chunks(response.raw))
            except BodyCut as cut:
                response.close()
                if not _past_event_cap(reader):
                    raise RequestCut(cut.message, request=request) from None
                # A long stream is no fault: schemathesis judges only its first `max-stream-events` events,
                # fewer than the cap, so it gets the events read so far as the whole stream.
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                response.close()
                if bound.expired or isinstance(exc, urllib3.exceptions.ReadTimeoutError):
                    raise requests.exceptions.ReadTimeout(reader.late().message, request=request) from None
                raise requests.exceptions.ConnectionError(exc, request=request) from None
            if bound.expired:
                # Shut at the deadline: the end of the body seen was the cut, not the server's.
                raise requests.exceptions.ReadTimeout(reader.late().message, request=request)
        original = response.raw
        original.release_conn()
        response.raw = _Replay(original, reader.body)
        return response


def _past_event_cap(reader: BoundedReader) -> bool:
    """Whether the reader stopped for the number of events alone (not for size or time)."""
    return reader.max_events is not None and len(reader.events) > reader.max_events and \
        reader.size <= reader.max_bytes


def install() -> None:
    """Mount `BoundedAdapter` on every session schemathesis makes (idempotent; see the module docstring)."""
    from schemathesis.engine import context

    original: Callable[..., requests.Session] | None = getattr(context, "make_session", None)
    if original is None or getattr(original, "_aitre_bounded", False):
        return

    def make_session(*args: Any, **kwargs: Any) -> requests.Session:
        session = original(*args, **kwargs)
        adapter = BoundedAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    make_session._aitre_bounded = True  # type: ignore[attr-defined]  # our marker on the function object
    context.make_session = make_session
