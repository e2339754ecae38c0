"""The studio over real HTTP and real WebRTC (aiortc as the page) into a real nginx-rtmp."""

from __future__ import annotations

import asyncio
import logging
import statistics
import sys
import time
from pathlib import Path

import pytest

from config import Settings
from tests.support.media import (
    BeepTrack,
    FlashTrack,
    PictureTrack,
    SilentCamera,
    ToneTrack,
    ffprobe,
    flash_and_beep_onsets,
    moving_person_frames,
)
from tests.support.nginx import NginxRtmp, free_port, start_nginx
from tests.support.studio import (
    child_processes,
    connect_page,
    only_loopback,
    open_sockets,
    running_studio,
    vida_threads,
    wait_until,
)

pytestmark = pytest.mark.slow
SENTINEL_KEY = "sk_live_SENTINEL_9f8e7d"


@pytest.fixture(scope="module")
def person_frames() -> list:
    return moving_person_frames(640, 360, 60)


async def test_camera_goes_live_to_nginx_and_the_preview_plays(
    settings: Settings, nginx: NginxRtmp, person_frames: list
) -> None:
    async with running_studio(settings) as studio:
        page = await connect_page(studio.api, PictureTrack(person_frames), ToneTrack())
        await wait_until(lambda: page.preview_frames > 10, timeout=15)
        started = time.monotonic()
        live = await studio.api.post(
            f"/sessions/{page.session_id}/live",
            json={"kind": "rtmp", "server_url": nginx.url(), "stream_key": "webrtc"},
        )
        assert live.status_code == 200, live.text
        previews_when_live = page.preview_frames

        async def streamed_3s() -> bool:
            stats = (await studio.api.get(f"/sessions/{page.session_id}/stats")).json()
            return stats["live_seconds"] >= 3

        await wait_until(streamed_3s, timeout=15)
        stats = (await studio.api.get(f"/sessions/{page.session_id}/stats")).json()
        stop = await studio.api.post(f"/sessions/{page.session_id}/stop")
        live_time = time.monotonic() - started
        assert stop.status_code == 200
        assert stats["output_fps"] > 20 and stats["bitrate_kbps"] > 100
        assert stats["latency_ms"]["p50"] > 0
        assert stats["destinations"][0]["state"] == "live"
        assert page.preview_frames > previews_when_live
        assert page.preview_size == (640, 360)
        await page.close()

    probe = ffprobe(nginx.recording("webrtc"))
    assert probe.codecs == {"video": "h264", "audio": "aac"}
    assert (probe.width, probe.height) == (640, 360)
    assert probe.fps == pytest.approx(30, rel=0.1)
    assert probe.duration_s == pytest.approx(live_time, abs=1.0)


async def test_record_to_file_writes_the_stream(settings: Settings, person_frames: list) -> None:
    async with running_studio(settings) as studio:
        page = await connect_page(studio.api, PictureTrack(person_frames), ToneTrack())
        started = time.monotonic()
        live = await studio.api.post(f"/sessions/{page.session_id}/live", json={"kind": "record"})
        assert live.status_code == 200, live.text
        path = live.json()["destinations"][0]["name"].removeprefix("file ")
        await wait_until(lambda: time.monotonic() - started > 2.5, timeout=5)
        await studio.api.post(f"/sessions/{page.session_id}/stop")
        live_time = time.monotonic() - started
        await page.close()
    assert path.startswith(str(settings.recordings_dir))
    probe = ffprobe(Path(path))
    assert probe.codecs == {"video": "h264", "audio": "aac"}
    assert probe.duration_s == pytest.approx(live_time, abs=1.0)


async def test_bad_requests_get_clear_errors_and_leave_no_session(settings: Settings) -> None:
    async with running_studio(settings) as studio:
        garbage = await studio.api.post("/sessions", json={"sdp": "hello", "type": "offer"})
        assert garbage.status_code == 400
        assert garbage.json()["error"]["code"] == "invalid_offer"
        broken = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
        unusable = await studio.api.post("/sessions", json={"sdp": broken, "type": "offer"})
        assert unusable.status_code == 400
        assert "could not be used" in unusable.json()["error"]["message"]
        missing = await studio.api.post("/sessions", json={"type": "offer"})
        assert missing.status_code == 422
        assert "sdp" in missing.json()["error"]["message"]
        assert len(studio.registry) == 0
        for method, path in [
            ("post", "/sessions/nope/live"),
            ("post", "/sessions/nope/stop"),
            ("get", "/sessions/nope/stats"),
            ("delete", "/sessions/nope"),
        ]:
            kwargs = {"json": {"kind": "record"}} if path.endswith("live") else {}
            response = await getattr(studio.api, method)(path, **kwargs)
            assert response.status_code == 404, path
            assert response.json()["error"]["code"] == "unknown_session"


