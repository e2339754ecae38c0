"""Admin tools over the real API: users, plans, warnings, suspensions, blocks, live streams,
and the audit log of every action."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from config import Settings
from tests.support.media import PictureTrack, moving_person_frames
from tests.support.studio import connect_page, running_studio, sign_up, wait_until

pytestmark = pytest.mark.slow
ADMIN_ROUTES = [
    ("GET", "/admin/users", None),
    ("POST", "/admin/users/1/plan", {"plan": "zeus"}),
    ("POST", "/admin/users/1/block", None),
    ("POST", "/admin/users/1/unblock", None),
    ("POST", "/admin/users/1/suspend", {"level": 1, "reason": "spam"}),
    ("POST", "/admin/users/1/lift-suspension", None),
    ("POST", "/admin/users/1/warn", {"message": "no spam"}),
    ("GET", "/admin/streams", None),
    ("POST", "/admin/streams/x/end", None),
    ("GET", "/admin/audit", None),
]


async def test_only_admins_reach_the_admin_tools(settings: Settings) -> None:
    async with running_studio(settings) as studio:  # studio.api: a goat-plan user, no admin
        for method, path, body in ADMIN_ROUTES:
            answer = await studio.api.request(method, path, json=body)
            assert answer.status_code == 403, (method, path, answer.text)
            assert answer.json()["error"]["code"] == "admin_only"
        async with studio.client() as anonymous:
            assert (await anonymous.get("/admin/users")).status_code == 401


async def test_an_admin_manages_a_user_and_every_action_is_audited(settings: Settings) -> None:
    async with running_studio(settings) as studio, studio.client() as admin:
        await sign_up(admin, "boss@example.com", plan="free", settings=settings, role="admin")
        for i in range(3):
            async with studio.client() as other:
                await sign_up(other, f"fan{i}@example.com")
        found = (await admin.get("/admin/users", params={"q": "FAN", "per_page": 2})).json()
        assert (found["total"], len(found["items"]), found["per_page"]) == (3, 2, 2)
        page_2 = await admin.get("/admin/users", params={"q": "fan", "page": 2, "per_page": 2})
        assert [u["email"] for u in page_2.json()["items"]] == ["fan0@example.com"]
        fan = found["items"][0]
        assert (fan["plan"], fan["blocked"], fan["suspended_until"]) == ("free", False, None)
        assert fan["weekly_used_s"] == 0
        uid = fan["id"]

        assert (await admin.post(f"/admin/users/{uid}/plan", json={"plan": "zeus"})).json() == {
            "plan": "zeus"
        }
        same = await admin.post(f"/admin/users/{uid}/plan", json={"plan": "zeus"})
        assert same.status_code == 409 and same.json()["error"] == {
            "code": "already_on_plan",
            "message": f"{fan['email']} is on Zeus already",
        }  # and no second audit entry: see the actions below
        bad_plan = await admin.post(f"/admin/users/{uid}/plan", json={"plan": "platinum"})
        assert bad_plan.status_code == 422 and "no plan 'platinum'" in bad_plan.text
        await admin.post(f"/admin/users/{uid}/warn", json={"message": "be nice"})
        suspended = (
            await admin.post(f"/admin/users/{uid}/suspend", json={"level": 2, "reason": "spam"})
        ).json()
        until = datetime.fromisoformat(suspended["until"].removesuffix("Z"))
        assert timedelta(days=2, hours=23) < until - datetime.utcnow() <= timedelta(days=3)
        bad_level = await admin.post(
            f"/admin/users/{uid}/suspend", json={"level": 9, "reason": "x"}
        )
        assert bad_level.status_code == 422
        forever = await admin.post(f"/admin/users/{uid}/suspend", json={"level": 7, "reason": "x"})
        assert forever.json() == {"level": 7, "until": None}
        users = (await admin.get("/admin/users", params={"q": fan["email"]})).json()["items"]
        assert users[0]["suspended_until"] == "permanent" and users[0]["warnings"] == 1
        assert (await admin.post(f"/admin/users/{uid}/lift-suspension")).json() == {"lifted": 2}
        await admin.post(f"/admin/users/{uid}/block")
        await admin.post(f"/admin/users/{uid}/unblock")
        me = (await admin.get("/me")).json()["user"]["id"]
        myself = await admin.post(f"/admin/users/{me}/suspend", json={"level": 1, "reason": "x"})
        assert myself.status_code == 422 and "cannot suspend themselves" in myself.text
        missing = await admin.post("/admin/users/999999/block")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_user"

        audit = (await admin.get("/admin/audit")).json()
    actions = [entry["action"] for entry in audit["items"]]
    assert actions == [
        "unblock", "block", "lift_suspensions", "suspend", "suspend", "warn", "set_plan"
    ]  # fmt: skip
    assert all(entry["user_id"] == uid for entry in audit["items"])
    assert {(e["user_email"], e["admin_email"]) for e in audit["items"]} == {
        (fan["email"], "boss@example.com")
    }  # named, so the page needs no second request
    assert audit["items"][3]["details"] == {"level": 7, "reason": "x"}
    assert audit["items"][4]["details"] == {"level": 2, "reason": "spam"}


@pytest.mark.parametrize("action", ["suspend", "end"])
async def test_a_live_stream_ends_when_an_admin_steps_in(settings: Settings, action: str) -> None:
    settings = settings.replace(minute_tick_s=0.3)
    async with running_studio(settings) as studio, studio.client() as admin:
        await sign_up(admin, "boss@example.com", plan="free", settings=settings, role="admin")
        page = await connect_page(studio.api, PictureTrack(moving_person_frames(640, 360, 30)))
        live = await studio.api.post(f"/sessions/{page.session_id}/live", json={"kind": "record"})
        assert live.status_code == 200, live.text
        [stream] = (await admin.get("/admin/streams")).json()["items"]
        assert stream["email"] == "streamer@example.com"
        if action == "suspend":
            body = {"level": 1, "reason": "rule 3"}
            await admin.post(f"/admin/users/{stream['user_id']}/suspend", json=body)
            expected = "this account was suspended"
        else:
            assert (await admin.post(f"/admin/streams/{stream['id']}/end")).status_code == 202
            expected = "an admin ended this stream"

        async def ended() -> bool:
            stats = (await studio.api.get(f"/sessions/{page.session_id}/stats")).json()
            return not stats["live"]

        await wait_until(ended, timeout=10)
        stats = (await studio.api.get(f"/sessions/{page.session_id}/stats")).json()
        assert expected in stats["error"]
        assert (await admin.get("/admin/streams")).json()["total"] == 0
        await page.close()


async def test_admins_see_warnings_and_what_each_stream_cost(settings: Settings) -> None:
    import logging

    from control.db import Database
    from control.models import ComputeUsage

    settings = settings.replace(minute_tick_s=0.5)
    async with running_studio(settings) as studio, studio.client() as admin:
        await sign_up(admin, "boss@example.com", plan="free", settings=settings, role="admin")
        logging.getLogger("streamer.test").warning("the camera of %s hiccupped", "someone")

        async def logged() -> bool:
            logs = (await admin.get("/admin/logs", params={"level": "warning"})).json()
            return any("hiccupped" in item["message"] for item in logs["items"])

        await wait_until(logged, timeout=5)
        page = await connect_page(studio.api, PictureTrack(moving_person_frames(640, 360, 30)))
        live = await studio.api.post(f"/sessions/{page.session_id}/live", json={"kind": "record"})
        assert live.status_code == 200

        async def streamed() -> bool:
            stats = (await studio.api.get(f"/sessions/{page.session_id}/stats")).json()
            return stats.get("live_seconds", 0) >= 2

        await wait_until(streamed, timeout=10)
        await studio.api.post(f"/sessions/{page.session_id}/stop")
        usage = (await admin.get("/admin/usage", params={"days": 1})).json()
        bad = await admin.get("/admin/logs", params={"level": "chatter"})
        await page.close()
    assert bad.status_code == 422
    [row] = [u for u in usage["users"] if u["email"] == "streamer@example.com"]
    # Charged from when the destination took the stream; the stats count from Go live.
    assert row["streams"] == 1 and row["seconds"] >= 1 and row["process_cpu_s"] > 0
    db = Database(settings.database)
    with db.read() as session:
        [cost] = session.query(ComputeUsage).all()
    db.close()
    assert cost.frames_out > 40 and cost.encoder == "libx264" and cost.live_seconds > 1.5


async def test_users_see_their_own_warnings_and_suspension(settings: Settings) -> None:
    async with running_studio(settings) as studio, studio.client() as admin:
        await sign_up(admin, "boss@example.com", plan="free", settings=settings, role="admin")
        async with studio.client() as fan:
            await sign_up(fan, "fan@example.com")
            clean = (await fan.get("/me")).json()["standing"]
            assert clean == {"suspension": None, "warnings": []}
            uid = (await fan.get("/me")).json()["user"]["id"]
            await admin.post(f"/admin/users/{uid}/warn", json={"message": "keep it friendly"})
            await admin.post(f"/admin/users/{uid}/suspend", json={"level": 1, "reason": "spam"})
            standing = (await fan.get("/me")).json()["standing"]
        assert standing["suspension"]["reason"] == "spam"
        assert standing["suspension"]["permanent"] is False and standing["suspension"]["until"]
        assert [w["message"] for w in standing["warnings"]] == ["keep it friendly"]
