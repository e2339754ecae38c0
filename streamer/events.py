"""Pushing what happens to a user's pages: one Server-Sent Events stream per open page.

The page opens ``GET /api/v1/events`` once (``EventSource``: every browser has it, it
reconnects by itself, and cookies sign it in). Anything in the process may ``publish`` to a
user, from any thread: minute warnings, a stream the studio ended, an upload's progress, a new
active avatar. Events are not stored: a page that was not listening asks the API for the
state when it comes back.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger(__name__)
KEEPALIVE_S = 15.0  # proxies close quiet connections; a comment line keeps this one open
QUEUE_LIMIT = 100  # a page that stopped reading loses its oldest events, not our memory


class EventHub:
    """Per-user fan-out of events to the pages listening. Bound to one event loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listeners: dict[int, set[asyncio.Queue[dict[str, Any] | None]]] = {}
        self._closed = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver on ``loop`` (the server's)."""
        self._loop = loop

    def publish(self, user_id: int, event: dict[str, Any]) -> None:
        """Send ``event`` (with a ``type``) to every page of ``user_id``; any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(user_id, event)
        else:
            loop.call_soon_threadsafe(self._deliver, user_id, event)

    def close(self) -> None:
        """End every stream (the server is stopping: it must not wait for open pages); any
        thread. Pages reconnect by themselves to whatever serves next."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._close)

    def _close(self) -> None:
        self._closed = True
        for queues in self._listeners.values():
            for queue in queues:
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(None)

    def listeners(self, user_id: int) -> int:
        """How many pages of ``user_id`` listen now."""
        return len(self._listeners.get(user_id, ()))

    async def stream(self, user_id: int) -> AsyncIterator[str]:
        """The text/event-stream body for one page, until it goes away."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE_LIMIT)
        self._listeners.setdefault(user_id, set()).add(queue)
        try:
            yield ": connected\n\n"
            while not self._closed:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if event is None:
                    return
                yield f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"
        finally:
            listeners = self._listeners.get(user_id, set())
            listeners.discard(queue)
            if not listeners:
                self._listeners.pop(user_id, None)

    def _deliver(self, user_id: int, event: dict[str, Any]) -> None:
        if self._closed:
            return
        for queue in self._listeners.get(user_id, ()):
            if queue.full():
                queue.get_nowait()  # the oldest goes: the newest state matters most
            queue.put_nowait(event)