async def test_bad_destinations_are_refused_before_anything_starts(
    settings: Settings, person_frames: list
) -> None:
    async with running_studio(settings) as studio:
        page = await connect_page(studio.api, PictureTrack(person_frames))
        url = f"/sessions/{page.session_id}/live"
        for body, code in [
            ({"kind": "rtmp", "server_url": "http://example.com/app", "stream_key": "k"}, 422),
            ({"kind": "rtmp", "server_url": "", "stream_key": "k"}, 422),
            ({"kind": "ftp"}, 422),
        ]:
            response = await studio.api.post(url, json=body)
            assert response.status_code == code, body
            assert response.json()["error"]["message"]
        assert studio.registry.find(page.session_id).pipeline.live is None
        await page.close()


async def test_unreachable_and_silent_servers_fail_within_seconds_and_the_session_recovers(
    settings: Settings, nginx: NginxRtmp, person_frames: list, silent_listener: int
) -> None:
    async with running_studio(settings) as studio:
        page = await connect_page(studio.api, PictureTrack(person_frames), ToneTrack())
        url = f"/sessions/{page.session_id}/live"
        cases = [
            (f"rtmp://127.0.0.1:{free_port()}/live", "refused"),
            (f"rtmp://127.0.0.1:{silent_listener}/live", "did not accept the stream within 3 s"),
        ]
        if only_loopback():  # elsewhere the lookup would leave the machine
            cases.append(("rtmp://no-such-host.invalid/live", "host name could not be found"))
        for server, reason in cases:
            started = time.monotonic()
            body = {"kind": "rtmp", "server_url": server, "stream_key": "k"}
            response = await studio.api.post(url, json=body)
            assert time.monotonic() - started < settings.connect_timeout_s + 3
            assert response.status_code == 502
            assert response.json()["error"]["code"] == "destination_failed"
            assert reason in response.json()["error"]["message"]
        body = {"kind": "rtmp", "server_url": nginx.url(), "stream_key": "after-failures"}
        assert (await studio.api.post(url, json=body)).status_code == 200
        await studio.api.post(f"/sessions/{page.session_id}/stop")
        await page.close()
    assert ffprobe(nginx.recording("after-failures")).video_packets > 0


