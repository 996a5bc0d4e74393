"""Protocol: what the HTTP layer must tolerate (Accept headers, a wrong Content-Type, awkward text)."""

from __future__ import annotations

import json

from aitre.conform.checks._common import (
    CHAT,
    COMPLETIONS,
    chat_body,
    js,
    ok_json,
    require_client_error,
    skip_if_refused,
)
from aitre.conform.context import CheckContext
from aitre.conform.failures import ContractViolation, expect, warn_unless
from aitre.conform.registry import check

# Quotes, a backslash, newlines, a tab, non-ASCII letters and emoji (one outside the BMP, one with a ZWJ).
AWKWARD = 'He said "hi" \\ then left.\nLine two\twith tab: café, 東京 😀 👩‍💻'


@check("errors", "protocol", CHAT)
def stream_with_event_stream_accept(ctx: CheckContext) -> None:
    """A streaming request sent with `Accept: text/event-stream` (as SSE clients send) gets a 200 event stream.

    Other Accept handling is the server's; comment lines and extra SSE fields are allowed.
    """
    exchange = ctx.send(CHAT, json_body=chat_body(ctx, stream=True), headers={"Accept": "text/event-stream"})
    exchange.require_status(200)
    exchange.require_content_type("text/event-stream")
    expect(exchange.events, "the stream has no events")


@check("errors", "protocol", CHAT)
def wrong_content_type_is_4xx(ctx: CheckContext) -> None:
    """A JSON chat body sent with `Content-Type: text/plain` gets a 4xx with the error object, never a 5xx.

    Reading the body as JSON anyway (200) breaks no client, so it is a warning, not a violation.
    """
    body = json.dumps(chat_body(ctx)).encode()
    exchange = ctx.send(CHAT, content=body, headers={"Content-Type": "text/plain"})
    status = exchange.status or 0
    if 200 <= status < 300:
        warn_unless(False, f"a text/plain body was read as JSON ({status}); a 4xx error was expected")
    require_client_error(exchange, "a JSON body labelled text/plain")


@check("errors", "protocol", CHAT, COMPLETIONS)
def awkward_text_survives(ctx: CheckContext) -> None:
    """Text with quotes, backslashes, newlines, tabs, non-ASCII letters and emoji gets a 200 answer (chat and
    completions), and an echoed completion prompt comes back intact, character for character.

    What the model writes about the text is its own; a model that refuses echo (4xx) skips that part only.
    """
    ok_json(ctx.send(CHAT, json_body=chat_body(ctx, AWKWARD)))
    body = {"model": ctx.model("completions"), "prompt": AWKWARD, "max_tokens": ctx.limits.max_tokens, "echo": True}
    exchange = ctx.send(COMPLETIONS, json_body=body)
    if exchange.status is not None and 400 <= exchange.status < 500:
        skip_if_refused(exchange, "echo")
    choices = ok_json(exchange).get("choices")
    expect(isinstance(choices, list) and choices, f"choices is {js(choices)}")
    for position, choice in enumerate(choices):  # type: ignore[arg-type]  # expect() above checked it
        text = choice.get("text") if isinstance(choice, dict) else None
        if not isinstance(text, str) or not text.startswith(AWKWARD):
            raise ContractViolation(f"choices[{position}].text {js(str(text)[:80])} does not start with the prompt "
                                    f"{js(AWKWARD)} as sent", exchange=exchange)
