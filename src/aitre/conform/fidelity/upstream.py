"""The upstream side: reaching `aitre serve --answer-log` and reading what it answered to a marker.

The upstream key is held here only, sent to the upstream only, and never part of an error message.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass, field

import httpx

from aitre.conform.errors import ConformError, KeyRejected, TargetUnreachable
from aitre.conform.redact import Redactor

ROUTE = "/aitre/answers"
# The upstream records an answer once its last byte is sent, a moment after the relay may have passed it
# on; so an empty log is asked again, a few times, before the request counts as never forwarded.
POLL_SECONDS = (0.05, 0.1, 0.2, 0.4, 0.8)
# The published test key `aitre serve` accepts without --api-key (aitre.server.settings.DEFAULT_API_KEY;
# repeated here because conform does not import the server).
DEFAULT_UPSTREAM_KEY = "sk-aitre-reference"


def new_marker() -> str:
    """A marker no other request carries: `aitre-mark-` and 24 random hex digits."""
    return "aitre-mark-" + secrets.token_hex(12)


@dataclass(frozen=True)
class UpstreamAnswer:
    """One answer the upstream gave (the relay may have asked more than once)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    fault: str | None = None
    complete: bool = True

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class Upstream:
    """A client of the upstream's answer log."""

    def __init__(self, url: str, api_key: str, *, timeout: float) -> None:
        self.url = url.rstrip("/")
        self._key = api_key or DEFAULT_UPSTREAM_KEY
        self.redactor = Redactor(self._key)
        self._http = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False)

    def __repr__(self) -> str:
        return f"Upstream({self.url!r})"

    def close(self) -> None:
        self._http.close()

    def _get(self, marker: str) -> httpx.Response:
        return self._http.get(self.url + ROUTE, params={"marker": marker},
                              headers={"Authorization": f"Bearer {self._key}"})

    def probe(self) -> None:
        """Raise a `ConformError` (exit 2) unless the upstream is reachable, takes the key and logs answers."""
        try:
            response = self._get(new_marker())
        except httpx.HTTPError as exc:
            raise TargetUnreachable(f"cannot reach the upstream {self.url}: {exc.__class__.__name__}") from None
        if response.status_code == 401:
            raise KeyRejected(f"the upstream {self.url} refused the upstream key: set AITRE_UPSTREAM_API_KEY "
                              "or --upstream-api-key to a key its `aitre serve --api-key` accepts")
        if response.status_code != 200:
            raise ConformError(f"the upstream {self.url} has no answer log (GET {ROUTE} answered "
                               f"{response.status_code}): start it as `aitre serve --answer-log --faults`")

    def answers(self, marker: str) -> list[UpstreamAnswer]:
        """The answers to `marker`, oldest first; empty when the relay never forwarded the request."""
        for pause in (0.0, *POLL_SECONDS):
            time.sleep(pause)
            try:
                response = self._get(marker)
                items = response.json().get("answers", []) if response.status_code == 200 else []
            except (httpx.HTTPError, ValueError, AttributeError):
                items = []
            if items:
                return [UpstreamAnswer(int(item["status"]), dict(item.get("headers") or {}),
                                       base64.b64decode(item.get("body_base64") or ""), item.get("fault"),
                                       bool(item.get("complete", True))) for item in items]
        return []
