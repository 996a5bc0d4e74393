"""`aitre conform` against plain `st run`: wall time and requests/s on the same server, spec and example count.

Targets: the default conform run within 60 s on two cores; its requests/s at least 0.8x plain schemathesis.
Both tools run as users run them (fresh processes) against one reference server in its own process, so
neither shares an interpreter with the server. The key is a throwaway made for this run and never printed.

    .venv/bin/python bench/conform.py [--max-examples N] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SPEC = ROOT / "generated" / "openapi.json"
TARGET_SECONDS, TARGET_RATIO = 60.0, 0.8


def run_conform(url: str, key: str, out: Path, max_examples: int, workers: int) -> tuple[float, int]:
    command = [str(BIN / "aitre"), "conform", "--base-url", url, "--report-dir", str(out),
               "--max-examples", str(max_examples), "--workers", str(workers), "--seed", "0"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, "OPENAI_API_KEY": key}, capture_output=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"aitre conform failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    report = json.loads((out / "report.json").read_text())
    return elapsed, int(report["requests_sent"])


def run_schemathesis(url: str, key: str, out: Path, max_examples: int, workers: int) -> tuple[float, int]:
    har = out / "st.har"
    command = [str(BIN / "st"), "run", str(SPEC), "-u", url, "-H", f"Authorization: Bearer {key}",
               "-n", str(max_examples), "-w", str(workers), "--seed", "0", "--generation-database", "none",
               "--report", "har", "--report-har-path", str(har)]
    started = time.perf_counter()
    subprocess.run(command, cwd=out, capture_output=True)
    elapsed = time.perf_counter() - started
    return elapsed, len(json.loads(har.read_text())["log"]["entries"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=5, help="examples per operation (conform's default)")
    parser.add_argument("--workers", type=int, default=2, help="workers for both tools (conform's default)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from aitre.conform.embedded import ChildServer

    key = "sk-bench-" + secrets.token_urlsafe(16)
    with ChildServer(key) as server, tempfile.TemporaryDirectory() as tmp:
        ours = run_conform(server.base_url, key, Path(tmp) / "conform", args.max_examples, args.workers)
        plain = run_schemathesis(server.base_url, key, Path(tmp), args.max_examples, args.workers)
    rows = {"aitre conform": ours, "st run (plain)": plain}
    print(f"reference server, {args.max_examples} examples per operation, {args.workers} workers")
    for name, (seconds, requests) in rows.items():
        print(f"{name:<16} {seconds:7.1f} s  {requests:6d} requests  {requests / seconds:7.1f} requests/s")
    ratio = (ours[1] / ours[0]) / (plain[1] / plain[0])
    print(f"conform wall time {ours[0]:.1f} s (target <= {TARGET_SECONDS:.0f} s); "
          f"requests/s ratio {ratio:.2f} (target >= {TARGET_RATIO})")


if __name__ == "__main__":
    main()
