"""Throughput and latency of the reference server, side by side with Prism and a bare Starlette handler.

Scenarios: chat (plain), chat (streaming) and embeddings (base64, the SDK's default). Targets: at least 20x
Prism's requests/s on the non-streaming scenarios (Prism cannot mock SSE), and at least 0.8x a bare
Starlette handler that returns a canned response of the same size (the same SSE events when streaming), so
the server's own work (auth, spec validation, generation, encoding) costs at most a fifth. Prism runs in
both of its modes, since the target does not name one: static (the spec's example every time) and
dynamic (`-d`, each answer drawn from the schema, the work a content-generating mock does).

Every server runs in its own process on 127.0.0.1. The Python ones run under both of uvicorn's stacks,
each compared with the bare handler on the same stack: `httptools` (httptools + uvloop, what `aitre serve`
uses when they are installed, as the pinned dependencies make sure) and `h11` (pure Python, uvicorn's
fallback), whose slower floor leaves the server's own work a smaller share. The load generator is wrk
when installed (`apt-get install -y wrk`), otherwise a bounded async httpx loop. The targets take turns
inside each of --rounds rounds of --seconds per measurement; the median round counts. Prism comes from
bench/node_modules (`npm ci --prefix bench`); without it that column is skipped. The key is a throwaway
made for this run and never printed.

    .venv/bin/python bench/server.py [--seconds 3] [--rounds 3] [--connections 16] [--stacks h11 httptools]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "generated" / "openapi.json"
PRISM = ROOT / "bench" / "node_modules" / ".bin" / "prism"
PRISM_RATIO, BARE_RATIO = 20.0, 0.8
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say this is a test"}]}
SCENARIOS: dict[str, tuple[str, dict[str, Any]]] = {
    "chat": ("/v1/chat/completions", CHAT),
    "chat stream": ("/v1/chat/completions", {**CHAT, "stream": True}),
    "embeddings": ("/v1/embeddings", {"model": "text-embedding-3-small", "input": "The food was delicious and "
                                      "the waiter was friendly.", "encoding_format": "base64"}),
}


@dataclass(frozen=True)
class Result:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


# ---- the servers --------------------------------------------------------------------------------------


STACKS = ("httptools", "h11")


def _serve_child(kind: str, port: int, canned: str | None, stack: str) -> None:
    """Entry point of a server child process (`--serve`): the reference server as `aitre serve --no-access-log`
    runs it, or the bare canned app under the same uvicorn stack and settings."""
    import uvicorn

    sys.path.insert(0, str(ROOT / "src"))
    from aitre.server import ServerSettings
    from aitre.server.process import STACKS as UVICORN_STACKS
    from aitre.server.process import serve_forever

    if kind == "reference":
        settings = ServerSettings(api_keys=(os.environ["AITRE_BENCH_KEY"],))
        serve_forever(settings, "127.0.0.1", port, http=stack, access_log=False, log_level="warning")  # type: ignore[arg-type]
        return
    app = _bare_app(json.loads(Path(canned or "").read_text()))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off",
                **UVICORN_STACKS[stack])


def _bare_app(canned: dict[str, Any]) -> Any:
    """One route per scenario path, answering with the reference server's bytes: no auth, no parsing."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    bodies = {name: (entry["path"], entry["events"]) for name, entry in canned.items()}

    async def endpoint(request: Request) -> Response:
        await request.body()
        name = request.headers.get("x-scenario", "")
        _, events = bodies[name]
        if len(events) == 1:
            return Response(events[0].encode(), media_type="application/json")

        async def stream() -> Any:
            for item in events:
                yield item.encode()

        return StreamingResponse(stream(), media_type="text/event-stream")

    paths = sorted({path for path, _ in bodies.values()})
    return Starlette(routes=[Route(path, endpoint, methods=["POST"]) for path in paths])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start within {timeout:.0f} s")


