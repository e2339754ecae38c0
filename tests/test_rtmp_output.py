"""The rtmp library against a real nginx-rtmp server, checked with ffprobe."""

from __future__ import annotations

import time

import pytest

from rtmp import (
    EncoderSettings,
    RtmpFanout,
    SinkState,
    StreamEncoder,
    file_destination,
    rtmp_destination,
)
from rtmp.relay import RtmpRelay
from tests.support.media import ffprobe
from tests.support.nginx import NginxRtmp, free_port, start_nginx
from tests.support.streams import encode_tick, push_frames

pytestmark = pytest.mark.slow


def test_stream_arrives_at_nginx_as_h264_and_aac(nginx: NginxRtmp) -> None:
    [sink] = push_frames([rtmp_destination(nginx.url(), "plain")], frames=90)
    assert sink.state is SinkState.CLOSED and sink.error is None
    probe = ffprobe(nginx.recording("plain"))
    assert probe.codecs == {"video": "h264", "audio": "aac"}
    assert (probe.width, probe.height) == (320, 180)
    assert probe.video_packets == 90
    assert probe.fps == pytest.approx(30, rel=0.02)
    assert probe.audio_sample_rate == 44100


def test_rtmps_through_tls_arrives(nginx: NginxRtmp) -> None:
    [sink] = push_frames([rtmp_destination(nginx.rtmps_url(), "overtls")], frames=30)
    assert sink.error is None
    assert ffprobe(nginx.recording("overtls")).video_packets == 30


def test_one_encode_goes_to_two_servers_and_a_file(nginx: NginxRtmp, tmp_path) -> None:
    destinations = [
        rtmp_destination(nginx.url(), "fan-a"),
        rtmp_destination(nginx.rtmps_url(), "fan-b"),
        file_destination(tmp_path / "fan.flv"),
    ]
    push_frames(destinations, frames=60)
    probes = [ffprobe(nginx.recording("fan-a")), ffprobe(nginx.recording("fan-b"))]
    probes.append(ffprobe(tmp_path / "fan.flv"))
    assert [p.video_packets for p in probes] == [60, 60, 60]
    assert all(p.codecs == {"video": "h264", "audio": "aac"} for p in probes)


def test_a_refused_destination_fails_fast_and_does_not_stop_the_others(nginx: NginxRtmp) -> None:
    refused_url = f"rtmp://127.0.0.1:{free_port()}/live"
    started = time.monotonic()
    refused, _ = push_frames(
        [rtmp_destination(refused_url, "x"), rtmp_destination(nginx.url(), "beside-refused")],
        frames=60,
    )
    assert refused.state is SinkState.FAILED
    assert "refused" in (refused.error or "")
    assert time.monotonic() - started < 10
    assert ffprobe(nginx.recording("beside-refused")).video_packets == 60


def test_a_server_that_never_answers_fails_within_the_connect_timeout(silent_listener: int) -> None:
    fanout = RtmpFanout(connect_timeout_s=1.5)
    relay = fanout.add(rtmp_destination(f"rtmp://127.0.0.1:{silent_listener}/live", "k"))
    assert isinstance(relay, RtmpRelay)
    started = time.monotonic()
    assert relay.wait_ready(10) is False
    assert 1.4 < time.monotonic() - started < 4
    assert "did not accept the stream within 2 s" in (relay.error or "")
    fanout.close(timeout=5)
    assert relay._process is not None and relay._process.poll() is not None  # no orphan child


def test_a_late_destination_starts_at_a_keyframe_and_decodes(nginx: NginxRtmp, tmp_path) -> None:
    fanout = RtmpFanout()
    fanout.add(file_destination(tmp_path / "early.flv"))
    encoder = StreamEncoder(EncoderSettings.for_output(320, 180, 30), fanout.write)
    for i in range(45):
        encode_tick(encoder, i, 30)
    fanout.add(rtmp_destination(nginx.url(), "late"))
    for i in range(45, 150):
        encode_tick(encoder, i, 30)
    encoder.close()
    fanout.close()
    late = ffprobe(nginx.recording("late"))
    assert late.codecs == {"video": "h264", "audio": "aac"}
    assert late.video_packets == 90  # from the keyframe at frame 60 on
    assert ffprobe(tmp_path / "early.flv").video_packets == 150


def test_a_destination_that_drops_mid_stream_reconnects_at_a_keyframe(tmp_path) -> None:
    """The server goes away and comes back: the stream resumes there, decodable."""
    port = free_port()
    first = start_nginx(tmp_path / "first", port=port)
    now = [0.0]
    fanout = RtmpFanout(connect_timeout_s=5, retry_delays_s=(1.0, 1.0), clock=lambda: now[0])
    relay = fanout.add(rtmp_destination(first.url(), "comeback"))
    encoder = StreamEncoder(EncoderSettings.for_output(320, 180, 30), fanout.write)
    ticks = iter(range(10**6))

    def stream_until(condition, limit: int = 600) -> None:
        for _ in range(limit):
            if condition():
                return
            encode_tick(encoder, next(ticks), 30)
            now[0] += 1 / 30  # the fan-out's clock runs on stream time
            time.sleep(0.01)  # give the relay process time to act between frames
        raise AssertionError(f"condition not reached while streaming: {fanout.statuses()}")

    try:
        stream_until(lambda: relay.state is SinkState.LIVE)
        first.stop()
        stream_until(lambda: relay.state is SinkState.FAILED)
        assert fanout.statuses()[0].state == "reconnecting"
        second = start_nginx(tmp_path / "second", port=port)
        stream_until(lambda: fanout.sinks[0].state is SinkState.LIVE)
        for _ in range(90):  # past the next keyframe, where the new connection starts
            encode_tick(encoder, next(ticks), 30)
        encoder.close()
        fanout.close()
        status = fanout.statuses()[0]
        assert (status.state, status.reconnects) == ("closed", 1)
        probe = ffprobe(second.recording("comeback"))
        assert probe.codecs == {"video": "h264", "audio": "aac"}
        assert probe.video_packets >= 30
    finally:
        first.stop()
        if "second" in locals():
            second.stop()


def test_a_destination_refused_from_the_start_is_not_retried(tmp_path) -> None:
    now = [0.0]
    fanout = RtmpFanout(connect_timeout_s=3, retry_delays_s=(0.1,), clock=lambda: now[0])
    refused = fanout.add(rtmp_destination(f"rtmp://127.0.0.1:{free_port()}/live", "x"))
    encoder = StreamEncoder(EncoderSettings.for_output(320, 180, 30), fanout.write)
    encode_tick(encoder, 0, 30)
    assert refused.wait_ready(5) is False
    now[0] += 10
    for tick in range(1, 5):
        encode_tick(encoder, tick, 30)
    assert fanout.sinks == [refused] and fanout.all_failed()
    encoder.close()
    fanout.close()
