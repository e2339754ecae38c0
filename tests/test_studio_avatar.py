"""The avatar goes live: what nginx receives shows it (never the camera), an uploaded avatar
is checked, pictured and made active, and the running stream switches to it at once."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from config import Settings
from control.accounts import find_user
from control.clock import utcnow
from control.db import Database
from control.models import Background
from control.subscriptions import set_plan
from rigging.background import CHROMA_GREEN, ChromaKey
from tests.support.avatar_colours import (
    ROBOT,
    decoded_frames,
    robot_orange,
    shirt_blue,
    shows_background,
)
from tests.support.media import PictureTrack, moving_person_frames
from tests.support.nginx import NginxRtmp
from tests.support.studio import (
    STREAMER,
    connect_page,
    listening,
    running_studio,
    sign_up,
    wait_until,
)

pytestmark = pytest.mark.slow


async def test_the_stream_shows_the_avatar_and_switches_to_an_upload_mid_stream(
    avatar_settings: Settings, nginx: NginxRtmp
) -> None:
    async with running_studio(avatar_settings) as studio:
        api = studio.api
        page = await connect_page(api, PictureTrack(moving_person_frames(640, 360, 60)))
        await wait_until(lambda: page.preview_frames > 5, timeout=30)
        live = await api.post(
            f"/sessions/{page.session_id}/live",
            json={"kind": "rtmp", "server_url": nginx.url(), "stream_key": "avatar-switch"},
        )
        assert live.status_code == 200, live.text

        upload = await api.post(
            "/avatars", params={"filename": "robot.glb"}, content=ROBOT.read_bytes()
        )
        assert upload.status_code == 201, upload.text
        avatar_id = upload.json()["id"]

        async def processed() -> bool:
            items = (await api.get("/avatars")).json()["items"]
            return next(a for a in items if a["id"] == avatar_id)["status"] == "ready"

        await wait_until(processed, timeout=60)
        thumbnail = await api.get(f"/avatars/{avatar_id}/thumbnail")
        assert thumbnail.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(thumbnail.content)).size == (256, 256)

        async def live_seconds() -> float:
            return (await api.get(f"/sessions/{page.session_id}/stats")).json()["live_seconds"]

        await wait_until(lambda: _at_least(live_seconds, 2.0), timeout=20)
        switched_at = await live_seconds()
        chosen = await api.put("/me/active-avatar", json={"avatar_id": avatar_id})
        assert chosen.status_code == 200, chosen.text
        await wait_until(lambda: _at_least(live_seconds, switched_at + 2.5), timeout=20)
        keyed_at = await live_seconds()
        chroma = await api.patch(f"/sessions/{page.session_id}", json={"background": "chroma"})
        assert chroma.status_code == 200, chroma.text
        bad = await api.patch(f"/sessions/{page.session_id}", json={"background": "pink"})
        assert bad.status_code == 422 and "background" in bad.json()["error"]["message"]
        await wait_until(lambda: _at_least(live_seconds, keyed_at + 2.0), timeout=20)
        stats = (await api.get(f"/sessions/{page.session_id}/stats")).json()
        assert stats["avatar"] == "robot"
        assert stats["stages_ms"]["avatar_render"]["p50"] > 0

        async def back_to_default() -> bool:
            stats = (await api.get(f"/sessions/{page.session_id}/stats")).json()
            return stats["avatar"] == "VIDA default avatar"

        reverted_at = await live_seconds()
        back = await api.put("/me/active-avatar", json={"avatar_id": None})
        assert back.status_code == 200 and back.json() == {"active": None}
        await wait_until(back_to_default, timeout=1.0)  # within a second, as a switch must
        assert (await api.post(f"/sessions/{page.session_id}/stop")).status_code == 200
        await page.close()

    # The recording's clock starts when nginx got the first packet, a moment after the
    # stream's own (``live_seconds``): the changes are found in the pictures, and only the
    # times between them are compared with the times between the requests.
    frames = decoded_frames(nginx.recording("avatar-switch"))
    robot_from = next(t for t, rgb in frames if robot_orange(rgb) > 0.02)
    chroma_from = next(t for t, rgb in frames if shows_background(rgb, CHROMA_GREEN))
    default_again = next(t for t, rgb in frames if t > chroma_from and shirt_blue(rgb) > 0.01)
    for t, rgb in frames:
        if t < robot_from:
            assert shirt_blue(rgb) > 0.01 and shows_background(rgb), t  # never the camera
        elif t < chroma_from:
            assert robot_orange(rgb) > 0.02 and shirt_blue(rgb) < 0.002, t
            assert shows_background(rgb), t
        elif t < default_again:
            assert robot_orange(rgb) > 0.02 and shows_background(rgb, CHROMA_GREEN), t
    # Each change shows within a second of being asked for (the robot's includes loading it).
    assert abs((chroma_from - robot_from) - (keyed_at - switched_at)) < 1.0
    assert abs((default_again - chroma_from) - (reverted_at - keyed_at)) < 1.0
    assert robot_from > 1.0 and default_again - chroma_from > 1.0  # each lasted a while


async def _at_least(read, value: float) -> bool:
    return await read() >= value


async def test_cutout_replaces_the_room_behind_the_streamer(
    settings: Settings, nginx: NginxRtmp
) -> None:
    cutout = settings.replace(scene="cutout", background="chroma")
    async with running_studio(cutout) as studio:
        api = studio.api
        page = await connect_page(api, PictureTrack(moving_person_frames(640, 360, 60)))
        await wait_until(lambda: page.preview_frames > 5, timeout=30)
        live = await api.post(
            f"/sessions/{page.session_id}/live",
            json={"kind": "rtmp", "server_url": nginx.url(), "stream_key": "cutout"},
        )
        assert live.status_code == 200, live.text

        async def streamed(seconds: float) -> bool:
            stats = (await api.get(f"/sessions/{page.session_id}/stats")).json()
            return stats["live_seconds"] >= seconds

        await wait_until(lambda: streamed(3.0), timeout=20)
        stats = (await api.get(f"/sessions/{page.session_id}/stats")).json()
        assert stats["stages_ms"]["cutout_segment"]["p50"] > 0
        framing = await api.patch(f"/sessions/{page.session_id}", json={"framing": "head"})
        assert framing.status_code == 422 and "no avatar" in framing.json()["error"]["message"]
        assert (await api.post(f"/sessions/{page.session_id}/stop")).status_code == 200
        await page.close()

    frames = decoded_frames(nginx.recording("cutout"))[15:]  # the person, once tracked
    assert frames
    for _, rgb in frames:
        assert shows_background(rgb, CHROMA_GREEN)  # the grey room is gone
        # The astronaut's orange suit is still there: the person was kept.
        assert robot_orange(rgb) > 0.01


def watermarked(rgb) -> bool:
    """White VIDA letters in the bottom-right corner (the default background is dark)."""
    corner = rgb[-40:, -120:].astype(int)
    return bool((corner.min(axis=2) > 120).sum() > 20)


async def test_the_watermark_follows_the_plan_while_live(avatar_settings: Settings) -> None:
    settings = avatar_settings.replace(minute_tick_s=0.5)
    async with running_studio(settings) as studio:  # studio.api: a goat user, white label
        api = studio.api
        page = await connect_page(api, PictureTrack(moving_person_frames(640, 360, 60)))
        await wait_until(lambda: page.preview_frames > 5, timeout=30)
        live = await api.post(f"/sessions/{page.session_id}/live", json={"kind": "record"})
        recording = Path(live.json()["destinations"][0]["name"].removeprefix("file "))

        async def live_seconds() -> float:
            return (await api.get(f"/sessions/{page.session_id}/stats")).json()["live_seconds"]

        await wait_until(lambda: _at_least(live_seconds, 2.0), timeout=20)
        db = Database(settings.database)
        with db.write() as session:  # as an admin or a lapsed subscription would
            set_plan(session, find_user(db, STREAMER).id, "reply_guy", utcnow())
        db.close()
        await wait_until(lambda: _at_least(live_seconds, 5.0), timeout=20)
        await api.post(f"/sessions/{page.session_id}/stop")
        await page.close()
    frames = decoded_frames(recording)
    first = next(t for t, rgb in frames if watermarked(rgb))
    assert 1.5 < first < 4.5  # after the plan changed, at the next minute tick
    assert all(watermarked(rgb) for t, rgb in frames if t > first)


async def test_the_look_follows_the_user_into_running_and_new_streams(
    avatar_settings: Settings,
) -> None:
    async with running_studio(avatar_settings) as studio, studio.client(studio.token) as tab:
        api = studio.api
        chroma = (await api.post("/backgrounds", json={"kind": "chroma"})).json()["id"]
        first = await connect_page(api, PictureTrack(moving_person_frames(640, 360, 30)))
        async with listening(tab) as events:
            look = {"background_id": chroma, "framing": "head", "mirror": True}
            changed = await api.patch("/me/look", json=look)
            assert changed.status_code == 200 and changed.json() == look
            await wait_until(lambda: any(e["type"] == "look" for e in events), timeout=10)
        running = studio.registry.find(first.session_id).pipeline.scene.settings
        assert (type(running.background), running.framing, running.mirror) == (
            ChromaKey, "head", True,
        )  # fmt: skip
        second = await connect_page(api, PictureTrack(moving_person_frames(640, 360, 30)))
        fresh = studio.registry.find(second.session_id).pipeline.scene.settings
        assert (type(fresh.background), fresh.framing, fresh.mirror) == (ChromaKey, "head", True)
        back = await api.patch("/me/look", json={"background_id": None, "framing": None})
        assert back.json() == {"background_id": None, "framing": None, "mirror": True}
        assert running.framing == "head"  # the old settings object; the scene has a new one
        now = studio.registry.find(first.session_id).pipeline.scene.settings
        assert now.framing == avatar_settings.framing and not isinstance(now.background, ChromaKey)
        await first.close()
        await second.close()
    assert next(e for e in events if e["type"] == "look")["framing"] == "head"


async def test_a_background_the_plan_does_not_unlock_cannot_be_chosen(
    avatar_settings: Settings,
) -> None:
    async with running_studio(avatar_settings) as studio, studio.client() as free:
        db = Database(avatar_settings.database)
        with db.write() as session:
            locked = Background(
                name="Nebula", kind="color", value="#221144", required_plan="spartan",
                created_at=utcnow(),
            )  # fmt: skip
            session.add(locked)
            session.flush()
            locked_id = locked.id
        db.close()
        await sign_up(free, "free@example.com")
        refused = await free.patch("/me/look", json={"background_id": locked_id})
        assert refused.status_code == 403 and "spartan" in refused.json()["error"]["message"]
        unknown = await free.patch("/me/look", json={"background_id": 999_999})
        assert unknown.status_code == 404
        wrong = await free.patch("/me/look", json={"framing": "feet"})
        assert wrong.status_code == 422 and "framing" in wrong.text
        assert (await free.get("/me/look")).json() == {
            "background_id": None, "framing": None, "mirror": False,
        }  # fmt: skip
