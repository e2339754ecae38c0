"""The studio behind the control plane: who may stream, for how long, and whose session is whose."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from config import Settings
from control.accounts import find_user
from control.clock import utcnow
from control.db import Database
from control.minutes import balance, debit
from control.models import StreamSession, Suspension, User
from control.streams import end_stream
from tests.support.control import add_stream, change_plan
from tests.support.media import PictureTrack, ToneTrack, ffprobe, moving_person_frames
from tests.support.nginx import NginxRtmp
from tests.support.studio import connect_page, running_studio, sign_up, wait_until

pytestmark = pytest.mark.slow


def spend_all_but(settings: Settings, email: str, seconds_left: int) -> None:
    """Use up a free account's week, bar ``seconds_left``."""
    db = Database(settings.database)
    user_id = find_user(db, email).id
    add_stream(db, user_id, "earlier", utcnow())
    debit(db, "earlier", 0, 15 * 60 - seconds_left, utcnow())
    end_stream(db, "earlier", "stopped", utcnow())
    db.close()


async def test_a_stream_ends_cleanly_when_the_minutes_run_out(
    tmp_path: Path, settings: Settings
) -> None:
    settings = settings.replace(minute_tick_s=0.5)
    async with running_studio(settings) as studio, studio.client() as api:
        await sign_up(api, "free@example.com")  # the free plan: 15 minutes a week
        spend_all_but(settings, "free@example.com", 4)
        page = await connect_page(
            api, PictureTrack(moving_person_frames(640, 360, 30)), ToneTrack()
        )
        live = await api.post(f"/sessions/{page.session_id}/live", json={"kind": "record"})
        assert live.status_code == 200, live.text
        assert live.json()["minutes_left_s"] == 4
        recording = Path(live.json()["destinations"][0]["name"].removeprefix("file "))
        stats = (await api.get(f"/sessions/{page.session_id}/stats")).json()
        assert any("less than 1 minute" in w for w in stats["warnings"])

        async def ended() -> bool:
            return not (await api.get(f"/sessions/{page.session_id}/stats")).json()["live"]

        await wait_until(ended, timeout=15)
        stats = (await api.get(f"/sessions/{page.session_id}/stats")).json()
        assert "minutes for this week ran out" in stats["error"]
        again = await api.post(f"/sessions/{page.session_id}/live", json={"kind": "record"})
        assert again.status_code == 403 and again.json()["error"]["code"] == "no_minutes"
        me = (await api.get("/me")).json()
        await page.close()
    assert me["minutes"]["remaining_s"] == 0
    db = Database(settings.database)
    with db.read() as session:
        [stream] = session.scalars(select(StreamSession).where(StreamSession.id != "earlier")).all()
        left = balance(session, stream.user_id, utcnow()).remaining_s
    db.close()
    assert (stream.end_reason, stream.seconds, left) == ("minutes_exhausted", 4, 0)
    probe = ffprobe(recording)  # the trailer was written: a whole, playable file
    assert probe.duration_s == pytest.approx(4, abs=1.0)


async def test_nobody_else_can_see_or_touch_a_session(settings: Settings) -> None:
    async with running_studio(settings) as studio:
        page = await connect_page(studio.api, PictureTrack(moving_person_frames(640, 360, 30)))
        sid = page.session_id
        async with studio.client() as stranger, studio.client() as anonymous:
            await sign_up(stranger, "stranger@example.com")
            calls = [
                ("GET", f"/sessions/{sid}/stats", None),
                ("POST", f"/sessions/{sid}/live", {"kind": "record"}),
                ("POST", f"/sessions/{sid}/stop", None),
                ("POST", f"/sessions/{sid}/calibrate", None),
                ("PATCH", f"/sessions/{sid}", {"show_tracking": True}),
                ("DELETE", f"/sessions/{sid}", None),
            ]
            for method, path, body in calls:
                theirs = await stranger.request(method, path, json=body)
                assert theirs.status_code == 404, (method, path, theirs.text)
                assert theirs.json()["error"]["code"] == "unknown_session"
                nobody = await anonymous.request(method, path, json=body)
                assert nobody.status_code == 401, (method, path)
            offer = await anonymous.post("/sessions", json={"sdp": "v=0", "type": "offer"})
            assert offer.status_code == 401
        still = await studio.api.get(f"/sessions/{sid}/stats")  # the owner's is untouched
        assert still.status_code == 200
        await page.close()


