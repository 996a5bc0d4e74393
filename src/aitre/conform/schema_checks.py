"""Status codes, content types, response schemas and input validation, by schemathesis on the bundled spec.

The engine runs in-process (as `st run` does) so its events feed our progress display and its requests
share our counter and --budget. Positive cases are made cheap and realistic before they are sent: the
model becomes one the server has, and token, choice, image and audio sizes are capped. Negative cases
are sent as generated, since rewriting them could make them valid.
"""

from __future__ import annotations

import ast
import json
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

from aitre.conform.areas import area_of, role_of
from aitre.conform.checks._common import error_body_problem
from aitre.conform.client import RequestCounter
from aitre.conform.failures import BudgetExhausted
from aitre.conform.redact import Redactor
from aitre.conform.settings import ConformSettings

# schemathesis check name -> the feature (matrix column) it reports under.
FEATURES: dict[str, str] = {
    "not_a_server_error": "no 5xx",
    "status_code_conformance": "schema",
    "content_type_conformance": "schema",
    "response_schema_conformance": "schema",
    "response_headers_conformance": "schema",
    "negative_data_rejection": "rejects invalid",
    "missing_required_header": "rejects invalid",
    "positive_data_acceptance": "accepts valid",
    "unsupported_method": "methods",
    "allow_header_conformance": "methods",
    "ignored_auth": "auth enforced",
    "use_after_free": "stateful",
    "ensure_resource_availability": "stateful",
}
RULES: dict[str, str] = {
    "not_a_server_error": "No generated request, valid or not, gets a 5xx.",
    "status_code_conformance": "Every status code is one the operation declares.",
    "content_type_conformance": "Every Content-Type is one the answered status declares.",
    "response_schema_conformance": "Every JSON body and SSE event matches the declared schema.",
    "response_headers_conformance": "Declared response headers are present and well formed.",
    "negative_data_rejection": "Requests that break the request schema get a 4xx.",
    "missing_required_header": "Requests missing a required header get a 4xx.",
    "positive_data_acceptance": (
        "Requests that match the request schema are accepted, or refused with a 4xx error object whose "
        "`param` names the field (model-dependent and cross-field limits the schema cannot express)."
    ),
    "unsupported_method": "Undeclared methods get 405.",
    "allow_header_conformance": "405 answers carry an Allow header listing the declared methods.",
    "ignored_auth": "Requests without valid credentials get 401.",
    "use_after_free": "A deleted resource is gone.",
    "ensure_resource_availability": "A created resource can be fetched.",
}
# Multipart parts cannot carry JSON types, so schemathesis's negative multipart cases are often valid
# on the wire (tooling notes 1c); their rejection is not checked. (Done here rather than with an
# `[[operations]]` config entry: in 4.32.5 such an entry also re-selects every operation.)
MULTIPART_PATHS = frozenset(
    {"/v1/audio/transcriptions", "/v1/audio/translations", "/v1/images/edits", "/v1/images/variations"}
)
MAX_FAILURES_KEPT = 3
MAX_STREAM_EVENTS = 100


@dataclass
class RawFailure:
    """A schemathesis failure before redaction (the runner redacts it into a FailureRecord)."""

    check: str
    operation: str
    title: str
    message: str
    method: str | None = None
    url: str | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: bytes | None = None
    status: int | None = None
    response_body: bytes | None = None
    response_type: str = ""
    curl: str | None = None


@dataclass
class SchemaOutcome:
    """What the schemathesis run saw, per operation and check."""

    failures: dict[tuple[str, str], list[RawFailure]] = field(default_factory=lambda: defaultdict(list))
    failure_counts: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    passes: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    # Statuses answered to requests that carried our key, per operation (for "not supported").
    statuses: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    # 4xx answers that are not the OpenAI error object: (operation, status, media type, body).
    bad_errors: list[tuple[str, int, str, bytes]] = field(default_factory=list)
    leaks: list[tuple[str, str]] = field(default_factory=list)
    requests: int = 0
    cases: int = 0
    operations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    finished: bool = False


class _Hooks:
    """Per-run state the global `before_call` / `after_call` hooks dispatch to."""

    def __init__(self, settings: ConformSettings, models: dict[str, str | None], counter: RequestCounter,
                 outcome: SchemaOutcome, redactor: Redactor, stop: Callable[[], None]) -> None:
        self.settings, self.models, self.counter = settings, models, counter
        self.outcome, self.redactor, self.stop = outcome, redactor, stop
        self.lock = threading.Lock()

    def before_call(self, case: Any) -> None:
        if not self.counter.try_acquire():
            self.stop()
            raise BudgetExhausted()
        with self.lock:
            self.outcome.requests += 1
        meta = getattr(case, "meta", None)
        if meta is not None and meta.generation.mode == GenerationMode.POSITIVE and isinstance(case.body, dict):
            tame_body(case.body, case.operation.path, self.models, self.settings)

    def after_call(self, case: Any, response: Any) -> None:
        operation = case.operation.label
        headers = response.request.headers
        authenticated = self.redactor.found_in(str(headers.get("Authorization", "")))
        content_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip().lower()
        with self.lock:
            if authenticated:
                self.outcome.statuses[operation].append(response.status_code)
            if 400 <= response.status_code < 500 and error_body_problem(content_type, response.content):
                self.outcome.bad_errors.append((operation, response.status_code, content_type, response.content[:2000]))
            leaked_in = [name for name, values in response.headers.items() if any(map(self.redactor.found_in, values))]
            if self.redactor.found_in(response.content):
                leaked_in.append("body")
            if leaked_in:
                self.outcome.leaks.append((operation, ", ".join(leaked_in)))


