"""Screenshot every page of the web app at desktop and phone width into docs/screenshots/.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Runs ``vida serve`` in a temporary folder (the avatar scene at 640x360), signs in as a
streamer on the GOAT plan, uploads the shared RobotExpressive avatar and makes it active,
then shows each view in Debian Chromium with the test suite's fake webcam, and the studio
once more while recording. Needs ``scripts/setup.sh test`` and ``../shared``.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from control.accounts import create_user  # noqa: E402
from control.clock import utcnow  # noqa: E402
from control.db import Database  # noqa: E402
from tests.support.avatar_colours import ROBOT  # noqa: E402
from tests.support.browser import (  # noqa: E402
    DESKTOP,
    PASSWORD,
    PHONE,
    chromium,
    close_tab,
    new_tab,
    serve_studio,
    sign_in,
)
from tests.support.media import moving_person_frames, write_y4m  # noqa: E402

VIEWS = ("studio", "avatars", "backgrounds", "destinations", "account")
ADMIN = "admin@example.com"


def prepare(page: Page, url: str, database: str) -> None:
    """Sign in, upload the robot and make it active, save a destination: pages with
    something in them. Also an admin account for the Admin view."""
    db = Database(database)
    create_user(db, ADMIN, PASSWORD, utcnow(), role="admin")
    db.close()
    page.goto(url)
    sign_in(page)
    page.request.post(url + "api/v1/destinations", data={
        "name": "YouTube main", "platform": "youtube", "stream_key": "abcd-efgh-ijkl-mnop",
    })  # fmt: skip
    page.goto(url + "#/avatars")
    page.get_by_label("Upload a GLB or VRM file").set_input_files(ROBOT)
    page.locator('[data-view="avatars"]').get_by_label("Name (optional)").fill("Robot")
    page.get_by_role("button", name="Upload", exact=True).click()
    page.get_by_role("button", name="Set active: Robot").click(timeout=60_000)
    expect(page.get_by_role("button", name="Active: Robot")).to_be_visible()


def shoot(page: Page, url: str, width_name: str, out: Path) -> list[Path]:
    """Every view at the page's width; the studio with its camera connected."""
    shots = []
    page.goto(url)
    expect(page.get_by_role("heading", name="Sign in to stream")).to_be_visible()
    shots.append(out / f"signin-{width_name}.png")
    page.screenshot(path=shots[-1], full_page=True)
    sign_in(page)
    for view in VIEWS:
        page.goto(f"{url}#/{view}")
        if view == "studio":
            page.get_by_role("button", name="Start camera").click()
            ready = "Connected: ready to go live"
            expect(page.locator("#status")).to_have_text(ready, timeout=30_000)
            page.wait_for_function("document.getElementById('preview').videoWidth > 0")
        if view == "avatars":
            expect(page.get_by_role("img", name="Robot, as it looks").first).to_be_visible()
        if view == "account":
            expect(page.locator("#usage-chart .bar")).to_have_count(28)
        if view == "destinations":
            expect(page.locator('[data-view="destinations"] .dest-card').first).to_be_visible()
        if view == "backgrounds":
            expect(page.locator(".bg-tile").first).to_be_visible()
        shots.append(out / f"{view}-{width_name}.png")
        page.screenshot(path=shots[-1], full_page=True)
        if view == "studio":
            page.get_by_label("Record to file").check()
            page.get_by_role("button", name="Start recording").click()
            expect(page.locator("#live-badge")).to_be_visible(timeout=15_000)
            live_fps = page.locator('[data-stat="output_fps"]')
            expect(live_fps).not_to_have_text(re.compile(r"^(–|0 fps)$"), timeout=15_000)
            shots.append(out / f"studio-live-{width_name}.png")
            page.screenshot(path=shots[-1], full_page=True)
            page.get_by_role("button", name="Stop", exact=True).click()
            expect(page.locator("#live-badge")).to_be_hidden()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, ADMIN)
    page.goto(f"{url}#/admin")
    expect(page.get_by_role("button", name="Manage").first).to_be_visible()
    shots.append(out / f"admin-{width_name}.png")
    page.screenshot(path=shots[-1], full_page=True)
    page.get_by_role("button", name="Sign out").click()
    return shots


def main(argv: list[str] | None = None) -> int:
    """Take the screenshots; prints the files written."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        webcam = write_y4m(root / "person.y4m", moving_person_frames(640, 360, 90), fps=30)
        studio = serve_studio(root, {"VIDA_RESOLUTION": "640x360", "VIDA_SCENE": "avatar"})
        process = next(studio)
        try:
            with chromium(webcam) as browser:
                page = new_tab(browser)
                prepare(page, process.url, process.database)
                close_tab(page)
                for width_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                    page = new_tab(browser, viewport)
                    for path in shoot(page, process.url, width_name, args.out):
                        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
                    close_tab(page)
        finally:
            studio.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
