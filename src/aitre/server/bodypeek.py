"""Reading a request body ahead of the app and handing it on unchanged (for `faults.py` and `answerlog.py`).

Both wrappers look for a marker in the raw body. Only a body with a `Content-Length` of at most
`PEEK_LIMIT` bytes is read ahead: larger or chunked bodies go to the app untouched, so the app's own
early size limits (413 from `Content-Length`, before anything is read) still hold.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

# The fidelity requests of `aitre conform` are small; a marker in a bigger body is not looked for.
PEEK_LIMIT = 1024 * 1024


def content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def peek(scope: Scope, receive: Receive) -> tuple[bytes | None, Receive]:
    """The whole body (None when it is not read ahead) and a `receive` that replays it to the app."""
    length = content_length(scope)
    if scope.get("type") != "http" or length is None or length > PEEK_LIMIT:
        return None, receive
    chunks: list[bytes] = []
    extra: list[Message] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            extra.append(message)  # a disconnect: replayed after the body, the app sees it as sent
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replay: list[Message] = [{"type": "http.request", "body": body, "more_body": False}, *extra]

    async def replayed() -> Message:
        if replay:
            return replay.pop(0)
        return await receive()

    return body, replayed
