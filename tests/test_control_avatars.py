"""My Avatars over the real API: uploads, presets, the active avatar, the plan's limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings
from control.clock import utcnow
from control.db import Database
from control.models import Avatar
from tests.support.media import SHARED_ASSETS
from tests.support.studio import running_studio, sign_up, wait_until

pytestmark = pytest.mark.slow
ROBOT = SHARED_ASSETS / "models" / "RobotExpressive.glb"  # CC0, see ../shared/assets/LICENSES.md


def add_presets(settings: Settings) -> tuple[int, int]:
    """Two gallery presets: one for everyone, one that needs the zeus plan."""
    db = Database(settings.database)
    with db.write() as session:
        rows = [
            Avatar(
                user_id=None,
                name=name,
                kind="glb",
                file_path=str(ROBOT),
                size_bytes=ROBOT.stat().st_size,
                status="ready",
                public=True,
                required_plan=plan,
                created_at=utcnow(),
            )
            for name, plan in (("Robot", "free"), ("Golden robot", "zeus"))
        ]
        session.add_all(rows)
        session.flush()
        ids = (rows[0].id, rows[1].id)
    db.close()
    return ids


async def test_a_free_streamer_picks_one_preset_and_meets_the_limit(settings: Settings) -> None:
    async with running_studio(settings) as studio, studio.client() as free:
        robot, golden = add_presets(settings)
        await sign_up(free, "free@example.com")
        gallery = (await free.get("/avatars/presets")).json()["items"]
        assert {(p["name"], p["locked"]) for p in gallery} == {
            ("VIDA default", False),  # seeded by every studio
            ("Robot", False),
            ("Golden robot", True),
        }
        locked = await free.post(f"/avatars/presets/{golden}")
        assert locked.status_code == 403 and "needs the zeus plan" in locked.text
        upload = await free.post(
            "/avatars", params={"filename": "me.glb"}, content=ROBOT.read_bytes()
        )
        assert upload.status_code == 403 and upload.json()["error"]["code"] == "plan_lacks_feature"

        mine = await free.post(f"/avatars/presets/{robot}")
        assert mine.status_code == 201 and mine.json()["status"] == "ready"
        again = await free.post(f"/avatars/presets/{robot}")  # the real reason comes first
        assert again.status_code == 409 and again.json()["error"] == {
            "code": "preset_already_added",
            "message": "you have Robot already: it is in My Avatars",
        }
        gallery = (await free.get("/avatars/presets")).json()["items"]
        assert {(p["name"], p["added"]) for p in gallery} == {
            ("VIDA default", False),
            ("Robot", True),
            ("Golden robot", False),
        }
        default = next(p["id"] for p in gallery if p["name"] == "VIDA default")
        full = await free.post(f"/avatars/presets/{default}")
        assert full.status_code == 409 and full.json()["error"]["code"] == "avatar_limit"
        assert "the Free plan holds 1 avatar" in full.json()["error"]["message"]

        active = await free.put("/me/active-avatar", json={"avatar_id": mine.json()["id"]})
        assert active.json()["active"]
        listing = (await free.get("/avatars")).json()
        assert (listing["slots"], listing["used"]) == (1, 1)  # "1 of 1 avatar"
        assert listing["active_avatar_id"] == mine.json()["id"]
        assert [a["active"] for a in listing["items"]] == [True]

        assert (await free.delete(f"/avatars/{mine.json()['id']}")).status_code == 204
        gallery = (await free.get("/avatars/presets")).json()["items"]
        assert not any(p["added"] for p in gallery)  # gone: it may be added again
        assert (await free.post(f"/avatars/presets/{robot}")).status_code == 201


async def test_a_failed_upload_stays_listed_but_takes_no_slot(settings: Settings) -> None:
    async with running_studio(settings) as studio, studio.client() as fan:
        robot, _ = add_presets(settings)
        await sign_up(fan, "fan@example.com", plan="reply_guy", settings=settings)  # 3 avatars
        broken = await fan.post(
            "/avatars", params={"filename": "broken.glb"}, content=b"glTF" + bytes(40)
        )
        assert broken.status_code == 201, broken.text

        async def mine() -> dict:
            return (await fan.get("/avatars")).json()

        async def failed() -> bool:
            return (await mine())["items"][0]["status"] == "failed"

        await wait_until(failed, timeout=30)
        listing = await mine()
        assert (listing["slots"], listing["used"], listing["total"]) == (3, 0, 1)
        assert listing["items"][0]["error"]  # listed, so the user sees why

        default = next(
            p["id"]
            for p in (await fan.get("/avatars/presets")).json()["items"]
            if p["name"] == "VIDA default"
        )
        for preset in (robot, default):
            assert (await fan.post(f"/avatars/presets/{preset}")).status_code == 201
        third = await fan.post(
            "/avatars", params={"filename": "me.glb"}, content=ROBOT.read_bytes()
        )
        assert third.status_code == 201, third.text  # the failed one left this slot free
        listing = await mine()
        assert (listing["slots"], listing["used"], listing["total"]) == (3, 3, 4)
        fourth = await fan.post(
            "/avatars", params={"filename": "me.glb"}, content=ROBOT.read_bytes()
        )
        assert fourth.status_code == 409 and fourth.json()["error"]["code"] == "avatar_limit"
        assert "the Reply Guy plan holds 3 avatars" in fourth.json()["error"]["message"]

        assert (await fan.delete(f"/avatars/{broken.json()['id']}")).status_code == 204
        listing = await mine()
        assert (listing["used"], listing["total"]) == (3, 3)


async def test_uploads_are_checked_stored_pending_and_kept_to_the_plan(
    settings: Settings,
) -> None:
    async with running_studio(settings) as studio, studio.client() as fan:
        upload = await studio.api.post(  # the goat-plan streamer
            "/avatars", params={"filename": "Robot.GLB", "name": "My robot"},
            content=ROBOT.read_bytes(),
        )  # fmt: skip
        assert upload.status_code == 201, upload.text
        avatar = upload.json()
        assert (avatar["name"], avatar["kind"], avatar["status"]) == ("My robot", "glb", "pending")
        assert avatar["size_bytes"] == ROBOT.stat().st_size
        stored = list((settings.data_dir / "avatars").iterdir())
        assert [p.read_bytes() == ROBOT.read_bytes() for p in stored] == [True]
        not_ready = await studio.api.put("/me/active-avatar", json={"avatar_id": avatar["id"]})
        assert not_ready.status_code == 422 and "once it is ready" in not_ready.text

        for filename, body, message in [
            ("notes.txt", b"glTF....", "upload a .glb or .vrm"),
            ("fake.glb", b"PK\x03\x04 a zip", "not a binary glTF"),
            ("empty.glb", b"", "empty or cut short"),
        ]:
            refused = await studio.api.post("/avatars", params={"filename": filename}, content=body)
            assert refused.status_code == 422 and message in refused.text, filename

        await sign_up(fan, "fan@example.com", plan="reply_guy", settings=settings)  # 25 MB
        big = b"glTF" + bytes(26 * 1024 * 1024)
        too_big = await fan.post("/avatars", params={"filename": "big.glb"}, content=big)
        assert too_big.status_code == 413 and "up to 25 MB" in too_big.text
        theirs = await fan.delete(f"/avatars/{avatar['id']}")
        assert theirs.status_code == 404  # not theirs: as if it did not exist
        assert (
            await fan.put("/me/active-avatar", json={"avatar_id": avatar["id"]})
        ).status_code == 404
        assert len(list((settings.data_dir / "avatars").iterdir())) == 1  # nothing left behind

        assert (await studio.api.delete(f"/avatars/{avatar['id']}")).status_code == 204
        assert (await studio.api.get("/avatars")).json()["total"] == 0
    assert not any(Path(settings.data_dir / "avatars").iterdir())
