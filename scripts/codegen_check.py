"""Does generated/openapi.json make working clients? Generate, build and call, with three generators.

For each generator: install it at a pinned version (Python ones from scripts/codegen/constraints.txt into
build/codegen/venv, the npm one with `npm ci` into scripts/codegen/node_modules), generate a client from
the bundle, build it (import every module for Python, `tsc --strict` for TypeScript), then run a driver in
scripts/codegen/ that makes eight calls against the reference server (list models, chat, embeddings,
image generation, a multipart image edit, speech, a multipart transcription, MJ imagine then fetch) and
streams a chat. Prints one table row per generator; exit 0 only when every row is complete.

    .venv/bin/python scripts/codegen_check.py                      # hey-api only (the fastest; what CI runs)
    .venv/bin/python scripts/codegen_check.py --all                # all three
    .venv/bin/python scripts/codegen_check.py --generator openapi-generator
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import time
import venv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aitre.server import ServerSettings, serve_in_background

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "scripts" / "codegen"
WORK = ROOT / "build" / "codegen"
SPEC = ROOT / "generated" / "openapi.json"
CALLS = 8  # the streamed chat is reported in its own column
PACKAGE = "aitre_client"
API_KEY = "sk-codegen-check"
# What each Python generator needs, and what the clients it writes import (versions: constraints.txt).
PYTHON_NEEDS = {
    "openapi-python-client": ["openapi-python-client", "httpx", "attrs", "python-dateutil"],
    "openapi-generator": ["openapi-generator-cli", "pydantic", "urllib3", "python-dateutil", "typing-extensions"],
}
# A generated Python client builds when every one of its modules imports.
IMPORT_ALL = f"""
import importlib, pkgutil, sys
sys.path.insert(0, sys.argv[1])
package = importlib.import_module({PACKAGE!r})
names = [m.name for m in pkgutil.walk_packages(package.__path__, {PACKAGE!r} + ".")]
for name in names:
    importlib.import_module(name)
print(len(names), "modules")
"""
TSCONFIG = {
    "compilerOptions": {
        "strict": True, "target": "ES2022", "module": "commonjs", "moduleResolution": "node",
        "lib": ["ES2022", "DOM", "DOM.Iterable"], "outDir": "out", "types": ["node"],
        "typeRoots": [str(HERE / "node_modules" / "@types")], "skipLibCheck": True,
    },
    "include": ["calls.ts", "client/**/*.ts"],
}


class StepFailed(Exception):
    """A step that did not work; the message is the tail of its output."""


@dataclass
class Row:
    generator: str
    generates: str = "-"
    builds: str = "-"
    calls: list[dict[str, object]] = field(default_factory=list)
    seconds: float = 0.0

    def passed(self) -> int:
        return sum(1 for call in self.calls if call["ok"] and call["call"] != "streaming chat")

    def streaming(self) -> str:
        found = [call for call in self.calls if call["call"] == "streaming chat"]
        return "-" if not found else ("yes" if found[0]["ok"] else "no")

    def complete(self) -> bool:
        return self.generates == self.builds == "yes" and self.passed() == CALLS and self.streaming() == "yes"


def run(command: list[str | Path], cwd: Path | None = None, timeout: float = 600) -> str:
    """Run a command; its output, or StepFailed with the end of that output."""
    done = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          check=False)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise StepFailed(f"exit {done.returncode}: {output[-1500:]}")
    return output


def _stamped(stamp: Path, inputs: list[Path], extra: str, install: Callable[[], object]) -> None:
    """Run `install` unless `stamp` records the same inputs (so a second run installs nothing)."""
    digest = hashlib.sha256(extra.encode() + b"".join(path.read_bytes() for path in inputs)).hexdigest()
    if stamp.is_file() and stamp.read_text() == digest:
        return
    install()
    stamp.write_text(digest)


def python_env(generator: str) -> Path:
    """build/codegen/venv with the generator's pinned packages; returns its python."""
    home = WORK / "venv"
    python = home / "bin" / "python"
    if not python.exists():
        venv.create(home, with_pip=True)
    needs = PYTHON_NEEDS[generator]
    constraints = HERE / "constraints.txt"
    _stamped(home / f".{generator}-stamp", [constraints], " ".join(needs), lambda: run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", constraints, *needs]))
    return python


def node_env() -> Path:
    """scripts/codegen/node_modules from the lock file; returns its bin folder."""
    if shutil.which("npm") is None:
        raise StepFailed("npm is not installed")
    lock = HERE / "package-lock.json"
    (HERE / "node_modules").mkdir(exist_ok=True)
    _stamped(HERE / "node_modules" / ".codegen-stamp", [HERE / "package.json", lock], "", lambda: run(
        ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], cwd=HERE))
    return HERE / "node_modules" / ".bin"


