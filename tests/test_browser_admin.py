"""The Admin view in Debian Chromium: an admin finds users, changes their plan, warns,
blocks and suspends them (confirmed first), ends live streams, and reads the plans, usage,
system log and audit log; a streamer suspended while live sees the stream end at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import update

from control.accounts import create_user
from control.clock import utcnow
from control.db import Database
from control.models import StreamSession, SystemLog, User
from tests.support.accessibility import serious_violations
from tests.support.browser import (
    DESKTOP,
    PASSWORD,
    PHONE,
    STREAMER,
    StudioProcess,
    chromium,
    close_tab,
    new_tab,
    serve_studio,
    sign_in,
)
from tests.support.control import add_stream
from tests.support.nginx import NginxRtmp

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STREAM_KEY = "admin-SENTINEL-key"
TABS = ["Users", "Live streams", "Plans", "Usage", "System logs", "Audit log"]


def refusals(status: int) -> re.Pattern[str]:
    """Chromium reports every 4xx answer in the console, the ones a test asks for included."""
    return re.compile(rf"Failed to load resource: the server responded with a status of {status}")


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioProcess]:
    root = tmp_path_factory.mktemp("admin-studio")
    yield from serve_studio(root, {"VIDA_RESOLUTION": "640x360", "VIDA_SCENE": "camera"})


def new_account(studio: StudioProcess, email: str, role: str = "user") -> int:
    """An account made as ``vida admin create-user`` makes one; its id."""
    db = Database(studio.database)
    try:
        return create_user(db, email, PASSWORD, utcnow(), role=role).id
    finally:
        db.close()


def in_database(studio: StudioProcess, *rows: object) -> None:
    db = Database(studio.database)
    try:
        with db.write() as session:
            session.add_all(rows)
    finally:
        db.close()


def open_admin(
    browser: Browser, studio: StudioProcess, email: str, viewport: dict[str, int] = DESKTOP
) -> Page:
    """A new browser context, signed in as the admin ``email``, on the Admin view."""
    page = new_tab(browser, viewport)
    page.goto(studio.url)
    sign_in(page, email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", level=2, name="Admin")).to_be_focused()
    expect(tab(page, "Users")).to_have_attribute("aria-selected", "true")
    return page


def tab(page: Page, name: str) -> Locator:
    return page.get_by_role("tablist", name="Admin sections").get_by_role("tab", name=name)


def show_tab(page: Page, name: str) -> Locator:
    """Click a tab; answers its panel once the panel shows its table."""
    tab(page, name).click()
    panel = page.get_by_role("tabpanel", name=name)
    expect(panel).to_be_visible()
    expect(panel.locator("table thead")).to_be_visible()
    return panel


def find_user(page: Page, text: str) -> Locator:
    """Search the users by e-mail; answers the table's body rows."""
    panel = page.get_by_role("tabpanel", name="Users")
    panel.get_by_label("Search by e-mail").fill(text)
    panel.get_by_role("button", name="Search", exact=True).click()
    expect(panel.get_by_role("status").first).to_contain_text(f"whose address contains “{text}”")
    return panel.locator("tbody tr")


def user_row(page: Page, email: str) -> Locator:
    return page.locator("#admin-panel-users tbody tr", has=page.get_by_text(email, exact=True))


def manage(page: Page, email: str) -> Locator:
    """Open the actions for one user; answers their panel."""
    user_row(page, email).get_by_role("button", name=f"Manage {email}").click()
    region = page.get_by_role("region", name=f"Manage {email}")
    expect(region.get_by_role("heading", name=f"Manage {email}")).to_be_focused()
    return region


def column(rows: Locator, index: int) -> list[str]:
    """The text of one column (0: the row's header cell) of every row."""
    return [
        cells[index]
        for cells in rows.evaluate_all(
            "rows => rows.map((r) => [...r.cells].map((c) => c.innerText.trim()))"
        )
    ]


