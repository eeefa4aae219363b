"""A stop request that any thread (or a signal handler) may make, and a scan hears at once.

``threading.Event`` alone would make the scan poll it; here each running scan subscribes a
callback that is handed to its own event loop the moment :meth:`StopSignal.set` is called.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable


class StopSignal:
    """Set once to stop; ``subscribe`` returns a function that unsubscribes."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def is_set(self) -> bool:
        return self._event.is_set()

    def set(self) -> None:
        with self._lock:
            self._event.set()
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)

    def subscribe(
        self, loop: asyncio.AbstractEventLoop, callback: Callable[[], None]
    ) -> Callable[[], None]:
        """Run ``callback`` on ``loop`` when stop is set (at once if it already is)."""

        def hand_over() -> None:
            with contextlib.suppress(RuntimeError):  # that loop has already closed
                loop.call_soon_threadsafe(callback)

        with self._lock:
            already = self._event.is_set()
            if not already:
                self._callbacks.append(hand_over)
        if already:
            hand_over()

        def unsubscribe() -> None:
            with self._lock:
                if hand_over in self._callbacks:
                    self._callbacks.remove(hand_over)

        return unsubscribe
