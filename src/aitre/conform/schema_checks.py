"""Status codes, content types, response schemas and input validation, by schemathesis on the bundled spec.

The engine runs in-process (as `st run` does) so its events feed our progress display and its requests
share our counter and --budget. Positive cases are made cheap and realistic before they are sent: the
model becomes one the server has, token, choice, image and audio sizes are capped, and properties the
schema does not declare are removed (a server may refuse them, as OpenAI does). Negative cases are sent
as generated, since rewriting them could make them valid. What each failure means is decided by
`schema_verdicts.judge`.
"""

from __future__ import annotations

import ast
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from schemathesis import GenerationMode
from schemathesis.engine import events as st_events
from schemathesis.engine import from_schema

from aitre.conform.areas import role_of
from aitre.conform.checks._common import error_problem_for, route_evidence
from aitre.conform.client import RequestCounter
from aitre.conform.failures import BudgetExhausted, Severity
from aitre.conform.redact import Redactor
from aitre.conform.request_contract import RequestContract
from aitre.conform.response_contract import ResponseContract
from aitre.conform.schema_cases import cheap_spec, declared_methods, tame_body
from aitre.conform.schema_records import RawFailure, error_param, network_failure
from aitre.conform.schema_verdicts import judge
from aitre.conform.settings import ConformSettings
from aitre.conform.sse import stream_error
from aitre.conform.st_wire import WireBounds, use_bounds
from aitre.conform.st_wire import install as install_bounded_sessions

MAX_FAILURES_KEPT = 3
MAX_STREAM_EVENTS = 100


