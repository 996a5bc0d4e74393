"""A long schemathesis fuzz of the reference server that counts server errors (the answer must be 0).

The server runs in this process (a uvicorn thread) behind a middleware that counts every response by
status, so the count covers all requests, not only those schemathesis reports. Schemathesis runs as `st run`
in a child process with every phase (examples, coverage, fuzzing, stateful), positive and negative data, a
fixed seed and no example database; a hooks module gives positive bodies a served model so they reach the
handlers. Not part of `make test`: it takes a few minutes.

    .venv/bin/python bench/fuzz_server.py [--max-examples 400] [--min-cases 10000]
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "generated" / "openapi.json"
# The same policy as tests/server/test_schemathesis.py, applied inside the two data checks because hooks
# do not reach every phase (the examples phase builds cases without them): the built-in checks are
# excluded on the command line and these wrappers stand in for them.
HOOKS = '''
import schemathesis
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from aitre.conform.schema_checks import serialize_ast_parse
from aitre.server import ServerSettings
from aitre.server.fuzzing import pin_model, refused_on_purpose

SETTINGS = ServerSettings()
MULTIPART = {"createImageEdit", "createImageVariation", "createTranscription", "createTranslation"}
serialize_ast_parse()  # two workers: CPython 3.11's ast.parse is not thread-safe (gh-106905)


def _positive(case):
    return case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE


def _operation_id(case):
    return case.operation.definition.raw.get("operationId", "")


@schemathesis.hook
def map_case(ctx, case):
    if _positive(case):
        pin_model(SETTINGS, _operation_id(case), case.body)
    return case


@schemathesis.check
def positive_data_acceptance_unless_refused_on_purpose(ctx, response, case):
    # A schema-valid body that breaks a rule the schema cannot state (best_of >= n, a tool_choice naming
    # no tool...) is refused with 400 on purpose; see aitre.server.fuzzing.
    if _positive(case) and refused_on_purpose(SETTINGS, _operation_id(case), case.body):
        return None
    return positive_data_acceptance(ctx, response, case)


@schemathesis.check
def negative_data_rejection_except_multipart(ctx, response, case):
    # Multipart carries no types: an integer "user" arrives as the text "123", a valid string.
    if _operation_id(case) in MULTIPART:
        return None
    return negative_data_rejection(ctx, response, case)
'''


class StatusCounter:
    """ASGI middleware counting response statuses (thread-safe enough: one event loop writes)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.statuses: Counter[int] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counting_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.statuses[int(message["status"])] += 1
            await send(message)

        await self.app(scope, receive, counting_send)


def serve(counter: StatusCounter, port: int) -> Any:
    import uvicorn

    config = uvicorn.Config(counter, host="127.0.0.1", port=port, log_level="critical", access_log=False,
                            lifespan="off")
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=400, help="examples per operation and phase")
    parser.add_argument("--min-cases", type=int, default=10_000, help="fail unless at least this many requests")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--workers", default="2")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from aitre.server import ServerSettings, create_app

    key = "sk-fuzz-" + secrets.token_urlsafe(16)
    counter = StatusCounter(create_app(ServerSettings(api_keys=(key,))))
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = serve(counter, port)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "aitre_fuzz_hooks.py").write_text(HOOKS)
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "aitre_fuzz_hooks",
               "PYTHONPATH": os.pathsep.join([tmp, str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
        command = [str(Path(sys.executable).with_name("st")), "run", str(SPEC), "-u", f"http://127.0.0.1:{port}",
                   "-H", f"Authorization: Bearer {key}", "-n", str(args.max_examples), "--seed", str(args.seed),
                   "--generation-database", "none", "-w", args.workers, "--continue-on-failure",
                   "--max-failures", "10000", "--request-timeout", "60", "--suppress-health-check", "all",
                   "--exclude-checks", "positive_data_acceptance,negative_data_rejection"]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
    server.should_exit = True
    total = sum(counter.statuses.values())
    errors = sum(n for status, n in counter.statuses.items() if status >= 500)
    log = ROOT / "reports" / "fuzz_server.txt"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(done.stdout + done.stderr)
    summary = done.stdout[done.stdout.rfind("SUMMARY"):] if "SUMMARY" in done.stdout else done.stdout[-3000:]
    print(summary.strip())
    print(f"(full schemathesis output in {log.relative_to(ROOT)})")
    print(f"\n{total} requests in {elapsed:.0f} s; statuses: "
          + ", ".join(f"{status}: {n}" for status, n in sorted(counter.statuses.items())))
    print(f"5xx responses: {errors} (must be 0); requests: {total} (must be >= {args.min_cases})")
    raise SystemExit(0 if errors == 0 and total >= args.min_cases else 1)


if __name__ == "__main__":
    main()