_ACTIVE: dict[int, _Hooks] = {}
_ACTIVE_LOCK = threading.Lock()


def _active(case: Any) -> _Hooks | None:
    with _ACTIVE_LOCK:
        return _ACTIVE.get(id(case.operation.schema))


@schemathesis.hook("before_call")
def _before_call(ctx: Any, case: Any, kwargs: dict[str, Any]) -> None:
    hooks = _active(case)
    if hooks is not None:
        hooks.before_call(case)


@schemathesis.hook("after_call")
def _after_call(ctx: Any, case: Any, response: Any) -> None:
    hooks = _active(case)
    if hooks is not None:
        hooks.after_call(case, response)


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


def tolerate_binary_in_coverage_judges() -> None:
    """Let schemathesis's coverage phase skip, rather than crash on, file parts under `if`/`then` rules.

    Schemathesis 4.32.5 checks a value drawn for a schema with conditionals (spec G8) against the whole
    schema with jsonschema-rs, which raises `ValueError: Unsupported type: 'Binary'` when the value holds
    a multipart file (`POST /v1/images/edits`), and the operation loses its coverage phase. Elsewhere that
    module treats such values as unjudgeable; the wrapped judge does the same: it declines them, and the
    generator falls back to drawing the value another way. Values without files are judged as before.
    The hook is private to schemathesis (pinned in constraints.txt); if a later version moves it, this
    does nothing rather than break the run.
    """
    try:
        from schemathesis.specs.openapi.coverage import _schema as coverage

        current = coverage._judge
        coverage.contains_binary  # type: ignore[attr-defined]  # noqa: B018 - private (not exported); judge needs it
    except (ImportError, AttributeError):
        return
    if getattr(current, "_aitre_binary_safe", False):
        return
    original = coverage._judge

    def judge(schema: Any, ctx: Any) -> Callable[[Any], bool] | None:
        inner = original(schema, ctx)
        if inner is None:
            return None

        def admits(value: Any) -> bool:
            try:
                return bool(inner(value))
            except ValueError:
                if coverage.contains_binary(value):  # type: ignore[attr-defined]  # private; its presence checked above
                    return False
                raise

        return admits

    judge._aitre_binary_safe = True  # type: ignore[attr-defined]  # our marker on the function object
    coverage._judge = judge


def tame_body(body: dict[str, Any], path: str, models: dict[str, str | None], settings: ConformSettings) -> None:
    """Make a valid generated body cheap and routable: a served model and capped sizes."""
    limits = settings.limits
    role = role_of(path)
    if role and models.get(role) and "model" in body:
        body["model"] = models[role]
    for name in ("max_tokens", "max_completion_tokens"):
        if isinstance(body.get(name), int) and body[name] > limits.max_tokens:
            body[name] = limits.max_tokens
    if isinstance(body.get("n"), int):
        cap = limits.max_images if path.startswith("/v1/images/") else limits.max_choices
        body["n"] = min(body["n"], cap)
    if isinstance(body.get("best_of"), int):
        # best_of must stay >= n (spec C4) after both are capped.
        body["best_of"] = min(body["best_of"], limits.max_choices)
    if path == "/v1/audio/speech" and isinstance(body.get("input"), str):
        body["input"] = body["input"][: limits.max_speech_chars]
    if path == "/v1/embeddings" and isinstance(body.get("input"), list):
        body["input"] = body["input"][: limits.max_embedding_inputs]
    if isinstance(body.get("partial_images"), int):
        body["partial_images"] = min(body["partial_images"], 1)


