"""Debian Chromium driven by Playwright, against ``vida serve`` running as a real process."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.support.nginx import free_port, wait_for_port

T = TypeVar("T")
CHROMIUM = "/usr/bin/chromium"
STREAMER = "streamer@example.com"  # on the goat plan: streams for hours, several at once
PASSWORD = "correct horse battery"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass
class StudioProcess:
    """``vida serve`` running as a real process; its log is kept for inspection."""

    url: str
    log: Path
    data_dir: Path

    @property
    def database(self) -> str:
        """The studio's SQLite database URL."""
        return f"sqlite:///{self.data_dir / 'vida.db'}"


def serve_studio(root: Path, settings: dict[str, str]) -> Iterator[StudioProcess]:
    """``vida serve`` with the streamer's account, until the generator is closed."""
    port = free_port()
    env = os.environ | {
        "VIDA_PORT": str(port),
        "VIDA_DATA_DIR": str(root / "data"),
        "VIDA_FPS": "30",
        "VIDA_ICE_HOST_ADDRESSES": "127.0.0.1",
        "VIDA_RTMP_RETRY_DELAYS_S": "0.3,0.3",
        "VIDA_MAX_SESSIONS": "16",  # tabs of earlier tests may still be closing
        "VIDA_MINUTE_TICK_S": "1",
        **settings,
    }
    vida = Path(sys.executable).parent / "vida"
    subprocess.run(
        [vida, "admin", "create-user", STREAMER, "--plan", "goat"],
        env=env | {"VIDA_ADMIN_PASSWORD": PASSWORD},
        check=True,
        capture_output=True,
    )
    log = root / "studio.log"
    with log.open("wb") as out:
        process = subprocess.Popen([vida, "serve"], env=env, stdout=out, stderr=out)
    try:
        wait_for_port(port, timeout=30)
        yield StudioProcess(f"http://127.0.0.1:{port}/", log, root / "data")
    finally:
        process.terminate()
        process.wait(15)


@contextlib.contextmanager
def chromium(fake_webcam: Path) -> Iterator[Browser]:
    """Debian Chromium with ``fake_webcam`` (a Y4M) as its camera and a fake microphone."""
    if not shutil.which(CHROMIUM):
        pytest.fail("Debian chromium is not installed: run scripts/setup.sh test")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={fake_webcam}",
                "--allow-loopback-in-peer-connection",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-sandbox",
                "--disable-gpu",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


def new_tab(browser_or_context, viewport: dict[str, int] = DESKTOP) -> Page:
    """A page that records its console errors in ``page.console_errors``."""
    if isinstance(browser_or_context, Browser):
        page = browser_or_context.new_context(viewport=viewport).new_page()
    else:
        page = browser_or_context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda m: m.type == "error" and page.console_errors.append(m.text),  # type: ignore[attr-defined]
    )
    return page


def close_tab(page: Page) -> None:
    """Close as a tab closes: the page says goodbye first."""
    with contextlib.suppress(PlaywrightError):  # the test may have closed it already
        page.close(run_before_unload=True)


def sign_in(page: Page, email: str = STREAMER, password: str = PASSWORD) -> None:
    """Fill the sign-in form, as a streamer does."""
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#who")).to_have_text(email)


def sign_up(page: Page, studio: StudioProcess, email: str) -> None:
    """Open the studio and create an account (Free plan) in the page, as a newcomer does."""
    page.goto(studio.url)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#who")).to_have_text(email)


def wait_for(check: Callable[[], T | None], timeout: float) -> T:
    """The first truthy answer of ``check()``, asked every 50 ms for up to ``timeout`` s
    (for what the page cannot show: a database row, a file)."""
    deadline = time.monotonic() + timeout
    while not (answer := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s: {check}")
        time.sleep(0.05)
    return answer