@contextmanager
def running(command: list[str], port: int, env: dict[str, str]) -> Iterator[str]:
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_up(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


# ---- the load generators ------------------------------------------------------------------------------

_WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
wrk.headers["X-Scenario"] = os.getenv("BENCH_SCENARIO")
"""
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _wrk_ms(text: str, label: str) -> float:
    found = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    return float(found.group(1)) * _UNITS[found.group(2)] if found else float("nan")


def load_wrk(url: str, key: str, scenario: str, body: dict[str, Any], seconds: int, connections: int) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT)
    env = {**os.environ, "BENCH_BODY": json.dumps(body), "BENCH_KEY": key, "BENCH_SCENARIO": scenario}
    try:
        out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name,
                              url], env=env, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    finally:
        os.unlink(script.name)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return Result(float(rate.group(1)) if rate else 0.0, _wrk_ms(out, "50%"), _wrk_ms(out, "99%"), errors)


def load_httpx(url: str, key: str, scenario: str, body: dict[str, Any], seconds: int, connections: int) -> Result:
    import httpx

    async def run() -> Result:
        latencies: list[float] = []
        errors = 0
        headers = {"Authorization": f"Bearer {key}", "X-Scenario": scenario}
        limits = httpx.Limits(max_connections=connections)
        async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
            deadline = time.perf_counter() + seconds

            async def worker() -> None:
                nonlocal errors
                while time.perf_counter() < deadline:
                    started = time.perf_counter()
                    response = await client.post(url, json=body)
                    latencies.append((time.perf_counter() - started) * 1e3)
                    errors += response.status_code >= 300

            began = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(connections)))
            elapsed = time.perf_counter() - began
        cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99
        return Result(len(latencies) / elapsed, cuts[49], cuts[98], errors)

    return asyncio.run(run())


# ---- the run ------------------------------------------------------------------------------------------


def canned_bodies(url: str, key: str) -> dict[str, Any]:
    """The reference server's answers, split into SSE events for streams, for the bare handler to replay."""
    import httpx

    canned: dict[str, Any] = {}
    for name, (path, body) in SCENARIOS.items():
        response = httpx.post(url + path, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)
        response.raise_for_status()
        text = response.text
        events = [part + "\n\n" for part in text.split("\n\n") if part] if body.get("stream") else [text]
        canned[name] = {"path": path, "events": events}
    return canned


def measure(urls: dict[str, str], key: str, args: argparse.Namespace, load: Any) -> dict[str, dict[str, Result]]:
    """Interleaved rounds: every target runs each scenario once per round, and the median round counts.

    The machine is shared (other processes come and go), so targets measured minutes apart would see
    different conditions; alternating them inside each round keeps the comparison fair.
    """
    rounds: dict[str, dict[str, list[Result]]] = {target: {} for target in urls}
    for name in args.scenarios:
        path, body = SCENARIOS[name]
        targets = [t for t in urls if not (t.startswith("prism") and body.get("stream"))]  # Prism cannot mock SSE
        for target in targets:
            load(urls[target] + path, key, name, body, 1, args.connections)  # warm-up, not counted
        for _ in range(args.rounds):
            for target in targets:
                result = load(urls[target] + path, key, name, body, args.seconds, args.connections)
                rounds[target].setdefault(name, []).append(result)
    table: dict[str, dict[str, Result]] = {}
    for target, by_name in rounds.items():
        for name, results in by_name.items():
            middle = sorted(results, key=lambda r: r.requests_per_s)[len(results) // 2]
            table.setdefault(target, {})[name] = middle
            print(f"  {target:<14} {name:<12} {middle.requests_per_s:7.0f} req/s  p50 {middle.p50_ms:6.2f} ms  "
                  f"p99 {middle.p99_ms:6.2f} ms  errors {sum(r.errors for r in results)}  "
                  f"(rounds: {', '.join(f'{r.requests_per_s:.0f}' for r in results)})", flush=True)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3, help="length of each measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median counts")
    parser.add_argument("--connections", type=int, default=16,
                        help="concurrent connections (the issue measured Prism at 16)")
    parser.add_argument("--load", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument("--scenarios", nargs="+", choices=list(SCENARIOS), default=list(SCENARIOS),
                        metavar="NAME", help=f"scenarios to run (default: all of {', '.join(SCENARIOS)})")
    parser.add_argument("--no-prism", action="store_true", help="skip Prism (the slowest target to start)")
    parser.add_argument("--stacks", nargs="+", choices=list(STACKS), default=list(STACKS),
                        help="uvicorn stacks to run the Python servers on (default: both)")
    parser.add_argument("--serve", choices=["reference", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--canned", help=argparse.SUPPRESS)
    parser.add_argument("--stack", choices=list(STACKS), default="httptools", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve_child(args.serve, args.port, args.canned, args.stack)
        return
    use_wrk = args.load == "wrk" or (args.load == "auto" and shutil.which("wrk"))
    load = load_wrk if use_wrk else load_httpx
    key = "sk-bench-" + secrets.token_urlsafe(16)
    env = {**os.environ, "AITRE_BENCH_KEY": key}
    me = [sys.executable, str(Path(__file__).resolve())]
    print(f"load: {'wrk' if use_wrk else 'httpx'}, {args.connections} connections, {args.rounds} rounds of "
          f"{args.seconds} s per target and scenario, {os.cpu_count()} CPUs")
    with ExitStack() as stack:
        urls: dict[str, str] = {}
        canned_file = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "canned.json"
        for name in args.stacks:
            port = _free_port()
            command = [*me, "--serve", "reference", "--port", str(port), "--stack", name]
            urls[f"ref/{name}"] = stack.enter_context(running(command, port, env))
            if not canned_file.exists():
                canned_file.write_text(json.dumps(canned_bodies(urls[f"ref/{name}"], key)))
            port = _free_port()
            command = [*me, "--serve", "bare", "--port", str(port), "--canned", str(canned_file), "--stack", name]
            urls[f"bare/{name}"] = stack.enter_context(running(command, port, env))
        if args.no_prism:
            pass
        elif PRISM.exists():
            # Two modes: static answers with the spec's example every time; dynamic (-d) draws each answer
            # from the schema, which is the work a content-generating mock such as ours does.
            for target, extra in (("prism", []), ("prism -d", ["-d"])):
                port = _free_port()
                command = [str(PRISM), "mock", str(SPEC), *extra, "-p", str(port), "-h", "127.0.0.1"]
                urls[target] = stack.enter_context(running(command, port, {**env, "NO_COLOR": "1"}))
        else:
            print(f"  prism: not installed ({PRISM}); run `npm ci --prefix bench`")
        table = measure(urls, key, args, load)
    report(table, args.scenarios, args.stacks)


def report(table: dict[str, dict[str, Result]], scenarios: list[str], stacks: list[str]) -> None:
    print(f"\nratios (requests/s of the reference server divided by the other's; targets: >= {BARE_RATIO}x bare, "
          f">= {PRISM_RATIO:.0f}x Prism):")
    for stack_name in stacks:
        for name in scenarios:
            ours = table[f"ref/{stack_name}"][name].requests_per_s
            bare = table[f"bare/{stack_name}"][name].requests_per_s
            parts = [f"vs bare {ours / bare:5.2f}x"]
            prism = table.get("prism", {}).get(name)
            if prism is not None and prism.requests_per_s > 0:
                parts.append(f"vs prism {ours / prism.requests_per_s:6.1f}x")
                # What no handler on this stack can beat: the canned answer itself against Prism.
                parts.append(f"(ceiling: bare {bare / prism.requests_per_s:5.1f}x)")
            dynamic = table.get("prism -d", {}).get(name)
            if dynamic is not None and dynamic.requests_per_s > 0:
                parts.append(f"vs prism -d {ours / dynamic.requests_per_s:6.1f}x")
            print(f"  {stack_name:<9} {name:<12} " + "   ".join(parts))


if __name__ == "__main__":
    main()
