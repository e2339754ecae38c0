"""What the studio pushes to a user's pages (Server-Sent Events): minute warnings the moment
they are due, the end of a stream, an upload's progress, a new active avatar in every tab."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest

from config import Settings
from control.accounts import find_user
from control.clock import utcnow
from control.db import Database
from control.minutes import balance, debit
from control.streams import end_stream
from tests.support.avatar_colours import ROBOT
from tests.support.control import add_stream, change_plan
from tests.support.media import PictureTrack, ffprobe, moving_person_frames
from tests.support.nginx import NginxRtmp
from tests.support.studio import connect_page, listening, running_studio, sign_up, wait_until

pytestmark = pytest.mark.slow


def spend_down_to(settings: Settings, email: str, seconds_left: int, stream_id: str) -> None:
    """Leave the account ``seconds_left`` seconds of this week's minutes."""
    db = Database(settings.database)
    user_id = find_user(db, email).id
    with db.read() as session:
        remaining = balance(session, user_id, utcnow()).remaining_s
    add_stream(db, user_id, stream_id, utcnow())
    debit(db, stream_id, 0, remaining - seconds_left, utcnow())
    end_stream(db, stream_id, "stopped", utcnow())
    db.close()


async def test_the_page_hears_the_last_minute_and_the_end_without_asking(
    settings: Settings,
) -> None:
    settings = settings.replace(minute_tick_s=0.5)
    async with running_studio(settings) as studio, studio.client() as api:
        await sign_up(api, "free@example.com")
        spend_down_to(settings, "free@example.com", 62, "earlier")
        async with listening(api) as events:
            page = await connect_page(api, PictureTrack(moving_person_frames(640, 360, 30)))
            live = await api.post(f"/sessions/{page.session_id}/live", json={"kind": "record"})
            assert live.status_code == 200, live.text
            await wait_until(lambda: len(events) >= 2, timeout=10)
            await api.post(f"/sessions/{page.session_id}/stop")
            spend_down_to(settings, "free@example.com", 3, "meanwhile")
            await api.post(f"/sessions/{page.session_id}/live", json={"kind": "record"})
            await wait_until(lambda: events[-1]["type"] == "stream_ended", timeout=15)
            await page.close()
    warnings = [e for e in events if e["type"] == "minutes_warning"]
    assert [w["message"].split(" left")[0] for w in warnings] == [
        "less than 5 minutes of streaming",  # at once: 62 s left
        "less than 1 minute of streaming",  # 2 s later, when due
        "less than 1 minute of streaming",  # the second stream starts under a minute
    ]
    assert warnings[1]["minutes_left_s"] <= 60
    ended = events[-1]
    assert ended["reason"] == "minutes_exhausted" and "ran out" in ended["message"]
    assert ended["session_id"] == page.session_id


async def test_uploads_report_progress_and_every_tab_hears_the_new_active_avatar(
    settings: Settings,
) -> None:
    async with running_studio(settings) as studio, studio.client(studio.token) as second_tab:
        await sign_up(stranger := studio.client(), "stranger@example.com")
        async with (
            listening(studio.api) as first,
            listening(second_tab) as second,
            listening(stranger) as theirs,
        ):
            upload = await studio.api.post(
                "/avatars", params={"filename": "robot.glb"}, content=ROBOT.read_bytes()
            )
            avatar_id = upload.json()["id"]
            await wait_until(lambda: any(e.get("status") == "ready" for e in first), 60)
            chosen = await studio.api.put("/me/active-avatar", json={"avatar_id": avatar_id})
            assert chosen.status_code == 200
            for tab in (first, second):
                await wait_until(lambda tab=tab: tab[-1]["type"] == "active_avatar", 5)
                assert tab[-1] == {"type": "active_avatar", "avatar_id": avatar_id}
            await studio.api.put("/me/active-avatar", json={"avatar_id": None})
            await wait_until(lambda: second[-1]["avatar_id"] is None, timeout=5)
        await stranger.aclose()
    progress = [e for e in first if e["type"] == "avatar"]
    assert all(e["id"] == avatar_id for e in progress)
    percents = [e["progress"] for e in progress]
    assert percents == sorted(percents) and progress[-1] == {
        "type": "avatar", "id": avatar_id, "status": "ready", "progress": 100, "error": None,
    }  # fmt: skip
    assert theirs == []  # nobody hears another user's events


def probe_live(url: str) -> tuple[int, int]:
    """The picture size a player of ``url`` gets now (Debian's ffprobe as the player; call
    it off the event loop, which feeds the stream)."""
    answer = subprocess.run(
        ["ffprobe", "-v", "error", "-rw_timeout", "10000000", "-select_streams", "v",
         "-show_entries", "stream=width,height", "-of", "json", url],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert answer.returncode == 0, answer.stderr
    stream = json.loads(answer.stdout)["streams"][0]
    return stream["width"], stream["height"]


@pytest.mark.parametrize("kind", ["record", "rtmp"])
async def test_a_downgrade_restarts_the_output_at_the_new_plans_size(
    settings: Settings, nginx: NginxRtmp, kind: str
) -> None:
    settings = settings.replace(width=1920, height=1080, minute_tick_s=0.3)
    async with running_studio(settings) as studio, studio.client() as api:
        await sign_up(api, "downgraded@example.com")
        change_plan(settings.database, "downgraded@example.com", "zeus")  # streams up to 1080p
        async with listening(api) as events:
            page = await connect_page(api, PictureTrack(moving_person_frames(640, 360, 30)))
            body = {"kind": "record"}
            if kind == "rtmp":
                body = {"kind": "rtmp", "server_url": nginx.url(), "stream_key": "downgraded"}
            live = await api.post(f"/sessions/{page.session_id}/live", json=body)
            assert live.status_code == 200, live.text
            assert live.json()["notice"] is None
            first = live.json()["destinations"][0]["name"]
            change_plan(settings.database, "downgraded@example.com", "free")  # up to 720p
            await wait_until(lambda: any(e["type"] == "output_resized" for e in events), 15)
            resized = next(e for e in events if e["type"] == "output_resized")
            stats = (await api.get(f"/sessions/{page.session_id}/stats")).json()
            assert stats["live"], stats
            if kind == "rtmp":  # nginx took the new publish: its players get 720p
                assert await asyncio.to_thread(probe_live, nginx.url("downgraded")) == (1280, 720)
            await api.post(f"/sessions/{page.session_id}/stop")
            await page.close()
    assert resized["size"] == [1280, 720]
    assert "Free plan streams up to 720p" in resized["message"], resized
    assert not any(e["type"] == "stream_ended" for e in events)
    if kind == "record":  # a file cannot change size: the recording goes on in a second part
        recording = Path(first.removeprefix("file "))
        part2 = recording.with_name(f"{recording.stem}-part2.flv")
        assert str(part2) in resized["message"]
        assert (ffprobe(recording).width, ffprobe(recording).height) == (1920, 1080)
        second = ffprobe(part2)
        assert (second.width, second.height) == (1280, 720) and second.video_packets > 0