@dataclass
class SchemaOutcome:
    """What the schemathesis run saw, per operation and check."""

    failures: dict[tuple[str, str], list[RawFailure]] = field(default_factory=lambda: defaultdict(list))
    failure_counts: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    passes: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    # Cases a check let through without judging anything: the answer was a redirect (3xx, not followed).
    unjudged: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    # Requests that found nothing listening: the server went away during the run.
    refused: int = 0
    # Statuses answered to requests that carried our key, per operation (for "not supported").
    statuses: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    # 4xx answers that are not the OpenAI error object: (operation, status, media type, body).
    bad_errors: list[tuple[str, int, str, bytes]] = field(default_factory=list)
    leaks: list[tuple[str, str]] = field(default_factory=list)
    requests: int = 0
    cases: int = 0
    cases_per_operation: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    operations: list[str] = field(default_factory=list)
    # Operations whose refusals show the route exists (an error naming a field or an unknown model).
    routed: set[str] = field(default_factory=set)
    # Declared methods per path, for judging Allow headers against the methods the server supports.
    declared_methods: dict[str, set[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    finished: bool = False
    # Why the phase ended before every selected operation was tried ("" when it did not).
    stopped: str = ""


class _Hooks:
    """Per-run state the global `before_call` / `after_call` hooks dispatch to."""

    def __init__(self, settings: ConformSettings, models: dict[str, str | None], counter: RequestCounter,
                 outcome: SchemaOutcome, redactor: Redactor, stop: Callable[[], None],
                 contract: RequestContract, listed: frozenset[str]) -> None:
        self.settings, self.models, self.counter = settings, models, counter
        self.listed = listed
        self.outcome, self.redactor, self.stop = outcome, redactor, stop
        self.contract = contract
        limits = settings.limits
        self.bounds = WireBounds(timeout=settings.timeout, max_body_bytes=limits.max_body_bytes,
                                 max_stream_events=limits.max_stream_events, counter=counter)
        self.lock = threading.Lock()
        # Ids of positive cases whose model was replaced by the run's model (see `judge`).
        self.swapped: set[str] = set()
        # Per worker thread: the status of its previous answer, to charge a reset to the 5xx before it.
        self.previous = threading.local()
        self.resets_after_5xx: dict[str, int] = {}

    def before_call(self, case: Any, kwargs: dict[str, Any]) -> None:
        if not self.counter.try_acquire():
            self.stop()
            raise BudgetExhausted()
        # This thread's requests now go through conform's bounds (st_wire.py); this one is counted above.
        use_bounds(self.bounds)
        # Redirects are not followed (as by our own client): each hop would be one more request to judge.
        kwargs["allow_redirects"] = False
        with self.lock:
            self.outcome.requests += 1
        meta = getattr(case, "meta", None)
        if meta is not None and meta.generation.mode == GenerationMode.POSITIVE and isinstance(case.body, dict):
            if case.media_type:
                self.contract.prune_undeclared(case.operation.label, case.media_type, case.body)
            if tame_body(case.body, case.operation.path, self.models, self.settings, listed=self.listed):
                with self.lock:
                    self.swapped.add(case.id)

    def after_call(self, case: Any, response: Any) -> None:
        operation = case.operation.label
        headers = response.request.headers
        authenticated = self.redactor.found_in(str(headers.get("Authorization", "")))
        content_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip().lower()
        self.previous.status = response.status_code
        with self.lock:
            if authenticated:
                self.outcome.statuses[operation].append(response.status_code)
                if route_evidence(response.status_code, response.content):
                    self.outcome.routed.add(operation)
            problem = error_problem_for(case.operation.path, content_type, response.content)
            if 400 <= response.status_code < 500 and problem:
                self.outcome.bad_errors.append((operation, response.status_code, content_type,
                                                self._shown(response.content, 2000)))
            leaked_in = [name for name, values in response.headers.items() if any(map(self.redactor.found_in, values))]
            if self.redactor.found_in(response.content):
                leaked_in.append("body")
            if leaked_in:
                self.outcome.leaks.append((operation, ", ".join(leaked_in)))

    def _shown(self, content: bytes, limit: int) -> bytes:
        # Redacted before the cut, so the cut cannot leave most of a key behind.
        return self.redactor.text(content.decode("utf-8", errors="replace"))[:limit].encode()

    def after_network_error(self, case: Any) -> None:
        """A request failed below HTTP; right after a 5xx on the same connection pool it is that answer's doing.

        uvicorn, for one, closes the connection after an unhandled exception without saying so, and the
        next request on the pooled connection is reset. The 5xx is already reported; the reset is not
        held against the request that met it.
        """
        status = getattr(self.previous, "status", None)
        self.previous.status = None
        if status is not None and status >= 500:
            with self.lock:
                self.resets_after_5xx[case.operation.label] = self.resets_after_5xx.get(case.operation.label, 0) + 1


_ACTIVE: dict[int, _Hooks] = {}
_ACTIVE_LOCK = threading.Lock()


def _active(case: Any) -> _Hooks | None:
    with _ACTIVE_LOCK:
        return _ACTIVE.get(id(case.operation.schema))


@schemathesis.hook("before_call")
def _before_call(ctx: Any, case: Any, kwargs: dict[str, Any]) -> None:
    hooks = _active(case)
    if hooks is not None:
        hooks.before_call(case, kwargs)


@schemathesis.hook("after_call")
def _after_call(ctx: Any, case: Any, response: Any) -> None:
    hooks = _active(case)
    if hooks is not None:
        hooks.after_call(case, response)


@schemathesis.hook("after_network_error")
def _after_network_error(ctx: Any, case: Any, request: Any) -> None:
    hooks = _active(case)
    if hooks is not None:
        hooks.after_network_error(case)


def serialize_ast_parse() -> None:
    """Make `ast.parse` single-threaded on CPython 3.11.

    Its AST-to-object conversion keeps a recursion counter per interpreter, not per thread, so two
    schemathesis workers parsing at once (hypothesis describes lambdas from their source) can fail with
    "SystemError: AST constructor recursion depth mismatch" and lose that scenario (CPython gh-106905).
    """
    if sys.version_info >= (3, 12) or getattr(ast.parse, "_aitre_locked", False):
        return
    original, lock = ast.parse, threading.Lock()

    def parse(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(*args, **kwargs)

    parse._aitre_locked = True  # type: ignore[attr-defined]  # our marker on the function object
    ast.parse = parse


def build_config(settings: ConformSettings, base_url: str) -> schemathesis.Config:
    """The schemathesis configuration of one run (never written to disk: it holds the key)."""
    data: dict[str, Any] = {
        "base-url": base_url,
        "request-timeout": settings.timeout,
        "max-stream-events": MAX_STREAM_EVENTS,
        "seed": settings.seed,
        "workers": settings.workers,
        "suppress-health-check": ["all"],
        # Past a failing case, so one pervasive defect does not leave an operation with a single case
        # (repeats are counted, and only the first few kept, in `_collect`).
        "continue-on-failure": True,
        # No shrinking: every shrink step is one more request to a possibly paid upstream; the first
        # failing case, with its curl command, is reproducer enough.
        "generation": {"max-examples": settings.max_examples, "database": "none", "allow-x00": False,
                       "no-shrink": True},
    }
    if settings.api_key:
        data["headers"] = {"Authorization": f"Bearer {settings.api_key}"}
    return schemathesis.Config.from_dict(data)


class SchemaRun:
    """One schemathesis run over the selected operations; `run()` blocks until done or stopped."""

    def __init__(self, settings: ConformSettings, spec: dict[str, Any], *, models: dict[str, str | None],
                 counter: RequestCounter, redactor: Redactor,
                 on_progress: Callable[[str, int, int], None] | None = None,
                 listed: frozenset[str] = frozenset()) -> None:
        self.settings, self.spec, self.models = settings, spec, models
        self.listed = listed
        self.counter, self.redactor, self.on_progress = counter, redactor, on_progress
        self.outcome = SchemaOutcome()
        self.contract = RequestContract(spec)
        self.responses = ResponseContract(spec)
        self._stream: Any = None
        self._hooks: _Hooks | None = None

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.stop()

    def run(self, operations: Iterable[str]) -> SchemaOutcome:
        wanted = set(operations)
        if self.settings.workers > 1:
            serialize_ast_parse()
        install_bounded_sessions()
        config = build_config(self.settings, self.settings.base_url)
        schema: schemathesis.BaseSchema = schemathesis.openapi.from_dict(cheap_spec(self.spec), config=config)
        schema = schema.include(func=lambda ctx: f"{ctx.operation.method.upper()} {ctx.operation.path}" in wanted)
        self.outcome.operations = sorted(wanted)
        self.outcome.declared_methods = declared_methods(self.spec)
        hooks = _Hooks(self.settings, self.models, self.counter, self.outcome, self.redactor, self.stop,
                       self.contract, self.listed)
        self._hooks = hooks
        with _ACTIVE_LOCK:
            _ACTIVE[id(schema)] = hooks
        # schemathesis's probes (GET /, a malformed path) run on this thread: bounded and counted too.
        use_bounds(hooks.bounds, prepaid=False)
        try:
            self._stream = from_schema(schema).execute()
            done = 0
            for event in self._stream:
                if isinstance(event, st_events.ScenarioFinished):
                    done += 1
                    self._collect(event.recorder)
                    if self.on_progress is not None:
                        self.on_progress(event.recorder.label, done, len(wanted))
                elif isinstance(event, st_events.NonFatalError):
                    self._non_fatal(event)
                elif isinstance(event, st_events.FatalError):
                    self.outcome.notes.append(f"schemathesis stopped: {self.redactor.text(str(event.exception))}")
                    self.outcome.stopped = "schemathesis stopped on an error"
            self.outcome.finished = True
        finally:
            use_bounds(None)
            with _ACTIVE_LOCK:
                _ACTIVE.pop(id(schema), None)
        return self.outcome

    def _non_fatal(self, event: Any) -> None:
        cause = event.value
        if isinstance(cause, BudgetExhausted) or isinstance(getattr(cause, "__cause__", None), BudgetExhausted):
            return
        message = self.redactor.text(f"{cause.__class__.__name__}: {cause}".splitlines()[0])[:300]
        label = event.label
        if cause.__class__.__name__ == "ServerUnavailable":
            # schemathesis confirmed that the server went away mid-run (its message names the last requests).
            self.outcome.refused += 1
            self.outcome.notes.append(self.redactor.text(str(cause))[:2000])
            return
        if not isinstance(cause, requests.RequestException):
            # Not the server's doing (a schemathesis or interpreter error): a note, not a violation.
            if cause.__class__.__name__ != "NoLinksFound":  # no stateful phase for the selected areas: no news
                self.outcome.notes.append(f"schemathesis error on {label}: {message}")
            return
        hooks = self._hooks
        if hooks is not None and hooks.resets_after_5xx.get(label, 0) > 0:
            with hooks.lock:
                hooks.resets_after_5xx[label] -= 1
            self.outcome.notes.append(f"a request to {label} failed right after a 5xx answer ({message}); "
                                      "charged to that 5xx, not to the request")
            return
        if isinstance(cause, requests.ConnectionError) and "refused" in message.lower():
            self.outcome.refused += 1
        key = (label, "network")
        self.outcome.failure_counts[key] += 1
        if len(self.outcome.failures[key]) < MAX_FAILURES_KEPT:
            self.outcome.failures[key].append(network_failure(label, message, cause))

    def _collect(self, recorder: Any) -> None:
        with_cases = recorder.cases
        self.outcome.cases += len(with_cases)
        self.outcome.cases_per_operation[recorder.label] += len(with_cases)
        for case_id, nodes in recorder.checks.items():
            case_node = with_cases.get(case_id)
            case = case_node.value if case_node is not None else None
            operation = case.operation.label if case is not None else recorder.label
            interaction = recorder.interactions.get(case_id)
            response = interaction.response if interaction is not None else None
            status = response.status_code if response is not None else None
            param = error_param(response.content) if response is not None else None
            for node in nodes:
                key = (operation, node.name)
                if node.failure_info is None:
                    if status is not None and 300 <= status < 400:
                        self.outcome.unjudged[key] += 1
                    else:
                        self.outcome.passes[key] += 1
                    continue
                verdict = self._judge(node.name, case, status, param)
                if verdict is None:
                    self.outcome.passes[key] += 1
                    continue
                self.outcome.failure_counts[key] += 1
                if len(self.outcome.failures[key]) < MAX_FAILURES_KEPT:
                    raw = self._raw_failure(recorder, case_id, node, operation)
                    raw.severity, raw.why = verdict
                    self.outcome.failures[key].append(raw)

    def _judge(self, check: str, case: Any, status: int | None, param: str | None) -> tuple[Severity, str] | None:
        if case is None:
            return Severity.VIOLATION, ""
        role = role_of(case.operation.path)
        swapped = self._hooks is not None and case.id in self._hooks.swapped
        usable = role is None or bool(self.models.get(role))
        return judge(check, case, status, contract=self.contract, model_swapped=swapped, model_usable=usable,
                     error_param=param)

    def _raw_failure(self, recorder: Any, case_id: str, node: Any, operation: str) -> RawFailure:
        failure = node.failure_info.failure
        raw = RawFailure(
            check=node.name,
            operation=operation,
            title=str(getattr(failure, "title", "") or node.name),
            message=str(getattr(failure, "message", "") or failure),
            curl=node.failure_info.code_sample,
        )
        interaction = recorder.interactions.get(case_id)
        if interaction is not None:
            request = interaction.request
            raw.method, raw.url, raw.request_body = request.method, request.uri, request.body
            raw.request_headers = {name: ", ".join(values) for name, values in request.headers.items()}
            if self.settings.api_key:
                sent_key = next((v for k, v in raw.request_headers.items() if k.lower() == "authorization"), "")
                raw.authenticated = self.redactor.found_in(sent_key)
            if interaction.response is not None:
                response = interaction.response
                raw.status = response.status_code
                raw.response_body = self.redactor.text(response.content.decode("utf-8", "replace"))[:4000].encode()
                raw.response_type = (response.headers.get("content-type") or [""])[0]
                raw.response_headers = {name.lower(): ", ".join(values) for name, values in response.headers.items()}
                failed_inside = stream_error(response.content) if "event-stream" in raw.response_type else None
                if failed_inside is not None:
                    raw.message = f"HTTP {raw.status} with an error event in the stream: {failed_inside}\n{raw.message}"
                if node.name == "response_schema_conformance":
                    where = self.responses.explain(operation, raw.status, raw.response_type, response.content)
                    if where:
                        raw.message = f"{where}\n{raw.message}"
        return raw
