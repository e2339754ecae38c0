"""The Destinations view in Debian Chromium: a streamer saves where they stream (X, YouTube,
Twitch or any RTMP server), edits, picks the default and deletes, and the stream key never
comes back to the page once saved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from control import destinations
from control.accounts import find_user
from control.db import Database
from control.destinations import KeyBox
from tests.support.accessibility import serious_violations
from tests.support.browser import (
    DESKTOP,
    PHONE,
    StudioProcess,
    chromium,
    close_tab,
    new_tab,
    serve_studio,
    sign_in,
    sign_up,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

YOUTUBE_KEY = "yt-SENTINEL-key-abcd"
CUSTOM_KEY = "own-SENTINEL-key-9876"
YOUTUBE_URL = "rtmps://a.rtmps.youtube.com:443/live2"
# Chromium reports every 4xx answer in the console, the ones the test asks for included.
REFUSED = re.compile(r"Failed to load resource: the server responded with a status of 422")


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioProcess]:
    root = tmp_path_factory.mktemp("destinations-studio")
    yield from serve_studio(root, {"VIDA_RESOLUTION": "640x360", "VIDA_SCENE": "camera"})


def open_destinations(page: Page) -> Locator:
    """The view, reached from the main navigation; answers its form."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Destinations").click()
    expect(page.get_by_role("heading", level=2, name="Destinations")).to_be_focused()
    return page.locator("#dest-form")


def card(page: Page, name: str) -> Locator:
    return page.locator(".dest-card", has=page.get_by_role("heading", name=name))


def saved(page: Page, studio: StudioProcess) -> dict[str, dict]:
    """The user's destinations as the API answers them, by name."""
    answer = page.request.get(studio.url + "api/v1/destinations")
    assert answer.ok, answer.text()
    return {d["name"]: d for d in answer.json()["items"]}


def saved_key(studio: StudioProcess, email: str, destination_id: int) -> str:
    """The stream key as going live would decrypt it."""
    db = Database(studio.database)
    try:
        box = KeyBox.from_file(studio.data_dir / "secret.key")
        return destinations.unlock(db, box, find_user(db, email).id, destination_id)[2]
    finally:
        db.close()


def only_refusals(page: Page, count: int) -> None:
    errors = page.console_errors  # type: ignore[attr-defined]
    assert len(errors) == count and all(REFUSED.search(e) for e in errors), errors


def test_save_edit_make_default_and_delete_destinations(
    studio: StudioProcess, fake_webcam: Path, tmp_path: Path
) -> None:
    email = "destinations@example.com"
    with chromium(fake_webcam) as browser:
        page = new_tab(browser, DESKTOP)
        sign_up(page, studio, email)
        form = open_destinations(page)
        expect(page.get_by_text("No destinations yet.")).to_be_visible()
        make_default = form.get_by_label("Make it the default")
        expect(make_default).to_be_checked()  # the first one is, whatever the box says
        expect(make_default).to_be_disabled()
        assert serious_violations(page) == []

        # X: the URL is the streamer's to paste, and the page says where to find it.
        url = form.get_by_label("Server URL")
        form.get_by_label("X (Media Studio Producer)").check()
        expect(form).to_contain_text("Media Studio Producer")
        expect(form).to_contain_text("Sources → RTMP")
        expect(url).to_be_editable()
        expect(url).to_have_value("")

        # YouTube: the preset fills the URL in and locks it.
        form.get_by_label("YouTube").check()
        expect(url).to_have_value(YOUTUBE_URL)
        expect(url).not_to_be_editable()
        expect(form).to_contain_text("YouTube Studio")
        key = form.get_by_label("Stream key", exact=True)
        expect(key).to_have_attribute("type", "password")
        expect(key).to_have_attribute("autocomplete", "off")
        key.fill(YOUTUBE_KEY)
        form.get_by_label("Name (optional)").fill("YouTube main")
        form.get_by_role("button", name="Save destination").click()
        youtube = card(page, "YouTube main")
        expect(youtube).to_contain_text("••••abcd")
        expect(youtube).to_contain_text(YOUTUBE_URL)
        expect(youtube.locator(".badge")).to_have_text("Default")  # the first is the default
        expect(page.locator("#dest-saved")).to_have_text("Saved YouTube main.")
        expect(key).to_have_value("")  # the key left the page with the request
        assert YOUTUBE_KEY not in page.content()
        expect(make_default).to_be_enabled()
        expect(make_default).not_to_be_checked()

        # A custom server, with a bitrate; a URL from a preset does not stay behind.
        form.get_by_label("Custom RTMP server").check()
        expect(url).to_have_value("")
        url.fill("rtmp://ingest.example.com/live")
        key.fill(CUSTOM_KEY)
        form.get_by_role("button", name="Show stream key").click()  # checks what was pasted
        expect(key).to_have_attribute("type", "text")
        form.get_by_label("Name (optional)").fill("Own server")
        form.get_by_label("Bitrate in kb/s (optional)").fill("4500")
        form.get_by_role("button", name="Save destination").click()
        own = card(page, "Own server")
        expect(own).to_contain_text("••••9876")
        expect(own).to_contain_text("4500 kb/s")
        expect(own.locator(".badge")).to_have_count(0)
        expect(key).to_have_attribute("type", "password")  # hidden again for the next one
        html = page.content()
        assert YOUTUBE_KEY not in html and CUSTOM_KEY not in html

        # A URL the server refuses: its words, not a code.
        form.get_by_label("Custom RTMP server").check()
        url.fill("http://x")
        key.fill("k-1234")
        form.get_by_role("button", name="Save destination").click()
        error = form.get_by_role("alert")
        expect(error).to_contain_text("Server URL must start with rtmp:// or rtmps://")
        expect(page.locator(".dest-card")).to_have_count(2)
        assert serious_violations(page) == []

        # Edit the name; the key field stays empty and the saved key is kept.
        before = saved(page, studio)["YouTube main"]
        youtube.get_by_role("button", name="Edit YouTube main").click()
        expect(page.get_by_role("heading", name="Edit YouTube main")).to_be_focused()
        expect(error).to_be_hidden()  # the last attempt's error is gone with its fields
        expect(key).to_have_value("")
        expect(form).to_contain_text(re.compile("leave empty to keep the saved key", re.I))
        expect(url).to_have_value(YOUTUBE_URL)
        expect(make_default).to_be_checked()
        expect(make_default).to_be_disabled()  # the API has no "no default"
        page.screenshot(path=tmp_path / "destinations-desktop.png", full_page=True)
        form.get_by_label("Name (optional)").fill("YouTube gaming")
        form.get_by_role("button", name="Save changes").click()
        expect(card(page, "YouTube gaming")).to_contain_text("••••abcd")
        expect(card(page, "YouTube main")).to_have_count(0)
        expect(page.get_by_role("heading", name="Add a destination")).to_be_visible()
        after = saved(page, studio)["YouTube gaming"]
        assert after["id"] == before["id"] and after["stream_key"] == before["stream_key"]
        assert saved_key(studio, email, after["id"]) == YOUTUBE_KEY

        # One click moves the default (and the default comes first).
        own.get_by_role("button", name="Make default: Own server").click()
        expect(own.locator(".badge")).to_have_text("Default")
        expect(card(page, "YouTube gaming").locator(".badge")).to_have_count(0)
        expect(page.locator(".dest-card").first).to_contain_text("Own server")
        assert saved(page, studio)["Own server"]["is_default"]

        # Delete through the dialog: "Keep it" keeps it, "Delete" deletes it.
        youtube = card(page, "YouTube gaming")
        youtube.get_by_role("button", name="Delete YouTube gaming").click()
        dialog = page.get_by_role("dialog", name="Delete this destination?")
        expect(dialog).to_contain_text("YouTube gaming")
        dialog.get_by_role("button", name="Keep it").click()
        expect(dialog).to_be_hidden()
        expect(page.locator(".dest-card")).to_have_count(2)
        youtube.get_by_role("button", name="Delete YouTube gaming").click()
        dialog.get_by_role("button", name="Delete").click()
        expect(page.locator(".dest-card")).to_have_count(1)
        expect(page.get_by_role("heading", name="Your destinations")).to_be_focused()
        assert list(saved(page, studio)) == ["Own server"]
        assert serious_violations(page) == []
        only_refusals(page, 1)  # the http:// URL
        close_tab(page)