def test_an_admin_suspends_a_live_streamer_and_the_stream_ends_at_once(
    studio: StudioProcess, fake_webcam: Path, nginx: NginxRtmp
) -> None:
    admin = "moderator@example.com"
    new_account(studio, admin, role="admin")
    with chromium(fake_webcam) as browser:
        streamer = new_tab(browser)
        streamer.goto(studio.url)
        sign_in(streamer)
        streamer.get_by_role("button", name="Start camera").click()
        status = streamer.locator("#status")
        expect(status).to_have_text("Connected: ready to go live", timeout=20_000)
        golive = streamer.get_by_role("region", name="Go live")
        golive.get_by_label("Server URL").fill(nginx.url())
        golive.get_by_label("Stream key").fill(STREAM_KEY)
        golive.get_by_role("button", name="Go live").click()
        expect(status).to_have_text("Live", timeout=15_000)
        streamer.evaluate("window.sameDocument = true")  # gone if the page reloads

        page = open_admin(browser, studio, admin)  # another context: another person
        live = show_tab(page, "Live streams")
        row = live.locator("tbody tr", has_text=STREAMER)
        expect(row).to_contain_text(f"{nginx.url()}/****")  # the key masked by the API
        expect(row).to_contain_text("640×360")
        assert STREAM_KEY not in live.inner_text()

        show_tab(page, "Users")
        expect(find_user(page, "streamer@")).to_have_count(1)
        expect(user_row(page, STREAMER)).to_contain_text("In good standing")
        actions = manage(page, STREAMER)
        expect(actions.get_by_label("Suspension length")).to_have_value("1")
        actions.get_by_label("Reason").fill("Spam in the stream title")
        actions.get_by_role("button", name="Suspend", exact=True).click()
        dialog = page.get_by_role("dialog", name=f"Suspend {STREAMER}?")
        expect(dialog).to_contain_text("No streaming for 1 day, because: Spam in the stream title")
        dialog.get_by_role("button", name="Suspend").click()
        expect(dialog).to_be_hidden()
        expect(actions.get_by_role("status")).to_contain_text(
            f"{STREAMER} is suspended from streaming until"
        )
        expect(user_row(page, STREAMER)).to_contain_text("Suspended until")
        expect(actions.get_by_role("button", name="Lift suspension")).to_be_visible()

        # The streamer's page hears it at the stream's next minute tick, without a reload.
        expect(status).to_have_text("Stream ended", timeout=15_000)
        expect(streamer.locator("#error")).to_contain_text("this account was suspended")
        expect(streamer.locator("#standing")).to_contain_text("Spam in the stream title")
        assert streamer.evaluate("window.sameDocument") is True

        live = show_tab(page, "Live streams")
        expect(live.locator("tbody")).to_have_text("No one is live right now.")
        audit = show_tab(page, "Audit log")
        newest = audit.locator("tbody tr").first
        expect(newest).to_contain_text("Suspended")
        expect(newest).to_contain_text("1 day: Spam in the stream title")
        assert column(audit.locator("tbody tr").first, 1) == [admin]
        assert column(audit.locator("tbody tr").first, 3) == [STREAMER]
        assert serious_violations(page) == []
        assert page.console_errors == [] and streamer.console_errors == []  # type: ignore[attr-defined]
        close_tab(page)
        close_tab(streamer)


def test_a_streamer_has_no_admin_view(studio: StudioProcess, fake_webcam: Path) -> None:
    with chromium(fake_webcam) as browser:
        page = new_tab(browser)
        page.goto(studio.url)
        sign_in(page)
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Account")).to_be_visible()
        expect(nav.get_by_role("link", name="Admin")).to_have_count(0)
        page.goto(studio.url + "#/admin")
        expect(page.get_by_role("button", name="Start camera")).to_be_visible()
        expect(page.locator('[data-view="admin"]')).to_be_hidden()
        expect(page).to_have_title("Studio · VIDA Studio")
        page.reload()  # asked for on arrival too
        expect(page.get_by_role("button", name="Start camera")).to_be_visible()
        expect(page.locator('[data-view="admin"]')).to_be_hidden()
        expect(nav.get_by_role("link", name="Admin")).to_have_count(0)
        assert page.request.get(studio.url + "api/v1/admin/users").status == 403
        assert page.console_errors == []  # type: ignore[attr-defined]
        close_tab(page)


