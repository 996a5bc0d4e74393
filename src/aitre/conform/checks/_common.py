"""Helpers shared by the area modules: operation names, request bodies and recurring assertions."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from typing import Any

from aitre.conform.client import Exchange
from aitre.conform.context import CheckContext
from aitre.conform.discovery import candidates
from aitre.conform.failures import ContractViolation, Skipped, expect

CHAT = "POST /v1/chat/completions"
COMPLETIONS = "POST /v1/completions"
EMBEDDINGS = "POST /v1/embeddings"
MODELS = "GET /v1/models"
MODEL = "GET /v1/models/{model}"
MODEL_DELETE = "DELETE /v1/models/{model}"
IMAGES = "POST /v1/images/generations"
IMAGE_EDITS = "POST /v1/images/edits"
IMAGE_VARIATIONS = "POST /v1/images/variations"
SPEECH = "POST /v1/audio/speech"
TRANSCRIPTIONS = "POST /v1/audio/transcriptions"
TRANSLATIONS = "POST /v1/audio/translations"
MJ_IMAGINE = "POST /mj/submit/imagine"
MJ_ACTION = "POST /mj/submit/action"
MJ_FETCH = "GET /mj/task/{id}/fetch"
MJ_LIST = "POST /mj/task/list-by-condition"
MJ_SEED = "GET /mj/task/{id}/image-seed"
MJ_BLEND = "POST /mj/submit/blend"
MJ_DESCRIBE = "POST /mj/submit/describe"
MJ_SHORTEN = "POST /mj/submit/shorten"
MJ_CHANGE = "POST /mj/submit/change"
MJ_SIMPLE_CHANGE = "POST /mj/submit/simple-change"
MJ_MODAL = "POST /mj/submit/modal"
MJ_UPLOAD = "POST /mj/submit/upload-discord-images"

FINISH_REASONS = frozenset({"stop", "length", "tool_calls", "content_filter", "function_call"})
# A prompt whose honest answer is long, so a small max_tokens truncates it.
LONG_ANSWER_PROMPT = "Count from 1 to 50, separated by spaces."
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages a client author reads ("null", not "NoneType")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def is_int(value: Any) -> bool:
    """An integer that is not a bool (JSON `true` must not pass as 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def chat_body(ctx: CheckContext, content: str = "Say hello.", **extra: Any) -> dict[str, Any]:
    """A small chat request for the run's chat model, with max_tokens capped."""
    body: dict[str, Any] = {
        "model": ctx.model("chat"),
        "messages": [{"role": "user", "content": content}],
        "max_tokens": ctx.limits.max_tokens,
    }
    body.update(extra)
    return body


def base64_field(value: Any, where: str) -> bytes:
    """The bytes of a strict base64 string field; a ContractViolation naming `where` otherwise."""
    expect(isinstance(value, str), f"{where} is {json_type(value)}, not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ContractViolation(f"{where} is not valid base64: {js(str(value)[:40])}") from None


def ok_json(exchange: Exchange) -> dict[str, Any]:
    """A 200 answer's JSON object, or the failure saying why it is not one."""
    exchange.require_status(200)
    return exchange.json_object()


def error_shape_problem(exchange: Exchange) -> str | None:
    """Why this answer is not an error body its route may send (None when it is)."""
    path = exchange.url.split("://", 1)[-1].partition("/")[2]
    return error_problem_for("/" + path.split("?", 1)[0], exchange.content_type, exchange.body)


def is_midjourney_path(path: str) -> bool:
    """Routes of the MidJourney task API, under any mode prefix (`/mj`, `/mj-fast/mj`, ...)."""
    return path.startswith("/mj/") or (path.startswith("/mj-") and "/mj/" in path)


def error_problem_for(path: str, content_type: str, body: bytes) -> str | None:
    """Why an error body is wrong for the route at `path` (None when it is acceptable).

    /v1 routes send the OpenAI error object. MidJourney routes may send it too, or the midjourney-proxy
    shape `{"code": <int>, "description": "..."}` that new-api uses for relay-side MJ failures (spec M18):
    a midjourney-proxy client reads `code` and `description`.
    """
    problem = error_body_problem(content_type, body)
    if problem is None or not is_midjourney_path(path):
        return problem
    if mj_error_body_problem(content_type, body) is None:
        return None
    return f"{problem}; nor is it the MidJourney error shape {{code, description}}"


def js(value: Any, limit: int = 120) -> str:
    """A value as a message shows it: JSON text (null, true, "text"), cut to `limit`; bytes via `shown`."""
    if isinstance(value, bytes | bytearray):
        return shown(bytes(value), 16)
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown(data: bytes, limit: int) -> str:
    """The start of a body as an operator reads it: text in backticks (newlines as \\n), else hex bytes."""
    head = data[:limit]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or any(not char.isprintable() and char not in "\r\n\t" for char in text):
        return "bytes " + head.hex(" ")
    more = "..." if len(data) > limit else ""
    return "`" + text.replace("\r", "\\r").replace("\n", "\\n") + more + "`"


def _json_body(content_type: str, body: bytes) -> tuple[Any, str | None]:
    """The parsed body of a JSON answer, or why it is not one (the media type or the syntax)."""
    if content_type != "application/json":
        return None, f"Content-Type is {content_type or '(none)'}, not application/json"
    try:
        return json.loads(body), None
    except ValueError:
        return None, f"body is not JSON: {shown(body, 80)}"


def mj_error_body_problem(content_type: str, body: bytes) -> str | None:
    """Why a body is not the midjourney-proxy error shape `{code: integer, description: string}`."""
    data, problem = _json_body(content_type, body)
    if problem is not None:
        return problem
    if not isinstance(data, dict) or not is_int(data.get("code")) or not isinstance(data.get("description"), str):
        return f"body is not {{code: integer, description: string}}: {shown(body, 120)}"
    return None


def error_body_problem(content_type: str, body: bytes) -> str | None:
    """Why a body with this media type is not the OpenAI error object (None when it is)."""
    data, problem = _json_body(content_type, body)
    if problem is not None:
        return problem
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return f"body has no `error` object: {shown(body, 120)}"
    for name in ("message", "type"):
        if not isinstance(error.get(name), str):
            return f"error.{name} is {js(error.get(name))}, not a string"
    for name in ("param", "code"):
        if name not in error:
            return f"error.{name} is missing (it is required, null when not applicable)"
        if error[name] is not None and not isinstance(error[name], str):
            return f"error.{name} is {js(error[name])}, not a string or null"
    return None


def route_evidence(status: int, body: bytes) -> bool:
    """Whether a 4xx proves its route exists: an OpenAI error naming a field, or an unknown model.

    A generic 404 or a body parser's 400 says nothing about routing; a refusal that names `param` or
    `model_not_found` came from the operation's own handler.
    """
    if not 400 <= status < 500:
        return False
    error = error_object(body)
    return error is not None and (bool(error.get("param")) or error.get("code") == "model_not_found")


def error_object(body: bytes) -> dict[str, Any] | None:
    """The `error` object of an OpenAI error body, or None when the body is not one."""
    if not body.lstrip().startswith(b"{"):
        return None
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return None
    return error if isinstance(error, dict) else None


def error_cause(problem: str) -> str:
    """The root cause shared by every check that meets an error body with `problem`."""
    # The MidJourney suffix ("nor is it the MidJourney shape") differs by route, not by cause.
    # The body excerpt after ": `" or ": bytes" differs per answer, not per cause.
    general = re.split(r"; nor is it|: `|: bytes ", problem)[0]
    return f"4xx answers are not the OpenAI error object: {general}"


def require_error(exchange: Exchange, *statuses: int) -> dict[str, Any]:
    """The status is one of `statuses` and the body is an error its route may send; returns `error`.

    For the MidJourney error shape (MidJourney routes only) the returned object holds its `description`
    as `message`, with `param` and `code` null, so callers can read either shape the same way.
    """
    exchange.require_status(*statuses)
    problem = error_shape_problem(exchange)
    if problem:
        raise ContractViolation(f"{exchange.status} answer is not an error object: {problem}", exchange=exchange,
                                cause=error_cause(problem))
    data = exchange.json()
    if isinstance(data.get("error"), dict):
        error: dict[str, Any] = data["error"]
        return error
    return {"message": data.get("description"), "type": data.get("type"), "param": None, "code": None}


def require_client_error(exchange: Exchange, what: str) -> dict[str, Any]:
    """Invalid input got a 4xx with the error object (never 2xx or 5xx)."""
    status = exchange.status or 0
    if not 400 <= status < 500:
        raise ContractViolation(f"{what} was answered {status}; invalid input must get a 4xx error")
    return require_error(exchange, status)


def check_usage(usage: Any, *, completion: bool = True) -> None:
    """Usage counts are non-negative integers that add up, with details within their totals."""
    expect(isinstance(usage, dict), f"usage is {json_type(usage)}, not an object")
    names = ("prompt_tokens", "completion_tokens", "total_tokens") if completion else ("prompt_tokens", "total_tokens")
    for name in names:
        expect(is_int(usage.get(name)) and usage[name] >= 0, f"usage.{name} is {js(usage.get(name))}")
    if completion:
        total = usage["prompt_tokens"] + usage["completion_tokens"]
        expect(
            usage["total_tokens"] == total,
            f"usage.total_tokens is {usage['total_tokens']}, but prompt_tokens + completion_tokens = {total}",
        )
    else:
        expect(
            usage["total_tokens"] == usage["prompt_tokens"],
            f"usage.total_tokens {usage['total_tokens']} differs from prompt_tokens {usage['prompt_tokens']}",
        )
    for parent, details in (
        ("prompt_tokens", "prompt_tokens_details"),
        ("completion_tokens", "completion_tokens_details"),
    ):
        detail = usage.get(details)
        if not isinstance(detail, dict):
            continue
        for name, value in detail.items():
            if is_int(value) and parent in usage:
                expect(value <= usage[parent], f"usage.{details}.{name} = {value} exceeds usage.{parent}")


def check_created(value: Any, where: str) -> None:
    """`created` is integer Unix seconds (not milliseconds, not a float or a string)."""
    expect(is_int(value), f"{where} is {js(value)}, not an integer")
    expect(946684800 <= value < 10_000_000_000, f"{where} = {value} is not Unix seconds")


def check_id(value: Any, where: str) -> None:
    expect(isinstance(value, str) and value != "", f"{where} is {js(value)}, not a non-empty string")


def check_token_limit(body: dict[str, Any], choice: dict[str, Any], limit: int) -> int:
    """`usage.completion_tokens` <= `limit`, and `choice` ends with "length" only when the limit was used up.

    Returns the token count; skips when the answer carries no usage.
    """
    usage = body.get("usage")
    if not isinstance(usage, dict) or not is_int(usage.get("completion_tokens")):
        raise Skipped("the answer has no usage, so token counts cannot be compared")
    used: int = usage["completion_tokens"]
    expect(used <= limit, f"completion_tokens = {used} exceeds max_tokens = {limit}")
    if choice.get("finish_reason") == "length":
        expect(used == limit, f"finish_reason is 'length' but only {used} of max_tokens = {limit} were used")
    return used


def check_envelope(body: dict[str, Any], object_name: str) -> None:
    """The fields every completion object shares: `object`, a non-empty `id`, Unix-second `created`, `model`."""
    expect(body.get("object") == object_name, f"object is {js(body.get('object'))}, not {js(object_name)}")
    check_id(body.get("id"), "id")
    check_created(body.get("created"), "created")
    check_id(body.get("model"), "model")


def model_with(ctx: CheckContext, role: str, what: str, capable: Callable[[str], bool],
               preferred: tuple[str, ...], default: str) -> str:
    """A model of `role` that offers `what`: the run's own when `capable(model)`, else another.

    The run's choice is the cheapest of its role, which may lack a feature only some models of the role
    have (DALL·E 2 does not stream). An overridden role (`--model`) is kept: its feature is then skipped.
    Otherwise the first `preferred` id the server lists, then any listed id that is `capable`; a server
    that lists no models at all is asked with `default`, the feature's best-known model, as the run asks
    unlisted roles with theirs (a refusal of that model is skipped: `skip_if_model_unknown`).
    """
    chosen = ctx.model(role)
    if capable(chosen):
        return chosen
    if role in ctx.settings.models:
        raise Skipped(f"not observable: the {role} model {chosen} (given with --model) does not offer {what}")
    if not ctx.listed:
        return default
    refused = {model for model, _ in ctx.refused_models}
    # Only ids that look like the role's: a relay's list may hold anything (price-table entries, sizes).
    for model in (*preferred, *candidates(role, sorted(ctx.listed))):
        if model in ctx.listed and model not in refused and capable(model):
            return model
    raise Skipped(f"not observable: {chosen} does not offer {what}, and the server lists no model that does")


def skip_if_model_unknown(exchange: Exchange, model: str) -> None:
    """An answer that refuses `model` itself (404, or a 4xx naming `model` or `model_not_found`): skipped.

    For a feature asked of a model the run did not choose: the server need not serve that model.
    """
    status = exchange.status or 0
    if not 400 <= status < 500:
        return
    # A 404 refuses the model whatever its body looks like (the error-shape check judges the body).
    error = error_object(exchange.body) or {}
    if status == 404 or error.get("param") == "model" or error.get("code") == "model_not_found":
        raise Skipped(f"the server does not serve {model}, of which this feature was asked ({status})")


def skip_if_refused(exchange: Exchange, what: str) -> None:
    """A 4xx for an optional, model-dependent feature is the server's right: skip rather than fail."""
    if exchange.status is not None and 400 <= exchange.status < 500 and exchange.status not in (401, 404, 405):
        problem = error_shape_problem(exchange)
        if problem is None:
            raise Skipped(f"the server refused {what} for this model ({exchange.status})")