def build_config(settings: ConformSettings, base_url: str) -> schemathesis.Config:
    """The schemathesis configuration of one run (never written to disk: it holds the key)."""
    data: dict[str, Any] = {
        "base-url": base_url,
        "request-timeout": settings.timeout,
        "max-stream-events": MAX_STREAM_EVENTS,
        "seed": settings.seed,
        "workers": settings.workers,
        "suppress-health-check": ["all"],
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
                 on_progress: Callable[[str, int, int], None] | None = None) -> None:
        self.settings, self.spec, self.models = settings, spec, models
        self.counter, self.redactor, self.on_progress = counter, redactor, on_progress
        self.outcome = SchemaOutcome()
        self._stream: Any = None

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.stop()

    def run(self, operations: Iterable[str]) -> SchemaOutcome:
        wanted = set(operations)
        if self.settings.workers > 1:
            serialize_ast_parse()
        tolerate_binary_in_coverage_judges()
        config = build_config(self.settings, self.settings.base_url)
        schema: schemathesis.BaseSchema = schemathesis.openapi.from_dict(cheap_spec(self.spec), config=config)
        schema = schema.include(func=lambda ctx: f"{ctx.operation.method.upper()} {ctx.operation.path}" in wanted)
        self.outcome.operations = sorted(wanted)
        hooks = _Hooks(self.settings, self.models, self.counter, self.outcome, self.redactor, self.stop)
        with _ACTIVE_LOCK:
            _ACTIVE[id(schema)] = hooks
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
            self.outcome.finished = True
        finally:
            with _ACTIVE_LOCK:
                _ACTIVE.pop(id(schema), None)
        return self.outcome

    def _non_fatal(self, event: Any) -> None:
        cause = event.value
        if isinstance(cause, BudgetExhausted) or isinstance(getattr(cause, "__cause__", None), BudgetExhausted):
            return
        message = self.redactor.text(f"{cause.__class__.__name__}: {cause}".splitlines()[0])[:300]
        label = event.label
        if not isinstance(cause, requests.RequestException):
            # Not the server's doing (a schemathesis or interpreter error): a note, not a violation.
            self.outcome.notes.append(f"schemathesis error on {label}: {message}")
            return
        key = (label, "network")
        self.outcome.failure_counts[key] += 1
        if len(self.outcome.failures[key]) < MAX_FAILURES_KEPT:
            self.outcome.failures[key].append(RawFailure("network", label, "Request failed", message))

    def _collect(self, recorder: Any) -> None:
        with_cases = recorder.cases
        self.outcome.cases += len(with_cases)
        for case_id, nodes in recorder.checks.items():
            case_node = with_cases.get(case_id)
            operation = case_node.value.operation.label if case_node is not None else recorder.label
            multipart = operation.split(" ", 1)[-1] in MULTIPART_PATHS
            for node in nodes:
                if multipart and node.name == "negative_data_rejection":
                    continue
                key = (operation, node.name)
                if node.failure_info is not None and node.name == "positive_data_acceptance":
                    if _names_refused_field(recorder.interactions.get(case_id)):
                        self.outcome.passes[key] += 1
                        continue
                if node.failure_info is None:
                    self.outcome.passes[key] += 1
                    continue
                self.outcome.failure_counts[key] += 1
                if len(self.outcome.failures[key]) < MAX_FAILURES_KEPT:
                    self.outcome.failures[key].append(self._raw_failure(recorder, case_id, node, operation))

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
            if interaction.response is not None:
                response = interaction.response
                raw.status = response.status_code
                raw.response_body = response.content[:4000]
                raw.response_type = (response.headers.get("content-type") or [""])[0]
        return raw


def _names_refused_field(interaction: Any) -> bool:
    """A valid request refused with 400/422 and an error object whose `param` names the field.

    The OpenAI format lets a server refuse schema-valid input for model-dependent or cross-field reasons
    (dall-e-2 sizes, tts-1 voices, top_logprobs without logprobs) as long as it says which field.
    """
    response = getattr(interaction, "response", None)
    if response is None or response.status_code not in (400, 422):
        return False
    content_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip().lower()
    if error_body_problem(content_type, response.content) is not None:
        return False
    error = json.loads(response.content)["error"]
    return isinstance(error.get("param"), str) and bool(error["param"])


def area_operations(spec: dict[str, Any], areas: Iterable[str]) -> list[str]:
    """The spec's operations ("METHOD /path") whose area is selected."""
    selected = set(areas)
    found = []
    for path, item in spec.get("paths", {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            if method in item and area_of(path) in selected:
                found.append(f"{method.upper()} {path}")
    return found


# Bounds above these are not probed: generating and answering a boundary case costs as much as the
# bound (2048 embedding inputs, 32000 prompt characters, 4096 characters of speech), on the wire and
# on a paid upstream. Dropping such a bound keeps generated sizes small; the bound itself goes untested.
COSTLY_MAX_ITEMS = 64
COSTLY_MAX_LENGTH = 1000


def cheap_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of the spec without costly size bounds (see COSTLY_MAX_ITEMS / COSTLY_MAX_LENGTH)."""
    import copy

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("maxItems"), int) and node["maxItems"] > COSTLY_MAX_ITEMS:
                del node["maxItems"]
            if isinstance(node.get("maxLength"), int) and node["maxLength"] > COSTLY_MAX_LENGTH:
                del node["maxLength"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    cheap = copy.deepcopy(spec)
    walk(cheap)
    return cheap
