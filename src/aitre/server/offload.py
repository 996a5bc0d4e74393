"""CPU-heavy request work on a worker thread, so that one big request does not stall every other client.

Handlers run on the event loop; a few requests within the limits still cost tenths of a second to a second
of pure Python (a 25 MB body to parse and validate, 2048 embeddings of 3072 components, ten 2048x2048
pictures). Those go to anyio's worker threads. The GIL is shared, but the loop gets it back every few
milliseconds, so small requests keep being answered meanwhile. Small requests stay on the loop: for them
the thread hop would cost more than the work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, TypeVarTuple

import anyio.to_thread

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

# From this size up a body is parsed and validated off the loop (below it that work takes a few ms at most).
OFFLOAD_BODY_BYTES = 256 * 1024


async def off_loop(func: Callable[[*Ts], T], *args: *Ts) -> T:
    """`func(*args)` on a worker thread, awaited without holding up the event loop."""
    return await anyio.to_thread.run_sync(func, *args)
