"""The reference server for a run without --base-url, in a child process.

A child rather than a thread: schemathesis is CPU-bound in generation and the server is CPU-bound in
answering, so on two cores they run side by side instead of taking turns on one interpreter lock.
The child uses `aitre.server.embedded.serve_in_background`; the key reaches it through the
environment (never argv, which `ps` shows) and it prints only its base URL. Closing its stdin stops it.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from aitre.conform.errors import EmbeddedServerError

KEY_VARIABLE = "AITRE_CONFORM_SERVER_KEY"
STARTUP_TIMEOUT = 30.0


class ChildServer:
    """A reference server running in a child process; use as a context manager."""

    def __init__(self, api_key: str, log_path: Path | None = None) -> None:
        self.api_key = api_key
        self.base_url = ""
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"ChildServer({self.base_url!r})"

    def start(self) -> ChildServer:
        env = {**os.environ, KEY_VARIABLE: self.api_key}
        log = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "aitre.conform.embedded"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
            )
        finally:
            if log is not subprocess.DEVNULL:
                log.close()  # type: ignore[union-attr]  # not DEVNULL, so the file opened above
        self.base_url = self._read_base_url()
        return self

    def _read_base_url(self) -> str:
        assert self._process is not None and self._process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self._process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if selector.select(timeout=0.1):
                line = self._process.stdout.readline().decode().strip()
                if line.startswith("http://"):
                    return line
                break
            if self._process.poll() is not None:
                break
        self.stop()
        raise EmbeddedServerError("the reference server did not start (see its log with --report-dir)")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        finally:
            if process.stdout is not None:
                process.stdout.close()

    def __enter__(self) -> ChildServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def main() -> None:
    """Child side: serve until stdin closes."""
    from aitre.server.embedded import serve_in_background
    from aitre.server.settings import ServerSettings

    key = os.environ.pop(KEY_VARIABLE, "")
    if not key:
        raise SystemExit("no key given")
    server = serve_in_background(ServerSettings(api_keys=(key,)))
    print(server.base_url, flush=True)
    try:
        sys.stdin.buffer.read()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
