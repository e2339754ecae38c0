"""Saved RTMP destinations: presets, write-only encrypted stream keys, owners only."""

from __future__ import annotations

import logging
import stat

import pytest
from sqlalchemy import select

from config import Settings
from control.db import Database
from control.destinations import KeyBox
from control.models import SavedDestination
from tests.support.media import PictureTrack, ToneTrack, ffprobe, moving_person_frames
from tests.support.nginx import NginxRtmp
from tests.support.studio import connect_page, running_studio, sign_up, wait_until

pytestmark = pytest.mark.slow
KEY = "live_SENTINEL_dest_31337"


async def test_destinations_are_saved_with_presets_and_keys_never_come_back(
    settings: Settings,
) -> None:
    async with running_studio(settings) as studio:
        api = studio.api
        youtube = await api.post("/destinations", json={"platform": "youtube", "stream_key": KEY})
        assert youtube.status_code == 201, youtube.text
        body = youtube.json()
        assert body["server_url"] == "rtmps://a.rtmps.youtube.com:443/live2"
        assert body["stream_key"] == "****1337" and body["is_default"]  # the first is default
        twitch = await api.post(
            "/destinations",
            json={"platform": "twitch", "stream_key": "tw_key_0001", "is_default": True},
        )
        assert twitch.json()["is_default"]
        listed = (await api.get("/destinations")).json()
        assert [d["platform"] for d in listed["items"]] == ["twitch", "youtube"]  # default first
        assert listed["total"] == 2

        problems = [
            ({"platform": "x", "stream_key": KEY}, "enter the server URL"),
            (
                {"platform": "custom", "server_url": "https://a.example/live", "stream_key": KEY},
                "rtmp://",
            ),
            ({"platform": "youtube", "stream_key": "two words"}, "without spaces"),
            ({"platform": "youtube", "stream_key": KEY, "bitrate_kbps": 99}, "bitrate"),
            ({"platform": "myspace", "stream_key": KEY}, "platform must be one of"),
        ]
        for fields, message in problems:
            refused = await api.post("/destinations", json=fields)
            assert refused.status_code == 422 and message in refused.text, (fields, refused.text)

        # A key pasted at the end of the URL is taken out of it and encrypted like the rest.
        pasted = await api.post(
            "/destinations",
            json={"platform": "custom", "server_url": "rtmp://ingest.example/live/PASTED_9999"},
        )
        assert pasted.status_code == 201, pasted.text
        assert pasted.json()["server_url"] == "rtmp://ingest.example/live"
        assert pasted.json()["stream_key"] == "****9999"
        for url in ("rtmp://ingest.example/live/OTHER_1234", "rtmp://ingest.example/a/b"):
            mixed = await api.post(
                "/destinations", json={"platform": "custom", "server_url": url, "stream_key": KEY}
            )
            assert mixed.status_code == 422 and "its own field" in mixed.text, url
            assert "OTHER_1234" not in mixed.text
        patched = await api.patch(
            f"/destinations/{pasted.json()['id']}",
            json={"server_url": "rtmp://ingest.example/live/SNEAKY_5678"},
        )
        assert patched.status_code == 422 and "SNEAKY" not in patched.text
        await api.delete(f"/destinations/{pasted.json()['id']}")

        edited = await api.patch(
            f"/destinations/{body['id']}",
            json={"name": "Main channel", "stream_key": "new_key_9876"},
        )
        assert edited.json()["name"] == "Main channel" and edited.json()["stream_key"] == "****9876"
        moved = await api.patch(f"/destinations/{body['id']}", json={"platform": "twitch"})
        assert (moved.json()["platform"], moved.json()["server_url"]) == (
            "twitch",
            "rtmp://live.twitch.tv/app",  # the preset's ingest; the key is kept
        )
        assert moved.json()["stream_key"] == "****9876"
        unknown = await api.patch(f"/destinations/{body['id']}", json={"platform": "myspace"})
        assert unknown.status_code == 422 and "platform must be one of" in unknown.text
        assert (await api.delete(f"/destinations/{twitch.json()['id']}")).status_code == 204
        assert (await api.get("/destinations")).json()["total"] == 1

    db = Database(settings.database)
    with db.read() as session:
        [row] = session.scalars(select(SavedDestination)).all()
    db.close()
    assert "new_key_9876" not in row.stream_key_encrypted  # encrypted at rest
    assert (
        KeyBox.from_file(settings.secret_key_file).open(row.stream_key_encrypted) == "new_key_9876"
    )
    assert stat.S_IMODE(settings.secret_key_file.stat().st_mode) == 0o600


