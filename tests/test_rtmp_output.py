"""The rtmp library against a real nginx-rtmp server, checked with ffprobe."""

from __future__ import annotations

import time

import pytest

from rtmp import RtmpFanout, SinkState, file_destination, open_sink, rtmp_destination
from rtmp.relay import RtmpRelay
from tests.support.media import ffprobe
from tests.support.nginx import NginxRtmp, free_port
from tests.support.streams import encode_tick, push_frames

pytestmark = pytest.mark.slow


def test_stream_arrives_at_nginx_as_h264_and_aac(nginx: NginxRtmp) -> None:
    sink = open_sink(rtmp_destination(nginx.url(), "plain"), connect_timeout_s=5)
    push_frames([sink], frames=90)
    assert sink.state is SinkState.CLOSED and sink.error is None
    probe = ffprobe(nginx.recording("plain"))
    assert probe.codecs == {"video": "h264", "audio": "aac"}
    assert (probe.width, probe.height) == (320, 180)
    assert probe.video_packets == 90
    assert probe.fps == pytest.approx(30, rel=0.02)
    assert probe.audio_sample_rate == 44100


def test_rtmps_through_tls_arrives(nginx: NginxRtmp) -> None:
    sink = open_sink(rtmp_destination(nginx.rtmps_url(), "overtls"), connect_timeout_s=5)
    push_frames([sink], frames=30)
    assert sink.error is None
    assert ffprobe(nginx.recording("overtls")).video_packets == 30


def test_one_encode_goes_to_two_servers_and_a_file(nginx: NginxRtmp, tmp_path) -> None:
    sinks = [
        open_sink(rtmp_destination(nginx.url(), "fan-a")),
        open_sink(rtmp_destination(nginx.rtmps_url(), "fan-b")),
        open_sink(file_destination(tmp_path / "fan.flv")),
    ]
    push_frames(sinks, frames=60)
    probes = [ffprobe(nginx.recording("fan-a")), ffprobe(nginx.recording("fan-b"))]
    probes.append(ffprobe(tmp_path / "fan.flv"))
    assert [p.video_packets for p in probes] == [60, 60, 60]
    assert all(p.codecs == {"video": "h264", "audio": "aac"} for p in probes)


def test_a_refused_destination_fails_fast_and_does_not_stop_the_others(nginx: NginxRtmp) -> None:
    refused = open_sink(rtmp_destination(f"rtmp://127.0.0.1:{free_port()}/live", "x"))
    good = open_sink(rtmp_destination(nginx.url(), "beside-refused"))
    started = time.monotonic()
    push_frames([refused, good], frames=60)
    assert refused.state is SinkState.FAILED
    assert "refused" in (refused.error or "")
    assert time.monotonic() - started < 10
    assert ffprobe(nginx.recording("beside-refused")).video_packets == 60


def test_a_server_that_never_answers_fails_within_the_connect_timeout(silent_listener: int) -> None:
    relay = RtmpRelay(rtmp_destination(f"rtmp://127.0.0.1:{silent_listener}/live", "k"), 1.5)
    fanout = RtmpFanout()
    fanout.add(relay)
    started = time.monotonic()
    assert relay.wait_ready(10) is False
    assert 1.4 < time.monotonic() - started < 4
    assert "did not accept the stream within 2 s" in (relay.error or "")
    fanout.close(timeout=5)
    assert relay._process is not None and relay._process.poll() is not None  # no orphan child


def test_a_late_destination_starts_at_a_keyframe_and_decodes(nginx: NginxRtmp, tmp_path) -> None:
    from rtmp import EncoderSettings, StreamEncoder

    fanout = RtmpFanout()
    fanout.add(open_sink(file_destination(tmp_path / "early.flv")))
    encoder = StreamEncoder(EncoderSettings.for_output(320, 180, 30), fanout.write)
    for i in range(45):
        encode_tick(encoder, i, 30)
    fanout.add(open_sink(rtmp_destination(nginx.url(), "late")))
    for i in range(45, 150):
        encode_tick(encoder, i, 30)
    encoder.close()
    fanout.close()
    late = ffprobe(nginx.recording("late"))
    assert late.codecs == {"video": "h264", "audio": "aac"}
    assert late.video_packets == 90  # from the keyframe at frame 60 on
    assert ffprobe(tmp_path / "early.flv").video_packets == 150
