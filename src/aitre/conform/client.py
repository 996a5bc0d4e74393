"""The HTTP client every check uses: bounded in time, size and events, counted, and never leaking the key.

Each request is one `Exchange`. Anything below HTTP semantics (timeout, reset, oversize body, endless
event stream) raises `TransportFailure` after the exchange is logged, so a hostile server costs at
most about two timeouts per request and never hangs the run.
"""

from __future__ import annotations

import json
import shlex
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from aitre.conform.failures import (
    BudgetExhausted,
    InvalidBody,
    TransportFailure,
    UnexpectedStatus,
    WrongContentType,
)
from aitre.conform.redact import Redactor
from aitre.conform.sse import SseEvent
from aitre.conform.wire import BodyCut, BoundedReader, DeadlineTransport, deadline

EXCERPT_CHARS = 1500
# (filename, content) or (filename, content, media type); a None filename makes a plain form field.
FilePart = tuple[str | None, bytes] | tuple[str | None, bytes, str]
# Statuses that mean "this server has no such operation" when every authenticated request gets one.
UNSUPPORTED_STATUSES = frozenset({404, 405, 501})
RESET_PREFIX = "connection broken: "
# A hostile probe (see `ConformClient.request`) waits at most this long: a refusal needs no thinking.
ISOLATED_TIMEOUT = 5.0


class RequestCounter:
    """Counts requests across threads (ours and schemathesis's) and enforces --budget."""

    def __init__(self, budget: int | None) -> None:
        self.budget = budget
        self.sent = 0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Count one request, or raise `BudgetExhausted` when the budget is spent."""
        if not self.try_acquire():
            raise BudgetExhausted()

    def try_acquire(self) -> bool:
        with self._lock:
            if self.budget is not None and self.sent >= self.budget:
                return False
            self.sent += 1
            return True

    @property
    def exhausted(self) -> bool:
        return self.budget is not None and self.sent >= self.budget


@dataclass
class Exchange:
    """One request and what came back (or how it failed). Headers are stored with the key replaced."""

    operation: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None = None
    request_form: dict[str, str] | None = None
    request_files: dict[str, str] | None = None
    # The bytes of each file part (part name -> content), so a report can write them beside its curl.
    request_file_data: dict[str, bytes] | None = None
    authenticated: bool = True
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    events: list[SseEvent] | None = None
    # Text after the last complete event, and whether the last event lacked its closing blank line.
    stream_tail: str = ""
    unterminated_event: bool = False
    error: str | None = None
    elapsed: float = 0.0
    # Applied to any text shown from the answer before it is cut, so a cut never leaves part of a key.
    redactor: Redactor = field(default_factory=lambda: Redactor(None), repr=False, compare=False)

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-cased ("" when absent)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def shown(self, limit: int) -> str:
        """The body as text for a message: redacted first, then cut to `limit` characters."""
        return self.redactor.text(self.text)[:limit]

    def json(self) -> Any:
        """The body parsed as JSON, or `InvalidBody`."""
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise InvalidBody(
                f"body is not valid JSON ({exc.__class__.__name__}: {exc}); starts with {self.shown(80)!r}",
                operation=self.operation,
                exchange=self,
            ) from None

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object (`application/json` required), or a failure saying what it was."""
        self.require_content_type("application/json")
        data = self.json()
        if not isinstance(data, dict):
            raise InvalidBody(f"expected a JSON object, got {type(data).__name__}", operation=self.operation)
        return data

    def require_status(self, *statuses: int) -> None:
        """Raise `UnexpectedStatus` unless the status is one of `statuses` (a 2xx range when given 200)."""
        if self.status in statuses:
            return
        expected = " or ".join(str(s) for s in statuses)
        raise UnexpectedStatus(
            f"Received: {self.status} / Documented: {expected}; body starts with {self.shown(200)!r}",
            operation=self.operation,
            expected=expected,
            actual=self.status,
            exchange=self,
            cause=(f"requests without the run's bearer key are answered {self.status}"
                   if not self.authenticated and (self.status or 0) >= 500
                   else f"answered {self.status} where the contract gives {expected}"),
        )

    def require_content_type(self, *media_types: str) -> None:
        if self.content_type in media_types:
            return
        raise WrongContentType(
            f"Received: {self.content_type or '(none)'} / Documented: {' or '.join(media_types)}",
            operation=self.operation,
            expected=media_types,
            actual=self.content_type,
            exchange=self,
            cause=f"typed {self.content_type or '(none)'} where the contract gives {' or '.join(media_types)}",
        )

    def excerpt(self, limit: int = EXCERPT_CHARS) -> str:
        """The start of the response body as text (binary bodies are summarised)."""
        if self.error and not self.body:
            return f"({self.error})"
        if self.events is not None:
            shown = "\n\n".join(f"data: {event.data}" for event in self.events[:20])
            more = f"\n\n... {len(self.events) - 20} more events" if len(self.events) > 20 else ""
            return self.redactor.text(shown + more)[:limit]
        if self.content_type.startswith(("audio/", "image/")) or b"\x00" in self.body[:512]:
            return f"<{len(self.body)} bytes of {self.content_type or 'binary data'}>"
        text = self.redactor.text(self.text)
        return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"

    def curl(self, file_paths: Mapping[str, str] | None = None) -> str:
        """A shell command that repeats the request; the key appears only as `$OPENAI_API_KEY`.

        `file_paths` maps a file part's name to where its bytes were written (relative to the report).
        """
        parts = ["curl", "-sS", "-X", self.method, shlex.quote(self.url)]
        for name, value in self.request_headers.items():
            if name.lower() == "content-type" and self.request_files is not None:
                continue
            parts += ["-H", _quote_header(f"{name}: {value}")]
        if self.request_files is not None:
            for name, value in (self.request_form or {}).items():
                parts += ["-F", shlex.quote(f"{name}={value}")]
            for name, filename in self.request_files.items():
                where = (file_paths or {}).get(name, filename)
                parts += ["-F", shlex.quote(f"{name}=@{where}")]
        elif self.request_body is not None:
            parts += ["--data-binary", shlex.quote(self.request_body.decode("utf-8", errors="replace"))]
        return " ".join(parts)


