"""The web app's pages in Debian Chromium: My Avatars and the account page, as a streamer
uses them, with axe-core checking each view."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from control.accounts import create_user
from control.clock import utcnow
from control.db import Database
from control.models import Background, BackgroundCategory
from tests.support.accessibility import serious_violations
from tests.support.avatar_colours import ROBOT, decoded_frames, robot_orange, shows_background
from tests.support.browser import (
    DESKTOP,
    PASSWORD,
    PHONE,
    StudioProcess,
    chromium,
    close_tab,
    new_tab,
    serve_studio,
    sign_in,
    sign_up,
)
from tests.support.control import change_plan
from tests.support.media import ASTRONAUT, ffprobe
from tests.support.nginx import NginxRtmp

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MAGENTA = (0xC0, 0x30, 0x50)

# Every text a progress line showed, kept as the page changes: progress on loopback is too
# quick to catch by looking at the page at one moment.
RECORD_PROGRESS_JS = """() => {
  window.progressSeen = [];
  const content = document.getElementById("content");
  new MutationObserver(() => {
    for (const el of content.querySelectorAll("#upload-note, .status-line")) {
      if (el.textContent) window.progressSeen.push(el.textContent.trim());
    }
  }).observe(content, { subtree: true, childList: true, characterData: true });
}"""


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioProcess]:
    root = tmp_path_factory.mktemp("app-studio")
    yield from serve_studio(root, {"VIDA_RESOLUTION": "640x360", "VIDA_SCENE": "camera"})


def open_view(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=2, name=name)).to_be_focused()


def test_a_streamer_signs_up_uploads_an_avatar_and_goes_live_with_it(
    avatar_studio: StudioProcess, fake_webcam: Path, nginx: NginxRtmp
) -> None:
    """The issue's main journey: sign up → upload (progress, then the thumbnail) → set active
    (the badge moves, a second tab follows) → add a destination → go live into nginx-rtmp →
    minutes count down → stop; then delete the avatar."""
    studio = avatar_studio
    with chromium(fake_webcam) as browser:
        page = new_tab(browser)
        sign_up(page, studio, "uploader@example.com")
        change_plan(studio.database, "uploader@example.com", "reply_guy")  # as a payment would
        open_view(page, "My Avatars")
        expect(page.locator("#avatar-slots")).to_contain_text("0 of 3 avatars · Reply Guy plan")
        expect(page.get_by_text("No avatars yet.")).to_be_visible()
        assert serious_violations(page) == []

        page.evaluate(RECORD_PROGRESS_JS)
        page.get_by_label("Upload a GLB or VRM file").set_input_files(ROBOT)
        page.locator('[data-view="avatars"]').get_by_label("Name (optional)").fill("Robot")
        page.get_by_role("button", name="Upload", exact=True).click()
        card = page.locator(".card", has_text="Robot")
        expect(card.get_by_role("img", name="Robot, as it looks")).to_be_visible(timeout=30_000)
        assert card.get_by_role("img").evaluate("img => img.naturalWidth") == 256
        expect(card.locator(".status-line")).to_have_text("Ready")
        seen = page.evaluate("window.progressSeen")
        assert any(text.startswith("Uploading RobotExpressive.glb") for text in seen), seen
        assert any(text.startswith("Processing") for text in seen), seen  # pushed, then shown

        second = new_tab(page.context)  # another tab of the same browser: signed in already
        second.goto(studio.url + "#/avatars")
        second_card = second.locator(".card", has_text="Robot")
        expect(second_card.get_by_role("button", name="Set active: Robot")).to_be_enabled()

        card.get_by_role("button", name="Set active: Robot").click()
        expect(card.get_by_role("button", name="Active: Robot")).to_be_disabled()
        expect(page.get_by_role("heading", name="Active avatar")).to_be_focused()
        expect(page.locator("#active-body")).to_contain_text("Robot")
        moving = page.get_by_label("Robot, moving as when nothing is tracked")
        expect(moving).to_be_visible()  # its idle-motion clip plays in the card
        page.wait_for_function(
            "document.querySelector('#active-body video').currentTime > 0.2", timeout=15_000
        )
        # The other tab hears it at once, without a reload.
        expect(second_card.locator(".badge")).to_have_text("Active")
        expect(second_card.get_by_role("button", name="Active: Robot")).to_be_disabled()
        assert serious_violations(page) == []

        page.get_by_label("Upload a GLB or VRM file").set_input_files(
            {"name": "broken.glb", "mimeType": "model/gltf-binary", "buffer": b"glTF" + bytes(40)}
        )
        page.get_by_role("button", name="Upload", exact=True).click()
        failed = page.locator(".card", has_text="broken").locator(".status-line")
        expect(failed).to_contain_text("Failed:", timeout=30_000)  # and says why
        assert len(failed.inner_text()) > len("Failed: ") + 10, failed.inner_text()

        open_view(page, "Destinations")
        form = page.locator('[data-view="destinations"] form').first
        form.get_by_label("Custom RTMP server").check()
        form.get_by_label("Server URL").fill(nginx.url())
        form.get_by_label("Stream key", exact=True).fill("journey")
        form.get_by_label("Name (optional)").fill("Test server")
        form.get_by_role("button", name="Save destination").click()
        expect(page.locator('[data-view="destinations"]')).to_contain_text("••••rney")

        open_view(page, "Studio")
        studio_view = page.locator('[data-view="studio"]')
        expect(studio_view.get_by_role("checkbox", name="Test server (default)")).to_be_checked()
        expect(studio_view.locator("#look-avatar")).to_have_text("Robot")
        studio_view.get_by_label("Output size").select_option("360p")
        studio_view.get_by_role("button", name="Start camera").click()
        expect(page.locator("#status")).to_have_text("Connected: ready to go live", timeout=30_000)
        studio_view.get_by_role("button", name="Go live").click()
        expect(page.locator("#status")).to_have_text("Live", timeout=15_000)
        left = page.locator('[data-stat="minutes_left"]')
        expect(left).to_contain_text("min")
        first_reading = left.inner_text()
        expect(left).not_to_have_text(first_reading, timeout=10_000)  # counting down
        studio_view.get_by_role("button", name="Stop", exact=True).click()
        expect(page.locator("#status")).to_contain_text("Stopped after")

        open_view(page, "My Avatars")
        card.get_by_role("button", name="Delete Robot").click()
        dialog = page.get_by_role("dialog", name="Delete this avatar?")
        expect(dialog).to_contain_text("streams go back to VIDA's default avatar")
        dialog.get_by_role("button", name="Delete").click()
        expect(card).to_have_count(0)
        expect(page.locator("#active-body")).to_contain_text("VIDA's default avatar")
        expect(second.locator(".card", has_text="Robot")).to_have_count(0)  # the other tab too
        assert page.console_errors == [] and second.console_errors == []  # type: ignore[attr-defined]
        close_tab(second)
        close_tab(page)
    frames = decoded_frames(nginx.recording("journey"))
    assert frames and max(robot_orange(rgb) for _, rgb in frames) > 0.02  # the robot went out


def test_a_free_streamer_fills_the_one_avatar_slot(
    studio: StudioProcess, fake_webcam: Path
) -> None:
    with chromium(fake_webcam) as browser:
        page = new_tab(browser, PHONE)  # and at phone width
        sign_up(page, studio, "free@example.com")
        page.goto(studio.url + "#/avatars")
        expect(page.locator("#avatar-slots")).to_contain_text("0 of 1 avatar · Free plan")
        expect(page.locator("#upload-note")).to_contain_text("The Free plan has no custom avatars")
        expect(page.get_by_role("button", name="Upload", exact=True)).to_be_disabled()
        page.get_by_role("button", name="Add VIDA").click()
        card = page.locator(".card", has_text="VIDA")
        expect(card.locator(".status-line")).to_have_text("Ready", timeout=30_000)
        expect(page.locator("#avatar-slots")).to_contain_text(
            "1 of 1 avatar · Free plan · all used: delete one to add another"
        )
        expect(page.locator(".preset", has_text="VIDA")).to_contain_text("Added")  # once only
        assert serious_violations(page) == []
        assert page.console_errors == []  # type: ignore[attr-defined]
        close_tab(page)


def test_the_account_page_shows_the_plan_usage_and_api_keys(
    studio: StudioProcess, fake_webcam: Path
) -> None:
    with chromium(fake_webcam) as browser:
        page = new_tab(browser)
        sign_up(page, studio, "subscriber@example.com")
        open_view(page, "Account")
        expect(page.locator("#plan-body")).to_contain_text("Free plan")
        expect(page.locator("#keys-body")).to_contain_text("no API access")
        expect(page.locator("#plans-table th.current")).to_contain_text("Free")
        expect(page.locator("#usage-chart .bar")).to_have_count(28)
        assert serious_violations(page) == []

        page.get_by_label("Current password").fill("wrong password here")
        page.get_by_label("New password").fill("another long secret")
        page.get_by_role("button", name="Change password").click()
        note = page.locator(".password-form [role=status]")
        expect(note).to_have_text("The current password is not right")  # beside the form
        page.get_by_label("Current password").fill(PASSWORD)
        page.get_by_role("button", name="Change password").click()
        expect(page.get_by_role("status").filter(has_text="Password changed")).to_be_visible()

        change_plan(studio.database, "subscriber@example.com", "spartan")
        page.reload()
        expect(page.locator("#plan-body")).to_contain_text("Renews on")
        page.get_by_role("button", name="Stop renewing").click()
        expect(page.locator("#plan-body")).to_contain_text("then the Free plan")
        page.get_by_role("button", name="Keep renewing").click()
        expect(page.locator("#plan-body")).to_contain_text("Renews on")

        page.get_by_label("Name a new key").fill("chat bot")
        page.get_by_role("button", name="Make key").click()
        key = page.locator("#new-key code")
        expect(key).to_contain_text("vida_")
        full_key = key.inner_text()
        answer = page.request.get(
            studio.url + "api/v1/me", headers={"Authorization": f"Bearer {full_key}"}
        )
        assert answer.ok and answer.json()["user"]["email"] == "subscriber@example.com"
        expect(page.locator(".keys li")).to_contain_text("chat bot")
        assert full_key not in page.locator(".keys").inner_text()  # shown once, above only
        page.once("dialog", lambda dialog: dialog.accept())  # "Delete the key …?"
        page.get_by_role("button", name="Delete key chat bot").click()
        expect(page.locator("#keys-body")).to_contain_text("No keys yet.")
        assert serious_violations(page) == []
        # Only the browser's own line for the wrong password the test sent on purpose.
        assert page.console_errors == [  # type: ignore[attr-defined]
            "Failed to load resource: the server responded with a status of 422 "
            "(Unprocessable Entity)"
        ]
        close_tab(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_sign_in_and_the_studio_pass_the_accessibility_check(
    studio: StudioProcess, fake_webcam: Path, viewport: dict[str, int]
) -> None:
    with chromium(fake_webcam) as browser:
        page = new_tab(browser, viewport)
        page.goto(studio.url)
        expect(page.get_by_role("heading", name="Sign in to stream")).to_be_visible()
        assert serious_violations(page) == []
        page.keyboard.press("Tab")  # the first stop is the skip link, shown when focused
        skip = page.get_by_role("link", name="Skip to content")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
        sign_in(page)
        page.get_by_role("button", name="Start camera").click()
        expect(page.locator("#status")).to_have_text("Connected: ready to go live", timeout=20_000)
        assert serious_violations(page) == []
        page.goto(studio.url + "#/avatars")
        skip.focus()
        page.keyboard.press("Enter")  # lands in the page, and stays on the same view
        expect(page.locator("#content")).to_be_focused()
        expect(page.get_by_role("heading", name="My Avatars")).to_be_visible()
        assert page.console_errors == []  # type: ignore[attr-defined]
        close_tab(page)


@pytest.fixture(scope="module")
def avatar_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioProcess]:
    root = tmp_path_factory.mktemp("app-avatar-studio")
    yield from serve_studio(root, {"VIDA_RESOLUTION": "1920x1080", "VIDA_SCENE": "avatar"})


def test_the_studio_goes_live_with_the_chosen_size_look_and_saved_destination(
    avatar_studio: StudioProcess, fake_webcam: Path, nginx: NginxRtmp
) -> None:
    db = Database(avatar_studio.database)
    create_user(db, "regular@example.com", PASSWORD, utcnow(), plan="reply_guy")  # up to 720p
    db.close()
    with chromium(fake_webcam) as browser:
        page = new_tab(browser)
        page.goto(avatar_studio.url)
        sign_in(page, "regular@example.com")
        api = page.request
        saved = api.post(avatar_studio.url + "api/v1/destinations", data={
            "name": "Test server", "platform": "custom", "server_url": nginx.url(),
            "stream_key": "chosen",
        })  # fmt: skip
        assert saved.ok, saved.text()
        magenta = {"kind": "color", "value": "#c03050", "name": "Magenta"}
        assert api.post(avatar_studio.url + "api/v1/backgrounds", data=magenta).ok
        page.reload()  # the studio view reads the user's choices when shown

        expect(page.get_by_label("Saved", exact=True)).to_be_checked()
        expect(page.get_by_role("checkbox", name="Test server (default)")).to_be_checked()
        expect(page.locator("#saved-limit")).to_contain_text("1 destination at a time")
        sizes = page.get_by_label("Output size")
        expect(sizes.locator("option:disabled")).to_have_text(["1080p — Spartan and above"])
        expect(page.locator("#plan-features")).to_contain_text("Hands: off — from Spartan")
        sizes.select_option("360p")
        page.get_by_label("Background", exact=True).select_option(label="Magenta (yours)")
        expect(page.locator("#look-note")).to_contain_text("Saved")
        page.get_by_label("Framing").select_option("head")
        expect(page.get_by_label("Framing")).to_have_value("head")
        assert serious_violations(page) == []

        page.get_by_role("button", name="Start camera").click()
        expect(page.locator("#status")).to_have_text("Connected: ready to go live", timeout=30_000)
        expect(sizes).to_be_disabled()  # fixed for this session
        page.get_by_role("button", name="Go live").click()
        expect(page.locator("#status")).to_have_text("Live", timeout=15_000)
        expect(page.locator('[data-stat="output_fps"]')).not_to_have_text("–")
        page.get_by_role("button", name="Stop", exact=True).click()
        expect(page.locator("#status")).to_contain_text("Stopped after")
        assert page.console_errors == []  # type: ignore[attr-defined]
        close_tab(page)
    probe = ffprobe(nginx.recording("chosen"))
    assert (probe.width, probe.height) == (640, 360)
    frames = decoded_frames(nginx.recording("chosen"))
    assert frames and all(shows_background(rgb, MAGENTA) for _, rgb in frames[-5:])


def test_a_locked_background_says_which_plan_unlocks_it(
    studio: StudioProcess, fake_webcam: Path
) -> None:
    db = Database(studio.database)
    with db.write() as session:
        space = BackgroundCategory(name="Space")
        session.add(space)
        session.flush()
        session.add(
            Background(
                category_id=space.id, name="Nebula", kind="color", value="#221144",
                required_plan="spartan", created_at=utcnow(),
            )
        )  # fmt: skip
    db.close()
    with chromium(fake_webcam) as browser:
        page = new_tab(browser)
        sign_up(page, studio, "painter@example.com")
        open_view(page, "Backgrounds")
        nebula = page.locator(".bg-tile", has_text="Nebula")
        expect(nebula).to_contain_text("Needs Spartan")
        expect(nebula.get_by_role("button", name="Use Nebula")).to_have_count(0)
        assert serious_violations(page) == []

        view = page.locator('[data-view="backgrounds"]')
        view.get_by_label("Picture file").set_input_files(ASTRONAUT)
        view.get_by_role("button", name="Upload picture").click()
        expect(view.locator("#bg-upload-note")).to_contain_text("Uploaded")
        mine = page.locator(".bg-tile", has_text=ASTRONAUT.stem)
        expect(mine.locator("img")).to_be_visible()
        assert mine.locator("img").evaluate("img => img.naturalWidth") > 0  # decorative: alt=""

        other = new_tab(page.context)  # a second tab follows the choice without a reload
        other.goto(studio.url + "#/backgrounds")
        expect(other.locator(".bg-tile", has_text=ASTRONAUT.stem)).to_be_visible()
        mine.get_by_role("button", name=f"Use {ASTRONAUT.stem}").click()
        expect(page.locator(".current-background")).to_contain_text(ASTRONAUT.stem)
        expect(other.locator(".bg-tile.in-use")).to_contain_text(ASTRONAUT.stem)

        view.get_by_label("Picture file").set_input_files(
            {"name": "notes.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\nnot really"}
        )
        view.get_by_role("button", name="Upload picture").click()
        expect(view.get_by_role("alert")).to_contain_text("picture")
        mine.get_by_role("button", name=f"Delete {ASTRONAUT.stem}").click()
        dialog = page.get_by_role("dialog", name="Delete this background?")
        expect(dialog).to_contain_text("streams go back to the studio's default background")
        dialog.get_by_role("button", name="Keep it").click()
        expect(mine).to_be_visible()  # kept
        mine.get_by_role("button", name=f"Delete {ASTRONAUT.stem}").click()
        dialog.get_by_role("button", name="Delete").click()
        expect(mine).to_have_count(0)
        expect(other.locator(".bg-tile.in-use")).to_have_count(0)  # back to the default there too
        assert page.console_errors == [] or all("422" in e for e in page.console_errors)  # type: ignore[attr-defined]
        close_tab(other)
        close_tab(page)
