"""Backgrounds over the real API: the catalogue with plan locks, and a user's own."""

from __future__ import annotations

import pytest

from config import Settings
from control.clock import utcnow
from control.db import Database
from control.models import Background, BackgroundCategory
from tests.support.media import ASTRONAUT
from tests.support.studio import running_studio, sign_up

pytestmark = pytest.mark.slow


async def test_the_catalogue_shows_which_plan_unlocks_a_background(settings: Settings) -> None:
    async with running_studio(settings) as studio, studio.client() as free:
        db = Database(settings.database)
        with db.write() as session:
            space = BackgroundCategory(name="Space")
            session.add(space)
            session.flush()
            for name, plan in (("Stars", "free"), ("Nebula", "spartan")):
                session.add(
                    Background(
                        category_id=space.id, name=name, kind="image", value="/srv/x.png",
                        required_plan=plan, created_at=utcnow(),
                    )
                )  # fmt: skip
        db.close()
        await sign_up(free, "free@example.com")
        items = (await free.get("/backgrounds")).json()["items"]
        goat_items = (await studio.api.get("/backgrounds")).json()["items"]
    assert {
        (b["name"], b["category"], b["locked"], b["unlocked_by"])
        for b in items
        if b["category"] != "VIDA"  # the stock colours every studio seeds
    } == {
        ("Stars", "Space", False, "free"),
        ("Nebula", "Space", True, "spartan"),
    }
    assert not any(b["locked"] for b in goat_items)
    assert all("value" not in b for b in items)  # no server paths handed out


async def test_own_colours_chroma_and_images_are_checked_and_private(settings: Settings) -> None:
    async with running_studio(settings) as studio, studio.client() as stranger:
        api = studio.api
        blue = await api.post("/backgrounds", json={"kind": "color", "value": "#1E90FF"})
        assert blue.status_code == 201 and blue.json()["colour"] == "#1e90ff"
        chroma = await api.post("/backgrounds", json={"kind": "chroma"})
        assert chroma.json()["colour"] == "#00b140"
        bad = await api.post("/backgrounds", json={"kind": "color", "value": "blue"})
        assert bad.status_code == 422 and "#1e90ff" in bad.text
        photo = await api.post(
            "/backgrounds/image", params={"name": "Launch pad"}, content=ASTRONAUT.read_bytes()
        )
        assert photo.status_code == 201 and photo.json()["kind"] == "image"
        text = await api.post("/backgrounds/image", content=b"GIF89a not allowed")
        assert text.status_code == 422 and "PNG or JPEG" in text.text
        cut = await api.post("/backgrounds/image", content=ASTRONAUT.read_bytes()[:5000])
        assert cut.status_code == 422 and "picture" in cut.json()["error"]["message"]
        assert len(list((settings.data_dir / "backgrounds").iterdir())) == 1  # refused: gone
        picture = await api.get(f"/backgrounds/{photo.json()['id']}/picture")
        assert picture.status_code == 200 and picture.content == ASTRONAUT.read_bytes()

        await sign_up(stranger, "stranger@example.com")
        seen = (await stranger.get("/backgrounds")).json()["items"]
        assert [b for b in seen if b["category"] != "VIDA"] == []  # nothing of the other user
        stolen = await stranger.delete(f"/backgrounds/{photo.json()['id']}")
        assert stolen.status_code == 404
        peeked = await stranger.get(f"/backgrounds/{photo.json()['id']}/picture")
        assert peeked.status_code == 404
        assert (await api.delete(f"/backgrounds/{photo.json()['id']}")).status_code == 204
        assert not list((settings.data_dir / "backgrounds").iterdir())
        mine = (await api.get("/backgrounds")).json()["items"]
    assert [(b["name"], b["own"], b["category"]) for b in mine if b["own"]] == [
        ("#00b140", True, "Mine"),
        ("#1e90ff", True, "Mine"),
    ]
