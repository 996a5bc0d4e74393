"""What the Python call scripts share: the request payloads and the loop that prints one JSON line per call.

The scripts run in the generators' own virtualenvs as `python <script> GENERATED_DIR BASE_URL API_KEY OUT_DIR`;
this module sits beside them, on their `sys.path`.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

# A 1x1 transparent PNG: the smallest picture an image edit takes.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello"}]}

Calls = Callable[[str, str, Path], Iterator[tuple[str, Callable[[], str]]]]


def run_calls(calls: Calls) -> None:
    """Run every call against the server named on the command line; a failure is a result, not a crash."""
    generated, base_url, api_key, out_dir = sys.argv[1:5]
    sys.path.insert(0, generated)
    for name, run in calls(base_url, api_key, Path(out_dir)):
        try:
            result = {"call": name, "ok": True, "detail": run()}
        except Exception as error:  # every failure is a result to report, not a crash
            result = {"call": name, "ok": False, "detail": f"{type(error).__name__}: {error}"[:300]}
        print(json.dumps(result), flush=True)