def _form_record(form: Mapping[str, str] | None, files: Mapping[str, FilePart] | None) -> dict[str, str] | None:
    """The text fields of a multipart request, including file parts sent without a filename."""
    if files is None:
        return None
    record = dict(form or {})
    for name, part in files.items():
        if part[0] is None:
            record[name] = part[1].decode("utf-8", errors="replace")
    return record


def _quote_header(header: str) -> str:
    # Double quotes so `$OPENAI_API_KEY` expands in the user's shell.
    escaped = header.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
    return f'"{escaped}"'


@dataclass
class LeakRecord:
    """Where the key was seen in a response (the key itself is never stored)."""

    operation: str
    where: str
    exchange: Exchange | None = None


class ConformClient:
    """httpx with per-request timeout, body and event caps, request counting and key hygiene."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float,
        counter: RequestCounter,
        max_body_bytes: int,
        max_stream_events: int,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self.redactor = Redactor(api_key)
        self.timeout = timeout
        self.counter = counter
        self.max_body_bytes = max_body_bytes
        self.max_stream_events = max_stream_events
        self.log: list[Exchange] = []
        self.leaks: list[LeakRecord] = []
        # Requests sent again after the server had closed their pooled connection before answering.
        self.resets_retried = 0
        self._lock = threading.Lock()
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            transport=DeadlineTransport(max_connections=32, max_keepalive_connections=16),
        )

    def __repr__(self) -> str:
        return f"ConformClient({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key}"} if self._key else {}

    def request(
        self,
        operation: str,
        *,
        path: str | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        form: Mapping[str, str] | None = None,
        files: Mapping[str, FilePart] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        isolated: bool = False,
    ) -> Exchange:
        """Send one request for `operation` ("POST /v1/chat/completions"); `path` fills a templated path.

        `isolated`: a hostile probe (a broken body, a wrong media type) goes on a connection of its own
        with a short timeout, so a server that chokes on it cannot stall or poison the pooled connections
        the other checks share.
        """
        method, _, template = operation.partition(" ")
        url = self.base_url + (path or template)
        sent_headers = {**(self.auth_headers() if auth else {}), **(headers or {})}
        body = content
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent_headers.setdefault("Content-Type", "application/json")
        exchange = Exchange(
            operation=operation,
            method=method,
            url=url,
            request_headers={name: self.redactor.curl(value) for name, value in sent_headers.items()},
            request_body=body if files is None else None,
            request_form=_form_record(form, files),
            request_files={name: item[0] for name, item in files.items() if item[0]} if files is not None else None,
            request_file_data={name: item[1] for name, item in files.items() if item[0]} if files is not None else None,
            authenticated=auth and bool(self._key) and "Authorization" not in (headers or {}),
            redactor=self.redactor,
        )
        self.counter.acquire()
        started = time.monotonic()
        http, timeout = self._http, self.timeout
        if isolated:
            timeout = min(self.timeout, ISOLATED_TIMEOUT)
            http = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False,
                                transport=DeadlineTransport(max_connections=1, max_keepalive_connections=0))
        try:
            try:
                self._send(exchange, method, url, sent_headers, body, form, files, http=http, timeout=timeout)
            except TransportFailure:
                if isolated or not self._worth_retrying(exchange):
                    raise
                # A pooled connection the server had closed: one retry on a fresh connection, as the openai
                # SDK does; the reset is not the request's fault, and nothing of its answer was read.
                self.counter.acquire()
                with self._lock:
                    self.resets_retried += 1
                exchange.error = None
                self._send(exchange, method, url, sent_headers, body, form, files, http=http, timeout=timeout)
        finally:
            if isolated:
                http.close()
            exchange.elapsed = time.monotonic() - started
            self._record(exchange)
        return exchange

    @staticmethod
    def _worth_retrying(exchange: Exchange) -> bool:
        return exchange.status is None and exchange.error is not None and exchange.error.startswith(RESET_PREFIX)

    def _send(
        self,
        exchange: Exchange,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        form: Mapping[str, str] | None,
        files: Mapping[str, FilePart] | None,
        *,
        http: httpx.Client,
        timeout: float,
    ) -> None:
        kwargs: dict[str, Any] = {"headers": headers}
        if files is not None:
            kwargs.update(data=dict(form or {}), files=dict(files))
        elif body is not None:
            kwargs["content"] = body
        # One total deadline for connecting, the header phase and the body (see wire.py).
        with deadline(timeout) as bound:
            try:
                with http.stream(method, url, **kwargs) as response:
                    exchange.status = response.status_code
                    exchange.headers = {name.lower(): value for name, value in response.headers.items()}
                    self._read(exchange, response, bound.at)
            except httpx.TimeoutException as exc:
                self._fail(exchange, f"no response within {timeout:g} s ({exc.__class__.__name__})")
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                self._fail(exchange, f"{RESET_PREFIX}{exc.__class__.__name__}: {exc or 'closed by peer'}")
            except httpx.ConnectError as exc:
                self._fail(exchange, f"cannot connect: {exc}")

    def _read(self, exchange: Exchange, response: httpx.Response, until: float) -> None:
        streaming = exchange.content_type == "text/event-stream"
        reader = BoundedReader(exchange.headers.get("content-encoding", ""), max_bytes=self.max_body_bytes,
                               deadline=until, timeout=self.timeout,
                               max_events=self.max_stream_events if streaming else None)
        if streaming:
            exchange.events = reader.events
        try:
            try:
                reader.read(response.iter_raw())
            except httpx.TimeoutException:
                # The deadline passed while the body was arriving: a slow body, not a missing answer.
                raise reader.late() from None
        except BodyCut as cut:
            exchange.body = reader.body
            self._fail(exchange, cut.message)
        finally:
            exchange.body = reader.body
        if reader.parser is not None:
            pending, tail = reader.parser.close()
            if pending is not None:
                reader.events.append(pending)
                exchange.unterminated_event = True
            exchange.stream_tail = tail

    def _fail(self, exchange: Exchange, message: str) -> None:
        # Parser errors quote the offending header line, which may carry the key: redact before storing.
        message = self.redactor.text(message)
        exchange.error = message
        raise TransportFailure(message, operation=exchange.operation, exchange=exchange)

    def _record(self, exchange: Exchange) -> None:
        where = []
        if self.redactor.found_in(exchange.body):
            where.append("body")
        leaked_headers = [name for name, value in exchange.headers.items() if self.redactor.found_in(value)]
        if leaked_headers:
            where.append(f"header {', '.join(leaked_headers)}")
        with self._lock:
            self.log.append(exchange)
            if where:
                self.leaks.append(LeakRecord(exchange.operation, " and ".join(where), exchange))

    def record_foreign_leak(self, operation: str, where: str) -> None:
        """Note a key echo seen by another client (schemathesis)."""
        with self._lock:
            self.leaks.append(LeakRecord(operation, where))
