"""Server-sent events: framing and the streaming response.

Every event is `data: <one line of JSON>\\n\\n` (with an `event:` line first for the image and speech
streams); OpenAI-style streams end with `data: [DONE]\\n\\n`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import Any

from starlette.responses import StreamingResponse

from aitre.server.encoding import dumps, encode_string

DONE = b"data: [DONE]\n\n"
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def event(payload: Any, name: str | None = None) -> bytes:
    """One SSE event carrying `payload` as JSON."""
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {dumps(payload)}\n\n".encode()


class ChunkFrame:
    """Frames stream chunks that share every field but `choices`, serialising the shared part once.

    A stream sends dozens of chunks with the same id, object, created, model and fingerprint; encoding
    only the changing choice per event keeps a token-by-token stream cheap.
    """

    def __init__(self, head: dict[str, Any], trailer: dict[str, Any] | None = None) -> None:
        self._prefix = "data: " + dumps(head)[:-1] + ',"choices":['
        self._suffix = "]" + ("," + dumps(trailer)[1:-1] if trailer else "") + "}\n\n"

    def event(self, choice: dict[str, Any]) -> bytes:
        return (self._prefix + dumps(choice) + self._suffix).encode()

    def content(self, index: int, text: str) -> bytes:
        """The most frequent chunk, a plain content delta, formatted without building a dict."""
        delta = encode_string(text)
        choice = f'{{"index":{index},"delta":{{"content":{delta}}},"logprobs":null,"finish_reason":null}}'
        return (self._prefix + choice + self._suffix).encode()


# Events written between two yields to the event loop. Writes do not wait for the socket, so without a
# yield a client that hung up mid-stream is only noticed after the whole stream was written into a dead socket.
YIELD_EVERY = 16


async def _aiter(events: Iterable[bytes]) -> AsyncIterator[bytes]:
    for count, item in enumerate(events, start=1):
        yield item
        if count % YIELD_EVERY == 0:
            await asyncio.sleep(0)


def stream(events: Iterable[bytes]) -> StreamingResponse:
    """A `text/event-stream` response over already framed events (produced lazily)."""
    return StreamingResponse(_aiter(events), media_type="text/event-stream", headers=HEADERS)
