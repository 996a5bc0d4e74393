"""A fidelity run through the test relay against a default conform run on the same server: wall time side
by side, and their ratio (target: at most 1.5x).

One `aitre serve --faults --answer-log` in its own process; the pass-through relay of the tests
(tests/conform/relay.py) on loopback in this process; both conform runs as users run them (fresh
processes): `aitre conform --base-url SERVER` and `aitre conform --base-url RELAY --upstream SERVER`.
Keys are throwaways made for this run and never printed.

    .venv/bin/python bench/fidelity.py
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET_RATIO = 1.5
sys.path.insert(0, str(ROOT))

from tests.conform.relay import Relay  # noqa: E402 - needs the checkout on sys.path
from tests.conform.servers import serve  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit("aitre serve did not start")


def run(args: list[str], env: dict[str, str], out: Path) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "aitre"), "conform", "--report-dir", str(out), *args], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"aitre conform failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    report: dict[str, object] = json.loads((out / "report.json").read_text())
    return elapsed, report


def main() -> None:
    upstream_key, relay_key = "sk-bench-" + secrets.token_hex(12), "sk-bench-relay-" + secrets.token_hex(12)
    port = free_port()
    server = subprocess.Popen([str(BIN / "aitre"), "serve", "--port", str(port), "--faults", "--answer-log",
                               "--no-access-log"], env={**os.environ, "AITRE_API_KEY": upstream_key},
                              stderr=subprocess.DEVNULL)
    try:
        wait_for(port)
        upstream = f"http://127.0.0.1:{port}"
        with serve(Relay(upstream, upstream_key, relay_key).app) as relay_url, \
                tempfile.TemporaryDirectory() as scratch:
            direct, _ = run(["--base-url", upstream], {"OPENAI_API_KEY": upstream_key}, Path(scratch) / "direct")
            relayed, report = run(["--base-url", relay_url, "--upstream", upstream],
                                  {"OPENAI_API_KEY": relay_key, "AITRE_UPSTREAM_API_KEY": upstream_key},
                                  Path(scratch) / "relayed")
    finally:
        server.terminate()
        server.wait(10)
    fidelity = report.get("fidelity") or {}
    summary = fidelity.get("summary", {}) if isinstance(fidelity, dict) else {}
    ratio = relayed / direct
    print(f"default conform on the server:            {direct:6.1f} s")
    print(f"conform --upstream through the test relay: {relayed:6.1f} s  (fidelity: {summary})")
    print(f"ratio {ratio:.2f}x (target <= {TARGET_RATIO}x): {'ok' if ratio <= TARGET_RATIO else 'OVER TARGET'}")


if __name__ == "__main__":
    main()