async def test_a_camera_that_sends_nothing_is_reported(settings: Settings) -> None:
    async with running_studio(settings) as studio:
        page = await connect_page(studio.api, SilentCamera())
        started = time.monotonic()
        response = await studio.api.post(
            f"/sessions/{page.session_id}/live", json={"kind": "record"}
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "camera_silent"
        assert "camera has sent no video" in response.json()["error"]["message"]
        assert time.monotonic() - started < settings.camera_timeout_s + 2
        stats = (await studio.api.get(f"/sessions/{page.session_id}/stats")).json()
        assert any("no video from the camera" in w for w in stats["warnings"])
        await page.close()


async def test_a_failing_session_leaves_a_concurrent_one_streaming(
    settings: Settings, nginx: NginxRtmp, person_frames: list
) -> None:
    async with running_studio(settings) as studio:
        good = await connect_page(studio.api, PictureTrack(person_frames), ToneTrack())
        bad = await connect_page(studio.api, PictureTrack(person_frames), ToneTrack())
        started = time.monotonic()
        body = {"kind": "rtmp", "server_url": nginx.url(), "stream_key": "survivor"}
        assert (await studio.api.post(f"/sessions/{good.session_id}/live", json=body)).is_success
        refused = {"kind": "rtmp", "server_url": f"rtmp://127.0.0.1:{free_port()}/live/k"}
        failed = await studio.api.post(f"/sessions/{bad.session_id}/live", json=refused)
        assert failed.status_code == 502
        assert (await studio.api.delete(f"/sessions/{bad.session_id}")).status_code == 204
        await wait_until(lambda: time.monotonic() - started > 3, timeout=5)
        stats = (await studio.api.get(f"/sessions/{good.session_id}/stats")).json()
        assert stats["output_fps"] > 20
        await studio.api.post(f"/sessions/{good.session_id}/stop")
        live_time = time.monotonic() - started
        await good.close()
        await bad.close()
    assert ffprobe(nginx.recording("survivor")).duration_s == pytest.approx(live_time, abs=1.0)


async def test_the_stream_key_never_reaches_logs_errors_or_responses(
    settings: Settings, nginx: NginxRtmp, person_frames: list, silent_listener: int, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    async with running_studio(settings) as studio:
        page = await connect_page(studio.api, PictureTrack(person_frames), ToneTrack())
        url = f"/sessions/{page.session_id}/live"
        for server in [
            f"rtmp://127.0.0.1:{free_port()}/live",
            f"rtmp://127.0.0.1:{silent_listener}/live",
            f"rtmp://127.0.0.1:{nginx.port}/no-such-app",
            nginx.url(),
        ]:
            body = {"kind": "rtmp", "server_url": server, "stream_key": SENTINEL_KEY}
            seen.append((await studio.api.post(url, json=body)).text)
            seen.append((await studio.api.get(f"/sessions/{page.session_id}/stats")).text)
        seen.append((await studio.api.post(f"/sessions/{page.session_id}/stop")).text)
        pasted = f"rtmp://127.0.0.1:{free_port()}/live/{SENTINEL_KEY}"  # whole URL, and a key
        body = {"kind": "rtmp", "server_url": pasted, "stream_key": "another"}
        seen.append((await studio.api.post(url, json=body)).text)
        seen.append(
            (
                await studio.api.post(
                    url, json={"kind": "rtmp", "server_url": f"rtmp://h/a/{SENTINEL_KEY} x"}
                )
            ).text
        )
        await page.close()
    seen += [record.getMessage() for record in caplog.records]
    seen += [str(record.exc_info[1]) for record in caplog.records if record.exc_info]
    assert any("****" in text for text in seen)  # the key was there to leak, masked
    assert not [text for text in seen if SENTINEL_KEY in text]


async def test_closing_sessions_releases_threads_processes_and_tasks(
    settings: Settings, nginx: NginxRtmp, person_frames: list
) -> None:
    threads_before, children_before = vida_threads(), child_processes()
    async with running_studio(settings) as studio:
        await studio.api.get("/health")  # the API client's connection is open from here on
        sockets_before = open_sockets()
        tab = await connect_page(studio.api, PictureTrack(person_frames), ToneTrack())
        body = {"kind": "rtmp", "server_url": nginx.url(), "stream_key": "teardown"}
        assert (await studio.api.post(f"/sessions/{tab.session_id}/live", json=body)).is_success
        assert len(child_processes()) > len(children_before)  # a relay runs while live
        assert open_sockets() > sockets_before  # ICE and DTLS sockets while connected
        # The page goes away without a word: the peer connection closes under the session.
        await tab.close()
        await wait_until(lambda: len(studio.registry) == 0, timeout=15)
        stopped = await connect_page(studio.api, PictureTrack(person_frames))
        await studio.api.post(f"/sessions/{stopped.session_id}/live", json={"kind": "record"})
        assert (await studio.api.delete(f"/sessions/{stopped.session_id}")).status_code == 204
        await stopped.close()
        assert vida_threads() == threads_before
        assert child_processes() == children_before
        assert open_sockets() == sockets_before
        leftover = [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("vida-")]
        assert leftover == ["vida-sweep"]
    assert ffprobe(nginx.recording("teardown")).video_packets > 0


async def test_audio_and_video_stay_in_sync(settings: Settings) -> None:
    """A flash and a beep made at the same instant come out at the same instant."""
    async with running_studio(settings) as studio:
        t0 = asyncio.get_running_loop().time() + 3.0
        page = await connect_page(studio.api, FlashTrack(t0), BeepTrack(t0))

        async def tracking_running() -> bool:  # its models load once per session, at start
            stats = (await studio.api.get(f"/sessions/{page.session_id}/stats")).json()
            return stats["tracking"]["fps"] > 0

        await wait_until(tracking_running, timeout=10)
        live = await studio.api.post(f"/sessions/{page.session_id}/live", json={"kind": "record"})
        path = Path(live.json()["destinations"][0]["name"].removeprefix("file "))
        await wait_until(lambda: asyncio.get_running_loop().time() > t0 + 5.5, timeout=15)
        await studio.api.post(f"/sessions/{page.session_id}/stop")
        await page.close()
    flashes, beeps = flash_and_beep_onsets(path)
    assert len(flashes) >= 3 and len(beeps) >= 3, (flashes, beeps)
    offsets = [min(beeps, key=lambda b, f=f: abs(b - f)) - f for f in flashes]
    print("audio minus video (ms):", [round(o * 1000) for o in offsets])
    # Lip sync is noticeable from about 45 ms (audio early) and 125 ms (late). The median is
    # the steady state; single events may wander while a busy machine catches up.
    assert abs(statistics.median(offsets)) < 0.045, offsets
    assert all(-0.1 < offset < 0.15 for offset in offsets), offsets


async def test_a_page_that_vanishes_mid_stream_is_cleaned_up(
    settings: Settings, nginx: NginxRtmp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Network gone, no goodbye: ICE consent expires, the session ends, the stream closes."""
    import aioice.ice

    # RFC 7675 consent checks, at test speed (production: every 5 s, 6 failures).
    monkeypatch.setattr(aioice.ice, "CONSENT_INTERVAL", 0.3)
    monkeypatch.setattr(aioice.ice, "CONSENT_FAILURES", 3)
    threads_before, children_before = vida_threads(), child_processes()
    async with running_studio(settings) as studio:
        page = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.support.page_process", studio.base_url, studio.token,
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        session_id = (await page.stdout.readline()).decode().strip()
        body = {"kind": "rtmp", "server_url": nginx.url(), "stream_key": "vanished"}
        assert (await studio.api.post(f"/sessions/{session_id}/live", json=body)).is_success
        page.kill()
        await page.wait()
        started = time.monotonic()
        await wait_until(lambda: len(studio.registry) == 0, timeout=30)
        print(f"session ended {time.monotonic() - started:.1f} s after the page vanished")
        await wait_until(lambda: vida_threads() == threads_before, timeout=5)
        assert child_processes() == children_before
    probe = ffprobe(nginx.recording("vanished"))
    assert probe.codecs == {"video": "h264", "audio": "aac"}


async def test_a_server_that_dies_mid_stream_ends_the_stream_with_the_reason(
    settings: Settings, person_frames: list, tmp_path: Path
) -> None:
    doomed = start_nginx(tmp_path / "doomed-nginx")
    try:
        async with running_studio(settings) as studio:
            page = await connect_page(studio.api, PictureTrack(person_frames), ToneTrack())
            body = {"kind": "rtmp", "server_url": doomed.url(), "stream_key": "doomed"}
            assert (
                await studio.api.post(f"/sessions/{page.session_id}/live", json=body)
            ).is_success
            doomed.stop()

            async def ended() -> bool:
                stats = (await studio.api.get(f"/sessions/{page.session_id}/stats")).json()
                return not stats["live"] and bool(stats["error"])

            await wait_until(ended, timeout=20)
            stats = (await studio.api.get(f"/sessions/{page.session_id}/stats")).json()
            assert "rtmp://127.0.0.1" in stats["error"]
            assert page.preview_frames > 0  # the session itself lives on, ready to go live again
            again = await studio.api.post(
                f"/sessions/{page.session_id}/live", json={"kind": "record"}
            )
            assert again.status_code == 200
            await page.close()
    finally:
        doomed.stop()


async def test_a_connection_that_never_comes_up_is_not_blamed_on_the_camera(
    settings: Settings, person_frames: list
) -> None:
    from aiortc import RTCConfiguration, RTCPeerConnection

    async with running_studio(settings) as studio:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTrack(PictureTrack(person_frames))
        await pc.setLocalDescription(await pc.createOffer())
        offer = {"sdp": pc.localDescription.sdp, "type": "offer"}
        session_id = (await studio.api.post("/sessions", json=offer)).json()["session_id"]
        # The answer is never applied: this page never answers the studio's ICE checks.
        response = await studio.api.post(f"/sessions/{session_id}/live", json={"kind": "record"})
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "webrtc_not_connected"
        assert "VIDA_ICE_SERVERS" in response.json()["error"]["message"]
        stats = (await studio.api.get(f"/sessions/{session_id}/stats")).json()
        assert "WebRTC connection to the studio is not up" in stats["warnings"][0]
        await pc.close()


async def test_a_full_studio_refuses_new_sessions_clearly(settings: Settings) -> None:
    full = settings.replace(max_sessions=1)
    async with running_studio(full) as studio:
        first = await connect_page(studio.api, SilentCamera())
        from aiortc import RTCConfiguration, RTCPeerConnection

        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTrack(SilentCamera())
        await pc.setLocalDescription(await pc.createOffer())
        offer = {"sdp": pc.localDescription.sdp, "type": "offer"}
        refused = await studio.api.post("/sessions", json=offer)
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "studio_full"
        await studio.api.delete(f"/sessions/{first.session_id}")
        accepted = await studio.api.post("/sessions", json=offer)
        assert accepted.status_code == 201  # a slot frees as soon as a session ends
        await first.close()
        await pc.close()
