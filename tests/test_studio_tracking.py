"""Tracking inside a running studio: over real WebRTC, beside the output clock."""

from __future__ import annotations

import numpy as np
import pytest

from config import Settings
from tests.support.media import PictureTrack, moving_person_frames
from tests.support.studio import connect_page, running_studio, wait_until

pytestmark = pytest.mark.slow


async def test_the_face_is_tracked_calibrated_and_shown_while_the_output_holds_its_rate(
    settings: Settings,
) -> None:
    async with running_studio(settings) as studio:
        page = await connect_page(studio.api, PictureTrack(moving_person_frames(640, 360, 60)))
        stats_url = f"/sessions/{page.session_id}/stats"

        async def tracking() -> dict:
            return (await studio.api.get(stats_url)).json()["tracking"]

        async def face_tracked() -> bool:
            t = await tracking()
            return "face" in t["found"] and t["fps"] > 5

        await wait_until(face_tracked, timeout=20)
        t = await tracking()
        assert t["features"] == ["face", "eye", "expression", "body", "hand", "finger"]
        assert {"face", "head_pose", "total"} <= set(t["stages_ms"])
        assert not t["calibrated"] and not t["shown"]

        calibrated = await studio.api.post(f"/sessions/{page.session_id}/calibrate")
        assert calibrated.status_code == 200, calibrated.text

        async def calibration_applied() -> bool:
            return (await tracking())["calibrated"]

        await wait_until(calibration_applied, timeout=5)

        shown = await studio.api.patch(f"/sessions/{page.session_id}", json={"show_tracking": True})
        assert shown.json()["show_tracking"] is True
        assert (await tracking())["shown"]
        bad = await studio.api.patch(f"/sessions/{page.session_id}", json={"show_tracking": "x"})
        assert bad.status_code == 422 and "show_tracking" in bad.json()["error"]["message"]

        live = await studio.api.post(f"/sessions/{page.session_id}/live", json={"kind": "record"})
        assert live.status_code == 200, live.text

        async def live_2s() -> bool:
            return (await studio.api.get(stats_url)).json()["live_seconds"] >= 2

        await wait_until(live_2s, timeout=10)
        stats = (await studio.api.get(stats_url)).json()
        await studio.api.post(f"/sessions/{page.session_id}/stop")
        await page.close()
    assert stats["output_fps"] > 25  # tracking on beside it, the output keeps its rate
    assert stats["tracking"]["fps"] > 5


async def test_calibrating_with_nobody_in_view_says_so(settings: Settings) -> None:
    grey = [np.full((360, 640, 3), 90, np.uint8)] * 2
    async with running_studio(settings) as studio:
        page = await connect_page(studio.api, PictureTrack(grey))

        async def tracked_once() -> bool:
            stats = (await studio.api.get(f"/sessions/{page.session_id}/stats")).json()
            return stats["tracking"]["fps"] > 0

        await wait_until(tracked_once, timeout=20)
        answer = await studio.api.post(f"/sessions/{page.session_id}/calibrate")
        await page.close()
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "no_face_to_calibrate"
    assert "look straight at the camera" in error["message"]


async def test_routing_errors_and_bad_bodies_use_the_api_error_shape(settings: Settings) -> None:
    async with running_studio(settings) as studio:
        not_json = await studio.api.patch(
            "/sessions/x", content=b"not json", headers={"content-type": "application/json"}
        )
        wrong_method = await studio.api.get("/sessions/x/calibrate")
        no_route = await studio.api.get("/no/such/thing")
        unknown = await studio.api.post("/sessions/nope/calibrate")
    assert not_json.status_code == 422
    assert not_json.json()["error"]["message"] == "the request body is not valid JSON"
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "POST"
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    assert no_route.status_code == 404 and no_route.json()["error"]["code"] == "not_found"
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_session"