def fresh(name: str) -> Path:
    target = WORK / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    return target


# Each generator: (generate + build) -> a command that runs its driver given base URL, key and output dir.
Driver = Callable[[str, str, Path], list[str | Path]]


def hey_api(row: Row, spec: Path) -> Driver:
    bin_dir = node_env()
    out = fresh("hey-api")
    run([bin_dir / "openapi-ts", "-i", spec, "-o", out / "client", "-c", "@hey-api/client-fetch"], cwd=HERE)
    row.generates = "yes"
    shutil.copy(HERE / "heyapi_calls.ts", out / "calls.ts")
    (out / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=2))
    run([bin_dir / "tsc", "-p", out / "tsconfig.json"], cwd=out)
    row.builds = "yes"
    return lambda base_url, key, where: ["node", out / "out" / "calls.js", base_url, key, where]


def openapi_python_client(row: Row, spec: Path) -> Driver:
    python = python_env("openapi-python-client")
    out = fresh("openapi-python-client")
    run([python.parent / "openapi-python-client", "generate", "--path", spec, "--output-path", out / PACKAGE,
         "--meta", "none", "--config", HERE / "openapi-python-client.yaml"])
    row.generates = "yes"
    run([python, "-c", IMPORT_ALL, out])
    row.builds = "yes"
    return lambda base_url, key, where: [python, HERE / "opc_calls.py", out, base_url, key, where]


def openapi_generator(row: Row, spec: Path) -> Driver:
    if shutil.which("java") is None:
        raise StepFailed("java (17 or newer) is not installed")
    python = python_env("openapi-generator")
    out = fresh("openapi-generator")
    run([python.parent / "openapi-generator-cli", "generate", "-g", "python", "-i", spec, "-o", out,
         f"--additional-properties=packageName={PACKAGE}"])
    row.generates = "yes"
    run([python, "-c", IMPORT_ALL, out])
    row.builds = "yes"
    return lambda base_url, key, where: [python, HERE / "oag_calls.py", out, base_url, key, where]


GENERATORS: dict[str, Callable[[Row, Path], Driver]] = {
    "hey-api": hey_api,
    "openapi-python-client": openapi_python_client,
    "openapi-generator": openapi_generator,
}
VERSIONS = {"hey-api": "@hey-api/openapi-ts 0.95.0 (fetch)", "openapi-python-client": "openapi-python-client 0.29.1",
            "openapi-generator": "openapi-generator 7.26.0 (python)"}


def check(name: str, spec: Path, base_url: str, key: str) -> Row:
    row = Row(name)
    started = time.monotonic()
    try:
        driver = GENERATORS[name](row, spec)
        out_dir = fresh(f"{name}-out")
        output = run(driver(base_url, key, out_dir), timeout=300)
        row.calls = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    except (StepFailed, subprocess.TimeoutExpired) as error:
        step = "generates" if row.generates == "-" else "builds" if row.builds == "-" else "calls"
        if step != "calls":
            setattr(row, step, "no")
        print(f"{name}: {step} failed: {error}", file=sys.stderr)
    row.seconds = time.monotonic() - started
    return row


def table(rows: list[Row]) -> str:
    lines = ["| generator | generates | builds | calls | streaming chat | seconds |", "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {VERSIONS[row.generator]} | {row.generates} | {row.builds} | {row.passed()}/{CALLS} "
                     f"| {row.streaming()} | {row.seconds:.0f} |")
    for row in rows:
        lines += [f"{row.generator}: {call['call']}: {call['detail']}" for call in row.calls if not call["ok"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generator", action="append", choices=sorted(GENERATORS), help="repeatable")
    parser.add_argument("--all", action="store_true", help="every generator")
    parser.add_argument("--spec", type=Path, default=SPEC, help="the bundled document (default generated/openapi.json)")
    args = parser.parse_args(argv)
    names = list(GENERATORS) if args.all else (args.generator or ["hey-api"])
    WORK.mkdir(parents=True, exist_ok=True)
    with serve_in_background(ServerSettings(api_keys=(API_KEY,))) as server:
        rows = [check(name, args.spec.resolve(), server.base_url, server.api_key) for name in names]
    print(table(rows))
    return 0 if all(row.complete() for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
