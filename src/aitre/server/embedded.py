"""Run the reference server inside the current process, on a free loopback port, in a thread.

    with serve_in_background(ServerSettings()) as server:
        client = openai.OpenAI(base_url=server.base_url + "/v1", api_key=server.api_key)

This is the default target of `aitre conform` and of the tests; its interface is kept stable.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType

import uvicorn

from aitre.server.app import create_app
from aitre.server.process import HttpStack, uvicorn_options
from aitre.server.settings import ServerSettings

STARTUP_TIMEOUT_S = 15.0


def _listen(host: str, port: int) -> socket.socket:
    # Bound here rather than by uvicorn, so the port is known at once and no other process can take it
    # between "find a free port" and "bind".
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP, and
    # without it every response pays a 40 ms delayed-ACK stall (headers and body are separate writes).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


class BackgroundServer:
    """A running embedded server: `base_url` (no trailing slash, no `/v1`), `api_key`, `stop()`."""

    def __init__(
        self, settings: ServerSettings, host: str = "127.0.0.1", port: int = 0, http: HttpStack = "auto"
    ) -> None:
        self.settings = settings
        self.host = host
        self._socket = _listen(host, port)
        self.port = int(self._socket.getsockname()[1])
        self.base_url = f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"
        config = uvicorn.Config(
            create_app(settings),
            host=host,
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            # The same HTTP stack and request-head limit as `aitre serve`.
            **uvicorn_options(settings, http),
        )
        # Off the main thread uvicorn installs no signal handlers (Server.capture_signals), so the Ctrl+C of
        # the program that embeds us stays its own.
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"aitre-serve-{self.port}", daemon=True)
        self._error: BaseException | None = None

    @property
    def api_key(self) -> str:
        """The first configured key, for clients of the embedded server."""
        return self.settings.api_keys[0]

    def _run(self) -> None:
        try:
            asyncio.run(self._server.serve(sockets=[self._socket]))
        except BaseException as exc:  # reported to the starting thread by start()
            self._error = exc

    def start(self) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"the embedded server did not start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the embedded server did not start within {STARTUP_TIMEOUT_S} s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread (open streams get a few seconds to finish)."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> BackgroundServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_in_background(
    settings: ServerSettings | None = None, host: str = "127.0.0.1", port: int = 0, http: HttpStack = "auto"
) -> BackgroundServer:
    """Start the reference server in a daemon thread and return once it accepts connections.

    Use the result as a context manager, or call `.stop()` yourself. `port=0` picks a free port; `http`
    picks uvicorn's HTTP stack as `aitre serve --http` does.
    """
    return BackgroundServer(settings or ServerSettings(), host, port, http).start()
