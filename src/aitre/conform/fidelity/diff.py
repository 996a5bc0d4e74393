"""Comparing one relay answer with the upstream's answer to the same request, field by field.

Each rule below is a function whose docstring states the rule (paragraph 1) and its latitude (the rest),
as the checks do. Paths use the coverage notation: `choices[0].message.content`, `usage.total_tokens`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from aitre.conform.failures import Severity
from aitre.conform.fidelity.model import Difference

# Keys whose values a relay may set itself: fresh per answer even upstream (ids, timestamps) or naming the
# upstream's build (system_fingerprint).
OWN_VALUES = frozenset({"id", "created", "system_fingerprint"})
# Dropped without harm: optional fields the SDKs read as None when absent.
OPTIONAL_KEYS = frozenset({"system_fingerprint", "service_tier"})
# Floats survive a decode/encode round trip in a relay only up to this relative error (float32 relays).
FLOAT_TOLERANCE = 1e-6
MAX_SHOWN = 300


def shown(value: Any) -> str:
    """A value as short JSON text for the report; `(absent)` for a missing field."""
    if value is _ABSENT:
        return "(absent)"
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + f"... ({len(text)} characters)"


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT = _Absent()
Emit = Callable[[str, str, Any, Any, Severity, str], None]


def field_dropped(path: str, key: str, upstream: Any) -> tuple[Severity, str]:
    """A field the upstream sent is missing in the relay's answer: a client reading it breaks (violation).

    Latitude: a field whose upstream value is null, or an optional field the SDKs read as None when absent
    (`system_fingerprint`, `service_tier`), is a warning: the client sees the same None either way.
    """
    if upstream is None or key in OPTIONAL_KEYS:
        return Severity.WARNING, "null or optional upstream; the SDK reads None either way"
    return Severity.VIOLATION, "dropped by the relay"


def value_changed(path: str, key: str, upstream: Any, relay: Any,
                  requested_model: str | None) -> tuple[Severity, str] | None:
    """A value the upstream sent arrives changed: content, finish_reason, usage numbers, indexes (violation).

    Latitude: ids, `created` and `system_fingerprint` are the relay's to set (no finding); `model` may be
    the alias the client asked for (no finding) or another name (warning: clients do not branch on it);
    numbers within a relative 1e-6 (a float32 round trip) are the same.
    """
    if key in OWN_VALUES:
        return None
    if key == "model":
        if relay == requested_model:
            return None
        return Severity.WARNING, "model name rewritten (not the name the client asked for)"
    if _number(upstream) and _number(relay) and math.isclose(upstream, relay, rel_tol=FLOAT_TOLERANCE, abs_tol=1e-12):
        return None
    if path.startswith("usage.") or ".usage." in path:
        return Severity.VIOLATION, "usage rewritten: the client's token accounting no longer matches the upstream"
    return Severity.VIOLATION, "changed by the relay"


def _number(value: Any) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


def field_added(path: str, key: str, relay: Any) -> tuple[Severity, str]:
    """A field the upstream did not send appears in the relay's answer.

    Latitude: the format lets servers add fields and clients ignore unknown ones, so this is always a
    warning, reported so the operator knows what the relay adds.
    """
    return Severity.WARNING, "added by the relay"


def compare_json(upstream: Any, relay: Any, emit: Emit, *, requested_model: str | None, path: str = "") -> None:
    """Walk both documents and `emit(path, kind, upstream, relay, severity, note)` for each difference."""
    if isinstance(upstream, dict) and isinstance(relay, dict):
        for key, value in upstream.items():
            where = f"{path}.{key}" if path else key
            if key not in relay:
                severity, note = field_dropped(where, key, value)
                emit(where, "dropped", value, _ABSENT, severity, note)
            else:
                compare_json(value, relay[key], emit, requested_model=requested_model, path=where)
        for key, value in relay.items():
            if key not in upstream:
                where = f"{path}.{key}" if path else key
                severity, note = field_added(where, key, value)
                emit(where, "added", _ABSENT, value, severity, note)
        return
    if isinstance(upstream, list) and isinstance(relay, list):
        for index, (up_item, relay_item) in enumerate(zip(upstream, relay, strict=False)):
            compare_json(up_item, relay_item, emit, requested_model=requested_model, path=f"{path}[{index}]")
        if len(upstream) != len(relay):
            emit(f"{path}.length", "changed", len(upstream), len(relay), Severity.VIOLATION,
                 "a different number of items")
        return
    if upstream == relay and type(upstream) is type(relay):
        return
    key = path.rsplit(".", 1)[-1].split("[", 1)[0]
    verdict = value_changed(path, key, upstream, relay, requested_model)
    if verdict is not None:
        emit(path, "changed", upstream, relay, *verdict)


class Collector:
    """Gathers the differences of one exchange, capped so one wholesale change does not flood the report."""

    def __init__(self, exchange: str, operation: str, redact: Callable[[str], str], limit: int = 40) -> None:
        self.exchange, self.operation, self.redact, self.limit = exchange, operation, redact, limit
        self.found: list[Difference] = []
        self.more = 0

    def __call__(self, path: str, kind: str, upstream: Any, relay: Any, severity: Severity, note: str) -> None:
        if len(self.found) >= self.limit:
            self.more += 1
            return
        self.found.append(Difference(self.exchange, self.operation, path, kind, self.redact(shown(upstream)),
                                     self.redact(shown(relay)), severity, note))


ABSENT = _ABSENT