async def test_blocked_and_suspended_accounts_cannot_stream(settings: Settings) -> None:
    async with running_studio(settings) as studio:
        page = await connect_page(studio.api, PictureTrack(moving_person_frames(640, 360, 30)))
        db = Database(settings.database)
        with db.write() as session:
            user = session.scalars(select(User).where(User.email == "streamer@example.com")).one()
            session.add(
                Suspension(
                    user_id=user.id,
                    level=3,
                    starts_at=utcnow(),
                    ends_at=utcnow() + timedelta(days=7),
                )
            )
        suspended = await studio.api.post(
            f"/sessions/{page.session_id}/live", json={"kind": "record"}
        )
        assert suspended.status_code == 403 and suspended.json()["error"]["code"] == "suspended"
        with db.write() as session:
            session.scalars(
                select(User).where(User.email == "streamer@example.com")
            ).one().blocked = True
        db.close()
        blocked = await studio.api.post(
            f"/sessions/{page.session_id}/live", json={"kind": "record"}
        )
        assert blocked.status_code == 401 and "blocked" in blocked.json()["error"]["message"]
        await page.close()


async def test_the_plan_sets_the_output_size_and_what_is_tracked(settings: Settings) -> None:
    settings = settings.replace(width=1920, height=1080)
    async with running_studio(settings) as studio, studio.client() as api:
        await sign_up(api, "free@example.com")
        page = await connect_page(api, PictureTrack(moving_person_frames(640, 360, 30)))
        stats = (await api.get(f"/sessions/{page.session_id}/stats")).json()
        session = studio.registry.find(page.session_id)
        await page.close()
        goat = await connect_page(studio.api, PictureTrack(moving_person_frames(640, 360, 30)))
        goat_session = studio.registry.find(goat.session_id)
        await goat.close()
        await asyncio.sleep(0)
    s = session.pipeline.settings
    assert (s.width, s.height) == (1280, 720)  # free streams up to 720p
    assert s.tracking.features.names() == ["face", "eye"]
    assert stats["tracking"]["features"] == ["face", "eye"]
    g = goat_session.pipeline.settings
    assert (g.width, g.height) == (1920, 1080)
    assert g.tracking.features.names() == ["face", "eye", "expression", "body", "hand", "finger"]


async def test_a_plan_change_reaches_a_running_stream(settings: Settings) -> None:
    from control.subscriptions import set_plan

    settings = settings.replace(minute_tick_s=0.3)
    async with running_studio(settings) as studio, studio.client() as api:
        await sign_up(api, "upgrader@example.com")  # free: face and eyes only
        page = await connect_page(api, PictureTrack(moving_person_frames(640, 360, 30)))
        stats_url = f"/sessions/{page.session_id}/stats"
        assert (await api.get(stats_url)).json()["tracking"]["features"] == ["face", "eye"]
        live = await api.post(f"/sessions/{page.session_id}/live", json={"kind": "record"})
        assert live.status_code == 200
        db = Database(settings.database)
        with db.write() as session:
            set_plan(session, find_user(db, "upgrader@example.com").id, "zeus", utcnow())
        db.close()

        async def upgraded() -> bool:
            features = (await api.get(stats_url)).json()["tracking"]["features"]
            return features == ["face", "eye", "expression", "body", "hand", "finger"]

        await wait_until(upgraded, timeout=10)  # at the next minute tick, without a restart
        assert (await api.get(stats_url)).json()["live"]
        await page.close()


async def test_going_live_after_a_downgrade_streams_at_the_new_plans_size(
    settings: Settings,
) -> None:
    from control.subscriptions import set_plan

    settings = settings.replace(width=1920, height=1080)
    async with running_studio(settings) as studio, studio.client() as api:
        await sign_up(api, "late@example.com")
        db = Database(settings.database)
        user_id = find_user(db, "late@example.com").id
        with db.write() as session:
            set_plan(session, user_id, "zeus", utcnow())
        page = await connect_page(api, PictureTrack(moving_person_frames(640, 360, 30)))
        with db.write() as session:  # after the page connected at 1080p, before going live
            set_plan(session, user_id, "free", utcnow())
        db.close()
        live = await api.post(f"/sessions/{page.session_id}/live", json={"kind": "record"})
        assert live.status_code == 200, live.text
        assert "1920x1080 lowered to 1280x720" in live.json()["notice"]
        recording = Path(live.json()["destinations"][0]["name"].removeprefix("file "))

        async def streaming() -> bool:
            return (await api.get(f"/sessions/{page.session_id}/stats")).json()["output_fps"] > 0

        await wait_until(streaming, timeout=10)
        await api.post(f"/sessions/{page.session_id}/stop")
        await page.close()
    probe = ffprobe(recording)
    assert (probe.width, probe.height) == (1280, 720) and probe.video_packets > 0