async def test_a_url_that_is_not_rtmp_is_explained_where_it_was_typed(settings: Settings) -> None:
    expected = "server URL must start with rtmp:// or rtmps:// (it starts with 'rtmp//oops')"
    async with running_studio(settings) as studio:
        api = studio.api
        typo = {"platform": "custom", "server_url": "rtmp//oops/live", "stream_key": KEY}
        saved = await api.post("/destinations", json=typo)
        assert saved.status_code == 422  # the Destinations page has no Record to file choice
        assert saved.json()["error"] == {"code": "invalid_destination", "message": expected}
        good = await api.post("/destinations", json={"platform": "twitch", "stream_key": KEY})
        changed = await api.patch(
            f"/destinations/{good.json()['id']}", json={"server_url": "rtmp//oops/live"}
        )
        assert changed.json()["error"]["message"] == expected

        page = await connect_page(api, PictureTrack(moving_person_frames(640, 360, 30)))
        one_off = await api.post(
            f"/sessions/{page.session_id}/live",
            json={"kind": "rtmp", "server_url": "rtmp//oops/live", "stream_key": KEY},
        )
        await page.close()
        assert one_off.status_code == 422  # the studio's own fields sit beside Record to file
        assert one_off.json()["error"]["message"] == (
            f"{expected}; choose Record to file to record locally"
        )


async def test_another_users_destinations_are_out_of_reach(settings: Settings) -> None:
    async with running_studio(settings) as studio, studio.client() as stranger:
        mine = (
            await studio.api.post("/destinations", json={"platform": "twitch", "stream_key": KEY})
        ).json()
        await sign_up(stranger, "stranger@example.com")
        assert (await stranger.get("/destinations")).json()["total"] == 0
        for method, body in [("PATCH", {"name": "mine now"}), ("DELETE", None)]:
            answer = await stranger.request(method, f"/destinations/{mine['id']}", json=body)
            assert (
                answer.status_code == 404
                and answer.json()["error"]["code"] == "unknown_destination"
            )
        page = await connect_page(stranger, PictureTrack(moving_person_frames(640, 360, 30)))
        borrowed = await stranger.post(
            f"/sessions/{page.session_id}/live",
            json={"kind": "saved", "destination_id": mine["id"]},
        )
        assert borrowed.status_code == 404
        await page.close()
        assert (await studio.api.get("/destinations")).json()["items"][0]["name"] == "twitch"


async def test_going_live_to_a_saved_destination_keeps_the_key_secret(
    settings: Settings, nginx: NginxRtmp, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    async with running_studio(settings) as studio:
        saved = await studio.api.post(
            "/destinations",
            json={
                "platform": "custom",
                "server_url": nginx.url(),
                "stream_key": KEY,
                "name": "Local",
            },
        )
        seen.append(saved.text)
        page = await connect_page(
            studio.api, PictureTrack(moving_person_frames(640, 360, 30)), ToneTrack()
        )
        live = await studio.api.post(
            f"/sessions/{page.session_id}/live",
            json={"kind": "saved", "destination_id": saved.json()["id"]},
        )
        seen.append(live.text)
        assert live.status_code == 200, live.text

        async def streamed_2s() -> bool:
            stats = await studio.api.get(f"/sessions/{page.session_id}/stats")
            seen.append(stats.text)
            return stats.json()["live_seconds"] >= 2

        await wait_until(streamed_2s, timeout=15)
        seen.append((await studio.api.post(f"/sessions/{page.session_id}/stop")).text)
        seen.append((await studio.api.get("/destinations")).text)
        await page.close()
    seen += [record.getMessage() for record in caplog.records]
    assert not [text for text in seen if KEY in text]
    assert ffprobe(nginx.recording(KEY)).codecs == {"video": "h264", "audio": "aac"}


async def test_a_changed_secret_key_says_to_enter_the_stream_key_again(settings: Settings) -> None:
    from cryptography.fernet import Fernet

    async with running_studio(settings) as studio:
        body = {"platform": "twitch", "stream_key": KEY}
        saved = (await studio.api.post("/destinations", json=body)).json()
    other = settings.replace(secret_key=Fernet.generate_key().decode())  # the key was lost
    async with running_studio(other) as studio:
        page = await connect_page(studio.api, PictureTrack(moving_person_frames(640, 360, 30)))
        answer = await studio.api.post(
            f"/sessions/{page.session_id}/live",
            json={"kind": "saved", "destination_id": saved["id"]},
        )
        await page.close()
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "secret_key_changed"
    assert "enter the key again" in answer.json()["error"]["message"]