def test_an_admin_pages_plans_warns_blocks_and_lifts_a_suspension(
    studio: StudioProcess, fake_webcam: Path
) -> None:
    admin, target = "boss@example.com", "target@example.com"
    admin_id = new_account(studio, admin, role="admin")
    new_account(studio, target)
    for number in range(22):
        new_account(studio, f"crowd-{number:02}@example.com")
    with chromium(fake_webcam) as browser:
        page = open_admin(browser, studio, admin)
        users = page.get_by_role("tabpanel", name="Users")
        rows = find_user(page, "crowd-")
        expect(rows).to_have_count(20)
        expect(users.get_by_role("status").first).to_contain_text("22 users")
        expect(users.get_by_role("status").first).to_contain_text("page 1 of 2")
        users.get_by_role("button", name="Next page").click()
        expect(rows).to_have_count(2)
        expect(users.get_by_role("button", name="Next page")).to_be_disabled()
        assert column(rows, 0) == ["crowd-01@example.com", "crowd-00@example.com"]  # newest first

        expect(find_user(page, "target@")).to_have_count(1)
        row = user_row(page, target)
        expect(row).to_contain_text("Free")
        actions = manage(page, target)
        result = actions.get_by_role("status")
        expect(row.get_by_role("button", name=f"Manage {target}")).to_have_attribute(
            "aria-expanded", "true"
        )

        actions.get_by_label("Move to plan").select_option(label="Spartan")
        actions.get_by_role("button", name="Change plan").click()
        expect(result).to_have_text(f"{target} is on the Spartan plan now.")
        expect(row.locator("td").first).to_have_text("Spartan")

        actions.get_by_role("button", name="Send warning").click()
        expect(actions.get_by_role("alert")).to_have_text(
            "Write the warning first: the user is shown it."
        )
        actions.get_by_label("Warning message").fill("Keep the chat civil")
        actions.get_by_role("button", name="Send warning").click()
        expect(result).to_contain_text(f"{target} was warned")
        expect(actions.get_by_role("alert")).to_be_hidden()
        expect(row.locator("td").nth(4)).to_have_text("1")  # warnings given

        actions.get_by_role("button", name="Block", exact=True).click()
        dialog = page.get_by_role("dialog", name=f"Block {target}?")
        expect(dialog).to_contain_text("They cannot sign in any more")
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
        expect(row).to_contain_text("In good standing")  # nothing happened
        actions.get_by_role("button", name="Block", exact=True).click()
        dialog.get_by_role("button", name="Block").click()
        expect(result).to_contain_text(f"{target} is blocked")
        expect(row).to_contain_text("Blocked")
        expect(actions.get_by_role("button", name="Unblock")).to_be_focused()
        outsider = browser.new_context().request
        signed = {"email": target, "password": PASSWORD}
        refused = outsider.post(studio.url + "api/v1/auth/login", data=signed)
        assert refused.status == 401 and "blocked" in refused.text()
        actions.get_by_role("button", name="Unblock").click()
        expect(result).to_have_text(f"{target} can sign in again.")
        expect(row).to_contain_text("In good standing")
        assert outsider.post(studio.url + "api/v1/auth/login", data=signed).ok
        outsider.dispose()

        actions.get_by_role("button", name="Suspend", exact=True).click()
        expect(actions.get_by_role("alert")).to_have_text(
            "Write the reason for the suspension: the user is shown it."
        )
        expect(page.get_by_role("dialog")).to_have_count(0)
        actions.get_by_label("Suspension length").select_option(label="Permanent (until lifted)")
        actions.get_by_label("Reason").fill("Ban evasion")
        actions.get_by_role("button", name="Suspend", exact=True).click()
        dialog = page.get_by_role("dialog", name=f"Suspend {target}?")
        expect(dialog).to_contain_text("No streaming until an admin lifts it")
        dialog.get_by_role("button", name="Suspend").click()
        expect(result).to_have_text(f"{target} is suspended from streaming for good.")
        expect(row).to_contain_text("Suspended for good")
        actions.get_by_role("button", name="Lift suspension").click()
        expect(result).to_have_text(f"Suspension lifted: {target} may stream again.")
        expect(row).to_contain_text("In good standing")
        actions.get_by_role("button", name="Close").click()
        expect(actions).to_be_hidden()
        expect(row.get_by_role("button", name=f"Manage {target}")).to_be_focused()

        audit = show_tab(page, "Audit log")
        entries = audit.locator("tbody tr")
        expect(entries.first).to_contain_text("Lifted suspension")
        assert column(entries, 2)[:6] == [
            "Lifted suspension",
            "Suspended",
            "Unblocked",
            "Blocked",
            "Warned",
            "Changed plan",
        ]
        assert column(entries, 4)[:6] == [
            "1 suspension lifted",
            "Permanent (until lifted): Ban evasion",
            "—",
            "—",
            "Keep the chat civil",
            "To Spartan",
        ]
        assert set(column(entries, 1)[:6]) == {admin}
        assert set(column(entries, 3)[:6]) == {target}

        # Every refusal is said in words: this admin loses the role behind the page's back.
        db = Database(studio.database)
        with db.write() as session:
            session.execute(update(User).where(User.id == admin_id).values(role="user"))
        db.close()
        tab(page, "Users").click()
        expect(page.get_by_role("tabpanel", name="Users").get_by_role("alert")).to_have_text(
            "Only admins may do this"
        )
        errors = page.console_errors  # type: ignore[attr-defined]
        assert errors and all(refusals(403).search(e) for e in errors), errors
        close_tab(page)


