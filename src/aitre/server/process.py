"""Running the reference server under uvicorn: `aitre serve`, bench/server.py's child, the embedded server.

The first two go through `serve_forever`, so the bench measures exactly what users run; all three take
their uvicorn protocol from `uvicorn_options`, so every way of running the server holds request heads to
the same limit.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from aitre.server.app import create_app
from aitre.server.headlimit import protocol_class
from aitre.server.serverlog import log_config
from aitre.server.settings import ServerSettings

HttpStack = Literal["auto", "httptools", "h11"]


class Stack(TypedDict):
    """uvicorn's `http` and `loop` options: typed, so that `**STACKS[name]` is checked against `uvicorn.run`."""

    http: str
    loop: str


# uvicorn's HTTP parser and the event loop that goes with it; "auto" takes httptools + uvloop when
# importable (the pinned dependencies install both on Linux and macOS) and falls back to h11 + asyncio.
STACKS: dict[str, Stack] = {
    "auto": {"http": "auto", "loop": "auto"},
    "httptools": {"http": "httptools", "loop": "auto"},  # uvloop where installed (not on Windows)
    "h11": {"http": "h11", "loop": "asyncio"},
}


def uvicorn_options(settings: ServerSettings, http: HttpStack = "auto") -> dict[str, Any]:
    """The `uvicorn.Config` arguments that pick the HTTP stack, with the request-head limit of `settings`."""
    return {
        "http": protocol_class(http, settings.max_head_bytes),
        # h11 buffers a pipelined request by itself; its own cap is held to the same limit.
        "h11_max_incomplete_event_size": settings.max_head_bytes,
    }


def serve_forever(
    settings: ServerSettings,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    http: HttpStack = "auto",
    access_log: bool = True,
    log_level: str = "info",
) -> None:
    """Run the server in the foreground until interrupted."""
    import uvicorn

    # The log configuration masks keys sent in query strings (`serverlog.py`).
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, access_log=access_log, lifespan="off",
                log_config=log_config(log_level), loop=STACKS[http]["loop"], **uvicorn_options(settings, http))
