"""Keeping the API key out of everything the tool prints or writes.

The key is removed once, where an exchange is recorded or a schemathesis failure is converted, so no
reporter ever sees it. Curl commands reference `$OPENAI_API_KEY` instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CURL_PLACEHOLDER = "$OPENAI_API_KEY"
TEXT_PLACEHOLDER = "[REDACTED]"
# Relays strip `sk-` and compare the rest, so the bare tail is as secret as the whole key.
_STRIPPED_PREFIXES = ("sk-",)
_MIN_SECRET_LENGTH = 8
# A run of this many characters from the start or the end of a key is a partial key (what a cut leaves).
_MIN_PARTIAL = 12


class Redactor:
    """Replaces every known form of one secret key in text or bytes."""

    def __init__(self, key: str | None) -> None:
        forms: list[str] = []
        if key:
            forms.append(key)
            for prefix in _STRIPPED_PREFIXES:
                tail = key.removeprefix(prefix)
                if tail != key and len(tail) >= _MIN_SECRET_LENGTH:
                    forms.append(tail)
        # Longest first, so the whole key is replaced before its tail is looked for.
        self._forms = sorted(set(forms), key=len, reverse=True)

    def __repr__(self) -> str:
        return f"Redactor(forms={len(self._forms)})"

    @property
    def active(self) -> bool:
        return bool(self._forms)

    def text(self, value: str, placeholder: str = TEXT_PLACEHOLDER) -> str:
        """`value` with every form of the key replaced by `placeholder`."""
        for form in self._forms:
            value = value.replace(form, placeholder)
        for form in self._forms:
            value = _partial(value, form, placeholder)
        return value

    def curl(self, value: str) -> str:
        """A shell command with the key turned into a reference to the environment variable."""
        return self.text(value, CURL_PLACEHOLDER)

    def found_in(self, data: bytes | str) -> bool:
        """Whether any form of the key occurs in `data`."""
        if isinstance(data, str):
            return any(form in data for form in self._forms)
        return any(form.encode() in data for form in self._forms)


def _partial(value: str, form: str, placeholder: str) -> str:
    """`value` with any run of at least `_MIN_PARTIAL` leading or trailing characters of `form` replaced.

    Text is redacted before it is cut, but a message built from a cut (a check quoting the first 80
    characters of a body) still holds the start of an echoed key; this is the net under that.
    """
    if len(form) <= _MIN_PARTIAL:
        return value
    head, tail = form[:_MIN_PARTIAL], form[-_MIN_PARTIAL:]
    out: list[str] = []
    position = 0
    while position < len(value):
        start = value.find(head, position)
        if start < 0:
            break
        end = start + _MIN_PARTIAL
        while end < len(value) and end - start < len(form) and value[end] == form[end - start]:
            end += 1
        out += [value[position:start], placeholder]
        position = end
    value = "".join(out) + value[position:]
    at = value.find(tail)
    while at >= 0:
        begin = at
        offset = len(form) - _MIN_PARTIAL
        while begin > 0 and offset > 0 and value[begin - 1] == form[offset - 1]:
            begin, offset = begin - 1, offset - 1
        value = value[:begin] + placeholder + value[at + _MIN_PARTIAL:]
        at = value.find(tail, begin + len(placeholder))
    return value


@contextmanager
def redacting_logs(redactor: Redactor) -> Iterator[None]:
    """While active, every log record of the process is redacted when it is made.

    The HTTP libraries log at DEBUG what their parsers choke on (an illegal header line that carries the
    key, say); a record factory sees each record once, whichever logger or handler the user configured.
    """
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if redactor.active:
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # a malformed record stays as logging would show it
                return record
            record.msg, record.args = redactor.text(message), ()
            if record.exc_info:
                # Formatters reuse `exc_text` when it is set, so the traceback is shown redacted.
                record.exc_text = redactor.text(logging.Formatter().formatException(record.exc_info))
            if record.stack_info:
                record.stack_info = redactor.text(record.stack_info)
        return record

    logging.setLogRecordFactory(factory)
    try:
        yield
    finally:
        logging.setLogRecordFactory(previous)
