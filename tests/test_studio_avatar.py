"""The avatar goes live: what nginx receives shows it (never the camera), an uploaded avatar
is checked, pictured and made active, and the running stream switches to it at once."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from PIL import Image

from config import Settings
from tests.support.media import SHARED_ASSETS, PictureTrack, moving_person_frames
from tests.support.nginx import NginxRtmp
from tests.support.studio import connect_page, running_studio, wait_until

pytestmark = pytest.mark.slow
ROBOT = SHARED_ASSETS / "models" / "RobotExpressive.glb"
BACKGROUND = (0x26, 0x2C, 0x3A)  # VIDA_BACKGROUND's default


def shirt_blue(rgb: np.ndarray) -> float:
    """Share of pixels in the default avatar's blue shirt."""
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    return float(((b > r + 80) & (b > g + 40) & (b > 150)).mean())


def robot_orange(rgb: np.ndarray) -> float:
    """Share of pixels in the robot's orange paint."""
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    return float(((r > 150) & (r > b + 90) & (g > b + 30)).mean())


def decoded(path) -> list[tuple[float, np.ndarray]]:
    with av.open(str(path)) as container:
        return [(float(f.time), f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]


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
        stats = (await api.get(f"/sessions/{page.session_id}/stats")).json()
        assert stats["avatar"] == "robot"
        assert stats["stages_ms"]["avatar_render"]["p50"] > 0
        assert (await api.post(f"/sessions/{page.session_id}/stop")).status_code == 200
        await page.close()

    frames = decoded(nginx.recording("avatar-switch"))
    before = [rgb for t, rgb in frames if t < switched_at - 0.5]
    after = [rgb for t, rgb in frames if t > switched_at + 1.0]
    assert before and after
    assert min(shirt_blue(rgb) for rgb in before) > 0.01  # the default avatar
    assert max(robot_orange(rgb) for rgb in before) < 0.002
    assert min(robot_orange(rgb) for rgb in after) > 0.02  # the robot, within a second
    assert max(shirt_blue(rgb) for rgb in after) < 0.002
    for _, rgb in frames:  # never the camera: the corners are the virtual background
        corner = rgb[:20, :20].reshape(-1, 3).mean(axis=0)
        assert np.abs(corner - BACKGROUND).max() < 12


async def _at_least(read, value: float) -> bool:
    return await read() >= value
