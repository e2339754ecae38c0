"""Reconnect policy of the fan-out, with relays whose connection the test controls."""

from __future__ import annotations

from typing import ClassVar

import pytest

import rtmp.fanout
from rtmp import RtmpFanout, SinkState, rtmp_destination
from rtmp.relay import RtmpRelay


class ScriptedRelay(RtmpRelay):
    """An RtmpRelay without a process: the test decides when it is live or dropped."""

    made: ClassVar[list[ScriptedRelay]] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sent = 0
        ScriptedRelay.made.append(self)

    def start(self) -> None:
        self.state, self.was_live = SinkState.LIVE, True

    def send(self, data: bytes) -> None:
        self.sent += len(data)

    def close(self, timeout: float = 5.0) -> None:
        if self.state is not SinkState.FAILED:
            self.state = SinkState.CLOSED

    def drop(self) -> None:
        self.state, self.error = SinkState.FAILED, "the server closed the connection"


@pytest.fixture
def fanout(monkeypatch: pytest.MonkeyPatch) -> tuple[RtmpFanout, list[float]]:
    ScriptedRelay.made = []
    monkeypatch.setattr(rtmp.fanout, "open_sink", lambda d, t, resumed=False: ScriptedRelay(d, t))
    now = [0.0]
    out = RtmpFanout(retry_delays_s=(1.0, 2.0), clock=lambda: now[0])
    out.add(rtmp_destination("rtmp://example.com/app", "key"))
    return out, now


def tick(fanout: RtmpFanout) -> None:
    fanout.write(b"")  # no bytes, but the fan-out looks at its destinations as on every write


def test_nothing_added_is_not_all_failed() -> None:
    assert RtmpFanout().all_failed() is False


def test_a_drop_is_retried_after_the_delay(fanout) -> None:
    out, now = fanout
    ScriptedRelay.made[0].drop()
    tick(out)
    assert out.statuses()[0].state == "reconnecting" and not out.all_failed()
    now[0] = 0.9
    tick(out)
    assert len(ScriptedRelay.made) == 1
    now[0] = 1.0
    tick(out)
    assert len(ScriptedRelay.made) == 2
    assert out.statuses()[0].state == "live" and out.statuses()[0].reconnects == 1


def test_a_server_that_keeps_dropping_runs_out_of_retries(fanout) -> None:
    out, now = fanout
    for at in (0.0, 3.0, 6.0):  # live for moments only: the budget is not refilled
        now[0] = at
        ScriptedRelay.made[-1].drop()
        tick(out)
        now[0] = at + 2.5  # past either retry delay
        tick(out)
    assert len(ScriptedRelay.made) == 3  # the first relay and two retries
    assert out.statuses()[0].state == "failed"
    assert out.all_failed()


def test_a_connection_that_stays_up_earns_its_retries_back(fanout) -> None:
    out, now = fanout
    for at in (0.0, 100.0, 200.0):
        now[0] = at
        tick(out)  # live: the stable time starts
        now[0] = at + rtmp.fanout.STABLE_S
        tick(out)
        ScriptedRelay.made[-1].drop()
        tick(out)
        now[0] = at + rtmp.fanout.STABLE_S + 1.0
        tick(out)
    assert len(ScriptedRelay.made) == 4
    assert not out.all_failed()
