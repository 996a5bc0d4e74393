"""What a check sees: the client, the chosen models, the limits, and results shared between checks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from aitre.conform.client import ConformClient, Exchange
from aitre.conform.failures import Blocked, Failure, Skipped
from aitre.conform.settings import ConformSettings, Limits

T = TypeVar("T")


class CheckContext:
    """Shared by all checks of one run; thread-safe."""

    def __init__(self, settings: ConformSettings, client: ConformClient, models: Mapping[str, str | None]) -> None:
        self.settings = settings
        self.client = client
        self.models = dict(models)
        # Every model id `/v1/models` listed (empty when it could not be read): where a feature of one
        # model family (streamed pictures, SSE speech) finds a model when the role's choice lacks it.
        self.listed: frozenset[str] = frozenset()
        # Listed ids a small request refused as unknown during model choice, with that exchange.
        self.refused_models: list[tuple[str, Exchange]] = []
        self._shared: dict[str, tuple[bool, Any]] = {}
        self._owners: dict[str, str | None] = {}  # key -> the check whose compute() failed
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        # Per worker thread: the last exchange its check sent or read (see `last_exchange`).
        self._local = threading.local()
        # Exchanges seen by other clients (schemathesis), for the final checks: (operation, status, body).
        self.foreign_responses: list[tuple[str, int, str, bytes]] = []

    def __repr__(self) -> str:
        return f"CheckContext({self.client.base_url!r})"

    @property
    def limits(self) -> Limits:
        return self.settings.limits

    def model(self, role: str) -> str:
        """The model to use for `role`, or `Skipped` when none is known."""
        name = self.models.get(role)
        if not name:
            raise Skipped(f"the server lists no {role} model; pass --model {role}=NAME")
        return name

    def send(self, operation: str, **kwargs: Any) -> Exchange:
        """One request through the run's client (see `ConformClient.request`)."""
        exchange = self.client.request(operation, **kwargs)
        self._local.last = exchange
        return exchange

    def last_exchange(self) -> Exchange | None:
        """The exchange this thread's check saw last: the evidence for a failure raised without one."""
        exchange: Exchange | None = getattr(self._local, "last", None)
        return exchange

    def judging(self, exchange: Exchange) -> None:
        """Make `exchange` (often one another check sent) the evidence of this thread's findings from now on."""
        self._local.last = exchange

    def begin_check(self, name: str) -> None:
        """Name the check this thread runs now (for "blocked by" and the last exchange)."""
        self._local.check = name
        self._local.last = None

    def shared(self, key: str, compute: Callable[[], T]) -> T:
        """`compute()` once per run for `key`; later callers get the same value or the same exception.

        A failure met while computing is the computing check's finding; every other check that needed
        the value is "blocked by" that check, so one defect is reported once.
        """
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        current = getattr(self._local, "check", None)
        with lock:
            if key not in self._shared:
                try:
                    self._shared[key] = (True, compute())
                except Exception as exc:  # replayed to every caller below
                    self._shared[key] = (False, exc)
                    self._owners[key] = current
            ok, value = self._shared[key]
        if not ok:
            owner = self._owners.get(key)
            if isinstance(value, Failure) and owner and current and owner != current:
                raise Blocked(owner, value.message)
            raise value
        return value  # type: ignore[no-any-return]  # stored by compute(), so a T

    def send_shared(self, key: str, operation: str, **kwargs: Any) -> Exchange:
        """A request sent once per run and shared by every check that asks for the same `key`."""
        exchange = self.shared(key, lambda: self.send(operation, **kwargs))
        self._local.last = exchange  # also when another check sent it: this check judges it now
        return exchange