def test_destinations_at_phone_width(
    studio: StudioProcess, fake_webcam: Path, tmp_path: Path
) -> None:
    with chromium(fake_webcam) as browser:
        page = new_tab(browser, PHONE)
        sign_up(page, studio, "phone-destinations@example.com")
        form = open_destinations(page)
        expect(page.get_by_text("No destinations yet.")).to_be_visible()
        assert serious_violations(page) == []

        form.get_by_label("Twitch").check()
        expect(form.get_by_label("Server URL")).to_have_value("rtmp://live.twitch.tv/app")
        form.get_by_label("Stream key", exact=True).fill("live_123_SENTINEL_wxyz")
        form.get_by_label("Bitrate in kb/s (optional)").fill("99")
        form.get_by_role("button", name="Save destination").click()
        expect(form.get_by_role("alert")).to_contain_text("between 300 and 51000")
        form.get_by_label("Bitrate in kb/s (optional)").fill("6000")
        form.get_by_role("button", name="Save destination").click()
        twitch = card(page, "Twitch")  # no name given: the platform's
        expect(twitch).to_contain_text("••••wxyz")
        expect(twitch.locator(".badge")).to_have_text("Default")
        assert "live_123_SENTINEL_wxyz" not in page.content()

        # Nothing is wider than the phone, and keyboard focus is drawn.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        twitch.get_by_role("button", name="Edit Twitch").click()
        expect(form.get_by_label("Stream key", exact=True)).to_have_value("")
        form.get_by_label("Stream key", exact=True).focus()
        page.keyboard.press("Tab")
        reveal = form.get_by_role("button", name="Show stream key")
        expect(reveal).to_be_focused()
        assert reveal.evaluate("b => getComputedStyle(b).outlineStyle") == "solid"
        assert serious_violations(page) == []
        page.screenshot(path=tmp_path / "destinations-phone.png", full_page=True)
        form.get_by_role("button", name="Cancel").click()
        expect(twitch.get_by_role("button", name="Edit Twitch")).to_be_focused()
        expect(page.get_by_role("heading", name="Add a destination")).to_be_visible()

        # Someone else signs in on this page: nothing of the last streamer's is left.
        twitch.get_by_role("button", name="Edit Twitch").click()
        expect(form.get_by_label("Name (optional)")).to_have_value("Twitch")
        page.get_by_role("button", name="Sign out").click()
        sign_in(page)
        page.goto(studio.url + "#/destinations")
        expect(page.get_by_text("No destinations yet.")).to_be_visible()
        expect(page.get_by_role("heading", name="Add a destination")).to_be_visible()
        expect(form.get_by_label("Name (optional)")).to_have_value("")
        only_refusals(page, 1)  # the bitrate of 99
        close_tab(page)
