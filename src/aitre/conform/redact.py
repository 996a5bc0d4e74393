"""Keeping the API key out of everything the tool prints or writes.

The key is removed once, where an exchange is recorded or a schemathesis failure is converted, so no
reporter ever sees it. Curl commands reference `$OPENAI_API_KEY` instead.
"""

from __future__ import annotations

CURL_PLACEHOLDER = "$OPENAI_API_KEY"
TEXT_PLACEHOLDER = "[REDACTED]"
# Relays strip `sk-` and compare the rest, so the bare tail is as secret as the whole key.
_STRIPPED_PREFIXES = ("sk-",)
_MIN_SECRET_LENGTH = 8


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
        return value

    def curl(self, value: str) -> str:
        """A shell command with the key turned into a reference to the environment variable."""
        return self.text(value, CURL_PLACEHOLDER)

    def found_in(self, data: bytes | str) -> bool:
        """Whether any form of the key occurs in `data`."""
        if isinstance(data, str):
            return any(form in data for form in self._forms)
        return any(form.encode() in data for form in self._forms)