async def test_the_page_chooses_a_size_within_the_plan_and_the_studio(settings: Settings) -> None:
    settings = settings.replace(width=1920, height=1080)
    async with running_studio(settings) as studio, studio.client() as free:
        small = await connect_page(
            studio.api, PictureTrack(moving_person_frames(640, 360, 30)), resolution="360p"
        )
        await sign_up(free, "free@example.com")
        capped = await connect_page(
            free, PictureTrack(moving_person_frames(640, 360, 30)), resolution="1080p"
        )
        sizes = [
            (studio.registry.find(p.session_id).pipeline.settings.width,
             studio.registry.find(p.session_id).pipeline.settings.height)
            for p in (small, capped)
        ]  # fmt: skip
        config = (await free.get("/config")).json()
        await small.close()
        await capped.close()
        bad = await studio.api.post(
            "/sessions", json={"sdp": "v=0", "type": "offer", "resolution": "4k"}
        )
    assert sizes == [(640, 360), (1280, 720)]  # goat asked 360p; free asked 1080p, plan: 720p
    assert config["resolutions"] == ["360p", "480p", "720p", "1080p"]
    assert bad.status_code == 422 and "resolution" in bad.text


async def test_a_plan_change_reaches_a_session_that_is_not_live(settings: Settings) -> None:
    settings = settings.replace(minute_tick_s=0.3)
    async with running_studio(settings) as studio, studio.client() as api:
        await sign_up(api, "previewer@example.com")  # free: face and eyes only
        page = await connect_page(api, PictureTrack(moving_person_frames(640, 360, 30)))
        stats_url = f"/sessions/{page.session_id}/stats"
        assert (await api.get(stats_url)).json()["plan"] == "free"
        change_plan(settings.database, "previewer@example.com", "zeus")

        async def upgraded() -> bool:
            stats = (await api.get(stats_url)).json()
            return stats["plan"] == "zeus" and "hand" in stats["tracking"]["features"]

        await wait_until(upgraded, timeout=10)  # within a tick or two, nothing streamed
        assert not (await api.get(stats_url)).json()["live"]
        await page.close()


async def test_the_streamer_downloads_what_the_session_recorded(settings: Settings) -> None:
    async with running_studio(settings) as studio, studio.client() as stranger:
        api = studio.api
        page = await connect_page(api, PictureTrack(moving_person_frames(640, 360, 30)))
        live = await api.post(f"/sessions/{page.session_id}/live", json={"kind": "record"})
        recording = Path(live.json()["destinations"][0]["name"].removeprefix("file "))

        async def streamed() -> bool:
            return (await api.get(f"/sessions/{page.session_id}/stats")).json()["output_fps"] > 0

        await wait_until(streamed, timeout=10)
        await api.post(f"/sessions/{page.session_id}/stop")
        stats = (await api.get(f"/sessions/{page.session_id}/stats")).json()
        assert stats["recordings"] == [recording.name]
        download = await api.get(f"/sessions/{page.session_id}/recordings/0")
        assert download.status_code == 200 and download.content == recording.read_bytes()
        assert recording.name in download.headers["content-disposition"]
        assert (await api.get(f"/sessions/{page.session_id}/recordings/1")).status_code == 404
        await sign_up(stranger, "stranger@example.com")
        theirs = await stranger.get(f"/sessions/{page.session_id}/recordings/0")
        assert theirs.status_code == 404
        await page.close()


async def test_one_stream_goes_to_several_saved_destinations_within_the_plan(
    settings: Settings, nginx: NginxRtmp
) -> None:
    async with running_studio(settings) as studio, studio.client() as api:
        await sign_up(api, "multi@example.com", plan="spartan", settings=settings)  # two at once
        ids = []
        for key, kbps in (("first", None), ("second", 700), ("third", None)):
            body = {"platform": "custom", "server_url": nginx.url(), "stream_key": key}
            body |= {"name": key, "bitrate_kbps": kbps}
            ids.append((await api.post("/destinations", json=body)).json()["id"])
        page = await connect_page(api, PictureTrack(moving_person_frames(640, 360, 30)))
        live_url = f"/sessions/{page.session_id}/live"
        three = await api.post(live_url, json={"kind": "saved", "destination_ids": ids})
        assert three.status_code == 403 and "2 destinations at a time" in three.text
        two = await api.post(live_url, json={"kind": "saved", "destination_ids": ids[:2]})
        assert two.status_code == 200, two.text
        assert len(two.json()["destinations"]) == 2
        live = studio.registry.find(page.session_id).pipeline.live
        assert live.settings.video_bitrate == 700_000  # what the stricter one takes, for both

        async def streamed() -> bool:
            stats = (await api.get(f"/sessions/{page.session_id}/stats")).json()
            return stats["live_seconds"] > 1.5

        await wait_until(streamed, timeout=15)
        await api.post(f"/sessions/{page.session_id}/stop")
        await page.close()
    for key in ("first", "second"):  # encoded once, both servers got it whole
        probe = ffprobe(nginx.recording(key))
        assert probe.codecs == {"video": "h264", "audio": "aac"} and probe.video_packets > 10
    assert not (nginx.records / "third.flv").exists()
