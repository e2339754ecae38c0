"""Screenshots of the studio page at desktop and phone width, for docs/screenshots/.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]

Runs a real studio and Debian Chromium with the fake webcam of the tests, goes live to a
local recording, and saves what a streamer sees before signing in and while live.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.media import moving_person_frames, write_y4m
from tests.support.nginx import free_port, wait_for_port

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


def main() -> int:
    """Take the screenshots."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="vida-shots-"))
    webcam = write_y4m(work / "cam.y4m", moving_person_frames(640, 360, 60), fps=30)
    port = free_port()
    env = os.environ | {"VIDA_PORT": str(port), "VIDA_DATA_DIR": str(work / "data")}
    env["VIDA_ICE_HOST_ADDRESSES"] = "127.0.0.1"
    vida = Path(sys.executable).parent / "vida"
    password = "correct horse battery"
    subprocess.run(
        [vida, "admin", "create-user", "streamer@example.com", "--plan", "spartan"],
        env=env | {"VIDA_ADMIN_PASSWORD": password},
        check=True,
    )
    studio = subprocess.Popen([vida, "serve"], env=env)
    try:
        wait_for_port(port, timeout=30)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-video-capture={webcam}",
                    "--allow-loopback-in-peer-connection",
                    "--no-sandbox",
                ],
            )
            for name, (width, height) in SIZES.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(f"http://127.0.0.1:{port}/")
                expect(page.get_by_role("button", name="Sign in")).to_be_visible()
                page.screenshot(path=out / f"studio-start-{name}.png", full_page=True)
                page.get_by_label("E-mail address").fill("streamer@example.com")
                page.get_by_label("Password").fill(password)
                page.get_by_role("button", name="Sign in").click()
                page.get_by_role("button", name="Start camera").click()
                expect(page.locator('[data-stat="tracking_found"]')).to_contain_text(
                    "face", timeout=20_000
                )
                page.get_by_label("Show tracking on the preview").check()
                page.get_by_role("button", name="Calibrate").click()
                page.get_by_label("Record to file").check()
                page.get_by_role("button", name="Start recording").click()
                expect(page.locator("#status")).to_have_text("Recording", timeout=15_000)
                expect(page.locator('[data-stat="live_seconds"]')).to_have_text(
                    "3 s", timeout=15_000
                )
                page.screenshot(path=out / f"studio-live-{name}.png", full_page=True)
                page.get_by_role("button", name="Stop").click()
                page.close(run_before_unload=True)
            browser.close()
    finally:
        studio.terminate()
        studio.wait(15)
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
