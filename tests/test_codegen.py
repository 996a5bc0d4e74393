"""The bundle as a code-generation source (issue 15): a generated client makes every call.

CI runs scripts/codegen_check.py for the fastest generator, @hey-api/openapi-ts, which installs its
pinned npm packages into scripts/codegen/node_modules itself: generate from generated/openapi.json,
`tsc --strict`, then the eight calls and a streamed chat against the reference server. The two Python
generators take longer to install and run only by hand (`scripts/codegen_check.py --all`).
"""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def test_hey_api_client_generates_builds_and_makes_every_call() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/codegen_check.py", "--generator", "hey-api"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    # The row: generates, builds, calls, streaming chat.
    assert "| yes | yes | 8/8 | yes |" in done.stdout, report
