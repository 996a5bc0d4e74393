"""Wall time of `aitre validate` and `aitre generate` (targets: < 2 s and < 15 s on 2 cores).

Each command runs as a user would run it (a fresh process), three times; the best run counts.
`generate` writes into a temporary folder so the checkout is left alone.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AITRE = Path(sys.executable).with_name("aitre")
TARGETS = {"validate": 2.0, "generate": 15.0}


def best_of(command: list[str], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as out:
        results = {
            "validate": best_of([str(AITRE), "validate"]),
            "generate": best_of([str(AITRE), "generate", "--out", out]),
        }
    for name, seconds in results.items():
        target = TARGETS[name]
        print(f"{name:<9} {seconds:6.2f} s   target < {target:.0f} s   ({seconds / target:.2f} of the budget)")


if __name__ == "__main__":
    main()
