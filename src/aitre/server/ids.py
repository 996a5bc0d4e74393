"""Opaque ids from the operating system's CSPRNG, sliced from a buffered block.

Some ids are capabilities: a picture link `/files/images/<name>` needs no key, so whoever can guess a name
reads another client's picture. A seeded Mersenne Twister does not do (its whole state comes back from 624
outputs, i.e. 208 chat ids); `os.urandom` does. Reading it a block at a time keeps the cost of an id to a
slice and a hex conversion instead of one system call each, which the throughput of the server notices.
"""

from __future__ import annotations

import os
import threading

# 4 KiB is 341 ids of 96 bits per system call.
BLOCK_BYTES = 4096
ID_BYTES = 12


class RandomPool:
    """Bytes from `os.urandom`, read a block at a time and never handed out twice. Safe across threads."""

    def __init__(self, block_bytes: int = BLOCK_BYTES) -> None:
        self._block_bytes = block_bytes
        self._buffer = b""
        self._offset = 0
        self._lock = threading.Lock()

    def take(self, count: int) -> bytes:
        with self._lock:
            end = self._offset + count
            if end > len(self._buffer):
                self._buffer = os.urandom(max(self._block_bytes, count))
                self._offset, end = 0, count
            chunk = self._buffer[self._offset : end]
            self._offset = end
            return chunk

    def discard(self) -> None:
        """Forget the buffered bytes (a forked child must not hand out its parent's ids)."""
        with self._lock:
            self._buffer, self._offset = b"", 0


_POOL = RandomPool()
os.register_at_fork(after_in_child=_POOL.discard)


def new_id(prefix: str) -> str:
    """A fresh unguessable id such as `chatcmpl-9f3c...` (96 random bits as 24 hex digits)."""
    return prefix + _POOL.take(ID_BYTES).hex()
