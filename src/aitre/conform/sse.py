"""An incremental server-sent-events reader that records framing problems instead of guessing past them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

DONE = "[DONE]"


@dataclass
class SseEvent:
    """One event: its `data` lines joined by newlines, and the other fields as sent."""

    data: str
    event: str | None = None
    id: str | None = None
    # Lines of the event that are neither a known field nor a comment (a framing error to report).
    stray_lines: list[str] = field(default_factory=list)


class SseParser:
    """Feed bytes in any chunking; complete events come out of `feed` as they end (blank line)."""

    def __init__(self) -> None:
        self._buffer = ""
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._stray: list[str] = []
        self._pending_cr = False

    def feed(self, chunk: bytes) -> list[SseEvent]:
        text = chunk.decode("utf-8", errors="replace")
        if self._pending_cr and text.startswith("\n"):
            text = text[1:]
        self._pending_cr = text.endswith("\r")
        self._buffer += text
        events: list[SseEvent] = []
        lines = self._buffer.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self._buffer = lines.pop()
        for line in lines:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def close(self) -> tuple[SseEvent | None, str]:
        """The event cut off by the end of the stream, if any, and the unterminated text left over."""
        rest = self._buffer
        if rest:
            self._line(rest)
        pending = None
        if self._data or self._stray or self._event is not None:
            pending = self._emit()
        return pending, rest

    def _line(self, line: str) -> SseEvent | None:
        if line == "":
            if self._data or self._stray or self._event is not None or self._id is not None:
                return self._emit()
            return None
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        value = value.removeprefix(" ")
        if not sep:
            self._stray.append(line)
        elif name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            self._id = value
        elif name != "retry":
            self._stray.append(line)
        return None

    def _emit(self) -> SseEvent:
        event = SseEvent(data="\n".join(self._data), event=self._event, id=self._id, stray_lines=self._stray)
        self._data, self._event, self._id, self._stray = [], None, None, []
        return event


def error_event(data: str) -> str | None:
    """The message of an event whose data is an error object (`{"error": {...}}`), else None.

    Some servers report a failure inside a stream already answered 200; a client then meets an error
    where it expected a chunk, and the report should say so rather than judge it as a malformed chunk.
    """
    try:
        parsed = json.loads(data)
    except ValueError:
        return None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if error is None or "choices" in parsed:
        return None
    message = error.get("message") if isinstance(error, dict) else error
    return str(message)[:200]


def stream_error(body: bytes) -> str | None:
    """The message of the first error event in a whole event-stream body, else None."""
    parser = SseParser()
    for event in parser.feed(body + b"\n\n"):
        found = error_event(event.data)
        if found is not None:
            return found
    return None
