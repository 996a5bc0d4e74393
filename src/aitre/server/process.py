"""Running the reference server as a process of its own: `aitre serve`, and bench/server.py's child.

Both go through `serve_forever`, so the bench measures exactly what users run.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from aitre.server.app import create_app
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

    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, access_log=access_log, lifespan="off",
                **STACKS[http])
