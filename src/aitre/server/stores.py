"""A small insertion-ordered store with caps on entries and bytes: the oldest entry is evicted first."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


def _no_size(value: object) -> int:
    return 0


class BoundedStore(Generic[T]):
    """At most `capacity` entries and, when `max_bytes` is given, at most that many bytes as `size` counts
    them; adding past either cap drops the oldest entries. Safe across threads.

    The newest entry is always kept, even alone past `max_bytes`: the link just handed out for it must
    work. Callers keep that case out of reach (`ServerSettings` makes the picture budget at least one body).
    """

    def __init__(self, capacity: int, max_bytes: int | None = None, size: Callable[[T], int] = _no_size) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.max_bytes = max_bytes
        self._size = size
        self._items: OrderedDict[str, T] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, key: str, value: T) -> None:
        with self._lock:
            replaced = self._items.pop(key, None)
            if replaced is not None:
                self._bytes -= self._size(replaced)
            self._items[key] = value
            self._bytes += self._size(value)
            while len(self._items) > 1 and (len(self._items) > self.capacity or self._over_budget()):
                _, evicted = self._items.popitem(last=False)
                self._bytes -= self._size(evicted)

    def _over_budget(self) -> bool:
        return self.max_bytes is not None and self._bytes > self.max_bytes

    @property
    def bytes(self) -> int:
        """What the kept entries weigh, as `size` counts them."""
        with self._lock:
            return self._bytes

    def get(self, key: str) -> T | None:
        with self._lock:
            return self._items.get(key)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items


@dataclass(frozen=True)
class StoredImage:
    """A picture served by GET /files/images/{id}."""

    data: bytes
    media_type: str
