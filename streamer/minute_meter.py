"""Stream minutes while live: charge the control plane tick by tick, end the stream at zero.

Ticks are post-paid: each charges the whole seconds streamed since the last one, so a worker
that dies owes nothing for time it did not stream (its stream ends by lease, see
``control.streams``). The last tick is timed to land exactly when the minutes run out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

from control.db import Database
from control.minutes import debit
from control.streams import end_stream

log = logging.getLogger(__name__)
WARNINGS_S = (60, 300)  # the page warns at 5 and at 1 minute left


class MinuteMeter:
    """Debits one live stream's minutes; ``exhausted`` is set when none are left."""

    def __init__(
        self,
        db: Database,
        stream_id: str,
        remaining_s: int,
        tick_s: float,
        clock: Callable[[], datetime],
    ) -> None:
        self.db, self.stream_id, self.tick_s, self.clock = db, stream_id, tick_s, clock
        self.remaining_s = remaining_s  # as of the last debit
        self.end_reason: str | None = None  # set when the control plane ended the stream
        self.plan_id: str | None = None  # the plan in force at the last charge
        self.on_plan_change: Callable[[str], None] | None = None
        self.exhausted = asyncio.Event()
        self._started = time.monotonic()
        self._charged = 0
        self._tick = 0
        self._lock = asyncio.Lock()

    def left_s(self) -> float:
        """Seconds of streaming left now (the last debit, less what was streamed since)."""
        uncharged = time.monotonic() - self._started - self._charged
        return max(0.0, self.remaining_s - uncharged)

    def warning(self) -> str | None:
        """What the page should say about the minutes, if anything."""
        left = self.left_s()
        if left <= WARNINGS_S[0]:
            return "less than 1 minute of streaming left: the stream ends when it runs out"
        if left <= WARNINGS_S[1]:
            return "less than 5 minutes of streaming left this week"
        return None

    async def run(self) -> None:
        """Charge every ``tick_s`` until the minutes run out or the control plane ends the
        stream (an admin suspended the account: ``end_reason``); then set ``exhausted``."""
        while self.remaining_s > 0:
            await asyncio.sleep(min(self.tick_s, self.left_s()))
            try:
                await self.charge()
            except Exception:  # the database may be down for a moment: retry a tick later
                log.exception("charging stream %s failed; retrying", self.stream_id)
                await asyncio.sleep(self.tick_s)
        self.exhausted.set()

    async def charge(self, final: bool = False) -> None:
        """Charge the whole seconds streamed since the last charge (the last charge rounds
        the streamed time to the nearest second, so no stream loses or gains more than half)."""
        async with self._lock:
            elapsed = time.monotonic() - self._started
            streamed = round(elapsed) if final else int(elapsed)
            seconds = streamed - self._charged
            if seconds <= 0 and self.remaining_s > 0:
                return
            result = await asyncio.to_thread(
                debit, self.db, self.stream_id, self._tick, max(0, seconds), self.clock()
            )
            self._tick += 1
            self._charged += seconds  # what was asked: time streamed, charged or not
            if result.stream_ended:
                self.remaining_s, self.end_reason = 0, result.end_reason or "ended"
            else:
                self.remaining_s = result.remaining_s
            changed = result.plan_id != self.plan_id
            self.plan_id = result.plan_id
            if changed and self.on_plan_change is not None:
                self.on_plan_change(result.plan_id)

    async def finish(self, reason: str) -> None:
        """Charge what is left to charge and record the end of the stream."""
        await self.charge(final=True)
        await asyncio.to_thread(end_stream, self.db, self.stream_id, reason, self.clock())