def test_an_admin_ends_streams_and_reads_logs_and_usage(
    studio: StudioProcess, fake_webcam: Path
) -> None:
    admin = "operator@example.com"
    new_account(studio, admin, role="admin")
    first, second = "idle-one@example.com", "idle-two@example.com"
    db = Database(studio.database)
    add_stream(db, new_account(studio, first), "stream-one", utcnow() - timedelta(minutes=3))
    add_stream(db, new_account(studio, second), "stream-two", utcnow() - timedelta(minutes=1))
    db.close()
    heavy = new_account(studio, "heavy@example.com")
    now = utcnow()
    in_database(
        studio,
        *[
            StreamSession(
                id=f"past-{days}",
                user_id=heavy,
                worker="test",
                width=1280,
                height=720,
                destinations="rtmp://live.example.com/app/****",
                started_at=now - timedelta(days=days),
                lease_expires_at=now - timedelta(days=days) + timedelta(minutes=1),
                ended_at=now - timedelta(days=days) + timedelta(seconds=seconds),
                seconds=seconds,
            )
            for days, seconds in ((2, 600), (20, 1200))
        ],
    )
    in_database(
        studio,
        SystemLog(
            at=now, level="WARNING", logger="test.disk", message="disk almost full", worker="test"
        ),
    )
    in_database(
        studio,
        SystemLog(
            at=now, level="ERROR", logger="test.encoder", message="encoder crashed", worker="test"
        ),
    )

    with chromium(fake_webcam) as browser:
        page = open_admin(browser, studio, admin)
        live = show_tab(page, "Live streams")
        rows = live.locator("tbody tr")
        expect(rows).to_have_count(2)
        assert column(rows, 0) == [second, first]  # newest first
        expect(rows.first).to_contain_text("1280×720")

        live.get_by_role("button", name=f"End stream of {second}").click()
        dialog = page.get_by_role("dialog", name=f"End the stream of {second}?")
        dialog.get_by_role("button", name="End stream").click()
        expect(live.get_by_role("status")).to_have_text(f"The stream of {second} is ending.")
        expect(rows).to_have_count(1)

        # Ended elsewhere while this page still lists it: the refusal is said in words.
        ended = page.request.post(studio.url + "api/v1/admin/streams/stream-one/end")
        assert ended.status == 202
        live.get_by_role("button", name=f"End stream of {first}").click()
        dialog = page.get_by_role("dialog", name=f"End the stream of {first}?")
        dialog.get_by_role("button", name="End stream").click()
        expect(live.get_by_role("alert")).to_have_text("No live stream 'stream-one'")
        expect(live.locator("tbody")).to_have_text("No one is live right now.")

        logs = show_tab(page, "System logs")
        expect(logs.locator("tbody")).to_contain_text("encoder crashed")
        messages = column(logs.locator("tbody tr"), 2)
        # Newest first.
        assert messages.index("encoder crashed") < messages.index("disk almost full")
        logs.get_by_label("Level").select_option(label="Errors")
        expect(logs.locator("tbody")).not_to_contain_text("disk almost full")
        expect(logs.locator("tbody")).to_contain_text("encoder crashed")
        assert set(column(logs.locator("tbody tr"), 1)) == {"error"}

        usage = show_tab(page, "Usage")
        heavy_row = usage.locator("tbody tr", has_text="heavy@example.com")
        expect(heavy_row).to_contain_text("10 min")
        usage.get_by_label("Period").select_option(label="Last 30 days")
        expect(heavy_row).to_contain_text("30 min")  # 600 s + 1200 s
        assert column(heavy_row, 1) == ["2"]

        plans = show_tab(page, "Plans")
        expect(plans.locator("thead")).to_contain_text("Free")
        expect(plans.locator("thead")).to_contain_text("GOAT")
        expect(plans.locator("tbody tr", has_text="Streaming a week")).to_contain_text("15 min")

        audit = show_tab(page, "Audit log")
        assert column(audit.locator("tbody tr"), 2)[:2] == ["Ended stream", "Ended stream"]
        errors = page.console_errors  # type: ignore[attr-defined]
        assert len(errors) == 1 and refusals(404).search(errors[0]), errors
        close_tab(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_admin_view_passes_the_accessibility_check(
    studio: StudioProcess, fake_webcam: Path, viewport: dict[str, int], tmp_path: Path
) -> None:
    admin = f"checker-{viewport['width']}@example.com"
    new_account(studio, admin, role="admin")
    with chromium(fake_webcam) as browser:
        page = open_admin(browser, studio, admin, viewport)
        users = show_tab(page, "Users")
        expect(users.locator("tbody tr").first).to_be_visible()
        assert serious_violations(page) == []

        # The tab list is one stop of the keyboard's tab order; arrows, Home and End move.
        tab(page, "Users").focus()
        page.keyboard.press("ArrowRight")
        expect(tab(page, "Live streams")).to_be_focused()
        expect(tab(page, "Live streams")).to_have_attribute("aria-selected", "true")
        expect(page.get_by_role("tabpanel", name="Live streams")).to_be_visible()
        expect(users).to_be_hidden()
        page.keyboard.press("End")
        expect(tab(page, "Audit log")).to_be_focused()
        page.keyboard.press("ArrowRight")  # round to the first
        expect(tab(page, "Users")).to_be_focused()
        page.keyboard.press("ArrowLeft")
        expect(tab(page, "Audit log")).to_be_focused()
        page.keyboard.press("Home")
        expect(tab(page, "Users")).to_have_attribute("aria-selected", "true")
        page.keyboard.press("Tab")
        expect(users.get_by_label("Search by e-mail")).to_be_focused()

        for name in TABS[1:]:
            show_tab(page, name)
            assert serious_violations(page) == [], name

        show_tab(page, "Users")
        expect(find_user(page, "streamer@")).to_have_count(1)
        # Wide tables scroll inside their box; the page itself never scrolls sideways.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], width
        button = user_row(page, STREAMER).get_by_role("button", name=f"Manage {STREAMER}")
        expect(button).to_be_in_viewport()  # the action column stays in sight
        if viewport == PHONE:
            scroller = page.get_by_role("region", name="Users table", exact=True)
            assert scroller.evaluate("box => box.scrollWidth > box.clientWidth")

        actions = manage(page, STREAMER)
        assert serious_violations(page) == []
        actions.get_by_role("button", name="Block", exact=True).click()
        dialog = page.get_by_role("dialog", name=f"Block {STREAMER}?")
        expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
        assert serious_violations(page) == []
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(user_row(page, STREAMER)).not_to_contain_text("Blocked")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.screenshot(path=tmp_path / f"admin-{viewport['width']}.png", full_page=True)
        assert page.console_errors == []  # type: ignore[attr-defined]
        close_tab(page)
