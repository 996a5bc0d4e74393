"""A cap on the size of a request head (request line plus header lines), the same on both HTTP stacks.

uvicorn's httptools stack has no such cap, and httptools gathers a header value by appending each piece
to the bytes so far, so a 200 MB header took 46 s of one core and 400 MB of memory before the app (and its
key check) saw anything; h11 stops at 16 KiB but answers a bare "Invalid HTTP request received.". Here the
bytes of a head are counted as they arrive, before either parser sees them: the parser is fed at most the
limit, and a head that has not ended by then gets 431 with the OpenAI error object naming the limit, and
the connection is closed.

Counting starts afresh after each complete head. A pipelined request whose head begins in the same read as
the end of the previous request is counted from its next read on, so it can pass the limit by at most one
limit's worth of bytes; the work stays linear either way.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from aitre.server.encoding import dump_bytes
from aitre.server.errors import ApiError

log = logging.getLogger("aitre.server")
# How long a refused connection is drained before it is closed regardless.
LINGER_SECONDS = 2.0


def refusal_error(limit: int) -> ApiError:
    return ApiError(
        431,
        f"The request line and headers exceed the limit of {limit} bytes.",
        code="request_header_fields_too_large",
    )


def refusal_bytes(limit: int) -> bytes:
    """The whole 431 response, written straight to the socket (no request exists yet for the app)."""
    body = dump_bytes(refusal_error(limit).body())
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class HeadLimit:
    """Mixin for a uvicorn HTTP protocol: counts head bytes in `data_received` and refuses past the limit.

    The protocol class says, through `_reading_head`, whether its parser is still inside a request head.
    """

    max_head_bytes: int  # set by `protocol_class`
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    _head_bytes: int = 0
    _refused: bool = False

    def _reading_head(self) -> bool:
        raise NotImplementedError

    def _feed(self, data: bytes) -> None:
        """Hand bytes to the stack's own `data_received` (the next class in the MRO)."""
        super().data_received(data)  # type: ignore[misc]  # a mixin: the method is the protocol class's, later in the MRO

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # the rest of a refused request, read only so that closing does not reset the connection
        while data:
            if not self._reading_head():
                self._feed(data)
                break
            room = self.max_head_bytes - self._head_bytes
            if len(data) <= room:
                self._head_bytes += len(data)
                self._feed(data)
                break
            # Let the parser see only what the limit allows; if the head has not ended within it, refuse.
            # (Never feed it nothing: to h11, empty data means the client has closed the connection.)
            self._head_bytes = self.max_head_bytes
            if room:
                self._feed(data[:room])
            if self.transport.is_closing():
                break
            # Refuse a head still open at the limit. One that ended within it, followed by the start of a
            # pipelined one, has had the count reset (`on_message_complete`): that is a new head.
            if self._reading_head() and self._head_bytes == self.max_head_bytes:
                self._refuse()
                break
            data = data[room:]
        if not self._reading_head():
            self._head_bytes = 0

    def _refuse(self) -> None:
        log.warning("refused a request whose head exceeds %d bytes (431)", self.max_head_bytes)
        self._refused = True
        self.transport.write(refusal_bytes(self.max_head_bytes))
        # Closing at once with the client's bytes still unread would reset the connection, and a reset can
        # destroy the 431 before the client reads it. So: end our side now, discard what still arrives, and
        # close when the client does or after LINGER_SECONDS, whichever comes first.
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()


class LimitedH11Protocol(HeadLimit, H11Protocol):
    """uvicorn's h11 stack with the head limit. h11's own buffer cap is set to the same limit by
    `uvicorn_options`, so a pipelined head it buffers on its own is held to it too."""

    def _reading_head(self) -> bool:
        # The client's side of the connection stays IDLE until its request line and headers are complete.
        return bool(self.conn.their_state is h11.IDLE)


def _httptools_class() -> type[asyncio.Protocol] | None:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # httptools is optional; h11 is always there
        return None

    class LimitedHttpToolsProtocol(HeadLimit, HttpToolsProtocol):
        """uvicorn's httptools stack with the head limit; the parser's callbacks mark where heads end."""

        _in_head = True

        def _reading_head(self) -> bool:
            return self._in_head

        def on_headers_complete(self) -> None:
            self._in_head = False
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._in_head = True
            self._head_bytes = 0
            super().on_message_complete()

    return LimitedHttpToolsProtocol


LimitedHttpToolsProtocol = _httptools_class()


def protocol_class(stack: str, max_head_bytes: int) -> type[asyncio.Protocol]:
    """The uvicorn protocol class for `stack` ("auto", "httptools" or "h11") holding heads to `max_head_bytes`.

    "auto" takes httptools when it is installed, as uvicorn's own "auto" does.
    """
    base: type[Any] | None = LimitedH11Protocol if stack == "h11" else LimitedHttpToolsProtocol
    if base is None:
        if stack == "httptools":
            raise RuntimeError("--http httptools needs the httptools package")
        base = LimitedH11Protocol
    # A subclass per limit keeps the protocol constructor uvicorn calls unchanged.
    limited: type[asyncio.Protocol] = type(base.__name__, (base,), {"max_head_bytes": max_head_bytes})
    return limited
