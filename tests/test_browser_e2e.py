"""The studio page in Debian Chromium with a fake webcam, live into nginx-rtmp."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from tests.support.avatar_colours import (
    ROBOT,
    decoded_frames,
    robot_orange,
    shirt_blue,
    shows_background,
)
from tests.support.browser import (
    PASSWORD,
    StudioProcess,
    chromium,
    close_tab,
    new_tab,
    serve_studio,
    sign_in,
    wait_for,
)
from tests.support.media import ffprobe
from tests.support.nginx import NginxRtmp, free_port, start_nginx

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
STREAM_KEY = "browser_SENTINEL_4c1a"


@pytest.fixture(scope="module")
def studio_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioProcess]:
    # The spine's journeys at 720p30 stream the camera: on 2 cores the browser, tracking, an
    # avatar and x264 at 720p together cannot hold 30 fps (benchmarks/RESULTS.md). The
    # avatar's own journey (``avatar_studio``) runs at 360p.
    root = tmp_path_factory.mktemp("studio")
    yield from serve_studio(root, {"VIDA_RESOLUTION": "1280x720", "VIDA_SCENE": "camera"})


@pytest.fixture(scope="module")
def avatar_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioProcess]:
    root = tmp_path_factory.mktemp("avatar-studio")
    yield from serve_studio(root, {"VIDA_RESOLUTION": "640x360", "VIDA_SCENE": "avatar"})


@pytest.fixture
def page(fake_webcam: Path) -> Iterator[Page]:
    with chromium(fake_webcam) as browser:
        page = new_tab(browser)
        yield page
        close_tab(page)


def open_studio(page: Page, studio: StudioProcess) -> None:
    """Open the page, sign in and connect the camera, as a streamer starts."""
    if page.url != studio.url:
        page.goto(studio.url)
    sign_in(page)  # every test's browser starts without cookies: signed out
    page.get_by_role("button", name="Start camera").click()
    expect(page.locator("#status")).to_have_text("Connected: ready to go live", timeout=20_000)


def go_live(page: Page, server_url: str, key: str) -> None:
    """Fill the RTMP fields and press Go live."""
    in_studio(page).get_by_label("Server URL").fill(server_url)
    in_studio(page).get_by_label("Stream key").fill(key)
    page.get_by_role("button", name="Go live").click()


def in_studio(page: Page) -> Locator:
    """The studio view: other views have fields of the same names (Destinations)."""
    return page.locator('[data-view="studio"]')


def stat(page: Page, name: str) -> str:
    return page.locator(f'[data-stat="{name}"]').inner_text()


def test_page_goes_live_into_nginx_and_shows_the_output(
    page: Page, studio_process: StudioProcess, nginx: NginxRtmp, tmp_path: Path
) -> None:
    page.goto(studio_process.url)
    expect(page.get_by_role("button", name="Go live")).to_be_hidden()  # signed out: sign in first
    open_studio(page, studio_process)
    expect(page.get_by_role("button", name="Go live")).to_be_enabled()
    expect(page.locator('[data-stat="frames_decoded"]')).not_to_have_text(re.compile(r"^(–|0)$"))

    in_studio(page).get_by_label("Server URL").fill(nginx.url())
    in_studio(page).get_by_label("Stream key").fill(STREAM_KEY)
    started = time.monotonic()
    page.get_by_role("button", name="Go live").click()
    expect(page.locator("#status")).to_have_text("Live", timeout=15_000)
    expect(page.locator("#live-badge")).to_be_visible()
    expect(page.locator('[data-stat="live_seconds"]')).to_have_text(
        re.compile(r"^([4-9]|\d\d+) s$"), timeout=20_000
    )
    decoded_live = int(stat(page, "frames_decoded"))
    fps = float(stat(page, "output_fps").split()[0])
    page.screenshot(path=tmp_path / "studio-live.png")
    expect(page.locator('[data-stat="frames_decoded"]')).not_to_have_text(str(decoded_live))
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.locator("#status")).to_have_text(
        re.compile(r"^Stopped after \d+ s$"), timeout=15_000
    )
    live_time = time.monotonic() - started

    assert fps > 20, fps
    assert page.console_errors == []  # type: ignore[attr-defined]
    probe = ffprobe(nginx.recording(STREAM_KEY))
    assert probe.codecs == {"video": "h264", "audio": "aac"}
    assert (probe.width, probe.height) == (1280, 720)
    assert probe.fps == pytest.approx(30, rel=0.1)
    assert probe.duration_s == pytest.approx(live_time, abs=1.0)
    assert STREAM_KEY not in studio_process.log.read_text()


def test_page_shows_why_a_destination_fails(page: Page, studio_process: StudioProcess) -> None:
    open_studio(page, studio_process)
    in_studio(page).get_by_label("Server URL").fill("https://example.com/live")
    page.get_by_role("button", name="Go live").click()
    expect(page.get_by_role("alert")).to_contain_text("must start with rtmp:// or rtmps://")
    go_live(page, f"rtmp://127.0.0.1:{free_port()}/live", STREAM_KEY)
    expect(page.get_by_role("alert")).to_contain_text("refused the connection", timeout=15_000)
    expect(page.locator("#status")).to_have_text("Not live")
    assert STREAM_KEY not in page.get_by_role("alert").inner_text()


def test_record_to_file_from_the_page(page: Page, studio_process: StudioProcess) -> None:
    open_studio(page, studio_process)
    in_studio(page).get_by_label("Record to file").check()
    expect(in_studio(page).get_by_label("Server URL")).to_be_hidden()
    page.get_by_role("button", name="Start recording").click()
    expect(page.locator("#status")).to_have_text("Recording", timeout=15_000)
    expect(page.locator('[data-stat="live_seconds"]')).to_have_text(
        re.compile(r"^[2-9] s$"), timeout=15_000
    )
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.locator("#status")).to_have_text(re.compile(r"^Stopped after"), timeout=15_000)
    expect(page.locator("#target")).to_contain_text("Saved to ")
    download_link = page.locator("#target").get_by_role("link", name=re.compile("^Download"))
    expect(download_link).to_be_visible()  # the studio may be on another machine
    saved = Path(page.locator("#target").inner_text().removeprefix("Saved to ").split(" ")[0])
    assert saved.parent == studio_process.data_dir / "recordings"
    probe = ffprobe(saved)
    assert probe.codecs == {"video": "h264", "audio": "aac"}
    assert probe.duration_s >= 2
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename == saved.name
    assert Path(download.value.path()).read_bytes() == saved.read_bytes()

    page.get_by_role("button", name="Stop camera").click()
    expect(page.locator("#status")).to_have_text("Camera off")
    expect(page.get_by_role("button", name="Start camera")).to_be_focused()


def test_closing_the_tab_ends_the_session_and_the_stream(
    page: Page, studio_process: StudioProcess, nginx: NginxRtmp
) -> None:
    sessions_before = _sessions(studio_process)  # other tests' tabs may still be closing
    open_studio(page, studio_process)
    go_live(page, nginx.url(), "tab-closed")
    expect(page.locator("#status")).to_have_text("Live", timeout=15_000)
    assert _sessions(studio_process) == sessions_before + 1
    page.close(run_before_unload=True)
    # nginx writes its record-done marker once the studio closed the stream cleanly.
    probe = ffprobe(nginx.recording("tab-closed", timeout=15))
    assert probe.codecs == {"video": "h264", "audio": "aac"}
    deadline = time.monotonic() + 10
    while (sessions := _sessions(studio_process)) > sessions_before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sessions <= sessions_before


def test_page_says_why_the_stream_ended_when_the_server_dies(
    page: Page, studio_process: StudioProcess, tmp_path: Path
) -> None:
    doomed = start_nginx(tmp_path / "nginx")
    try:
        open_studio(page, studio_process)
        go_live(page, doomed.url(), "doomed")
        expect(page.locator("#target")).to_have_text(f"Streaming to {doomed.url()}/****")
        doomed.stop()
        expect(page.locator("#status")).to_have_text("Stream ended", timeout=20_000)
        expect(page.get_by_role("alert")).to_contain_text("The stream stopped: rtmp://127.0.0.1")
        expect(page.locator("#target")).to_be_hidden()
        expect(page.locator("#live-badge")).to_be_hidden()
        expect(page.get_by_role("button", name="Go live")).to_be_enabled()
    finally:
        doomed.stop()


def _sessions(studio: StudioProcess) -> int:
    with urllib.request.urlopen(studio.url + "api/v1/health", timeout=5) as response:
        return json.load(response)["sessions"]


CYAN_PIXELS_JS = """() => {
  const video = document.getElementById("preview");
  const canvas = Object.assign(document.createElement("canvas"), {
    width: video.videoWidth, height: video.videoHeight });
  const context = canvas.getContext("2d");
  context.drawImage(video, 0, 0);
  const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
  let cyan = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] < 150 && data[i + 1] > 160 && data[i + 2] > 180) cyan += 1;
  }
  return cyan;
}"""


def test_tracking_view_and_calibration_from_the_page(
    page: Page, studio_process: StudioProcess, tmp_path: Path
) -> None:
    open_studio(page, studio_process)
    expect(page.locator('[data-stat="tracking_found"]')).to_contain_text("face", timeout=20_000)
    expect(page.locator('[data-stat="tracking_fps"]')).to_have_text(re.compile(r"^\d+(\.\d)? fps$"))
    expect(page.locator('[data-stat="tracking_calibrated"]')).to_have_text("not yet")
    before = page.evaluate(CYAN_PIXELS_JS)

    in_studio(page).get_by_label("Show tracking on the preview").check()
    expect(page.locator("#preview-caption")).to_contain_text("only you see this")
    # The face landmarks (cyan dots) appear in the returned preview video.
    page.wait_for_function(f"({CYAN_PIXELS_JS})() > {before + 50}", timeout=10_000)
    page.get_by_role("button", name="Calibrate").click()
    expect(page.locator("#tracking-note")).to_have_text(
        "Calibrated: this is now your neutral face."
    )
    expect(page.locator('[data-stat="tracking_calibrated"]')).to_have_text("yes")
    page.screenshot(path=tmp_path / "studio-tracking.png")

    in_studio(page).get_by_label("Show tracking on the preview").uncheck()
    page.wait_for_function(f"({CYAN_PIXELS_JS})() < {before + 20}", timeout=10_000)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_new_streamer_signs_up_and_sees_the_free_plan(
    page: Page, studio_process: StudioProcess
) -> None:
    page.goto(studio_process.url)
    expect(page.get_by_role("button", name="Start camera")).to_be_hidden()  # signed out
    expect(page.get_by_role("heading", name="Sign in to stream")).to_be_visible()
    page.get_by_label("E-mail address").fill("newcomer@example.com")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_have_text("Choose a password of at least 10 characters")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#who")).to_have_text("newcomer@example.com")
    expect(page.locator("#plan-name")).to_have_text("Free plan")
    expect(page.locator("#minutes-left")).to_contain_text("15 min of streaming left")
    expect(page.get_by_role("button", name="Start camera")).to_be_enabled()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.get_by_label("E-mail address").fill("newcomer@example.com")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong e-mail address or password")


def test_a_free_streamer_is_warned_and_the_stream_stops_when_the_minutes_run_out(
    page: Page, studio_process: StudioProcess, nginx: NginxRtmp
) -> None:
    from control.accounts import create_user
    from control.clock import utcnow
    from control.db import Database
    from control.minutes import debit
    from control.models import StreamSession
    from control.streams import end_stream
    from tests.support.control import add_stream

    db = Database(f"sqlite:///{studio_process.data_dir / 'vida.db'}")
    user_id = create_user(db, "almost@example.com", PASSWORD, utcnow()).id  # free: 15 min
    add_stream(db, user_id, "earlier-this-week", utcnow())
    debit(db, "earlier-this-week", 0, 15 * 60 - 6, utcnow())  # 6 s left
    end_stream(db, "earlier-this-week", "stopped", utcnow())

    page.goto(studio_process.url)
    sign_in(page, "almost@example.com")
    expect(page.locator("#minutes-left")).to_contain_text("6 s of streaming left")
    page.get_by_role("button", name="Start camera").click()
    expect(page.locator("#status")).to_have_text("Connected: ready to go live", timeout=20_000)
    go_live(page, nginx.url(), "almost")
    expect(page.locator("#status")).to_have_text("Live", timeout=15_000)
    expect(page.locator("#warnings")).to_contain_text("less than 1 minute of streaming left")
    expect(page.locator("#status")).to_have_text("Stream ended", timeout=20_000)
    expect(page.get_by_role("alert")).to_contain_text("your stream minutes for this week ran out")
    expect(page.locator("#minutes-left")).to_contain_text("No streaming minutes left this week")
    expect(page.get_by_role("button", name="Go live")).to_be_disabled()  # nothing to go live on

    def ended_stream() -> StreamSession | None:
        with db.read() as session:
            stream = session.scalars(
                select(StreamSession)
                .where(StreamSession.user_id == user_id)
                .order_by(StreamSession.started_at.desc())
            ).first()
        return stream if stream.end_reason else None

    # The page may hear of the end a moment before the studio has recorded it.
    stream = wait_for(ended_stream, timeout=10)
    db.close()
    assert (stream.end_reason, stream.seconds) == ("minutes_exhausted", 6)
    probe = ffprobe(nginx.recording("almost"))  # what reached the server is whole
    assert probe.codecs == {"video": "h264", "audio": "aac"}
    assert probe.duration_s == pytest.approx(6, abs=1.5)


AVATAR_COLOURS_JS = """() => {
  const video = document.getElementById("preview");
  if (!video.videoWidth) return { blue: 0, orange: 0 };  // no frame shown yet
  const canvas = Object.assign(document.createElement("canvas"), {
    width: video.videoWidth, height: video.videoHeight });
  const context = canvas.getContext("2d");
  context.drawImage(video, 0, 0);
  const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
  let blue = 0, orange = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    if (b > r + 80 && b > g + 40 && b > 150) blue += 1;
    if (r > 150 && r > b + 90 && g > b + 30) orange += 1;
  }
  return { blue: blue / (data.length / 4), orange: orange / (data.length / 4) };
}"""


def avatar_status(page: Page, studio: StudioProcess, avatar_id: int) -> str:
    items = page.request.get(studio.url + "api/v1/avatars").json()["items"]
    return next(a["status"] for a in items if a["id"] == avatar_id)


def test_the_avatar_goes_live_and_switches_mid_stream(
    page: Page, avatar_studio: StudioProcess, nginx: NginxRtmp, tmp_path: Path
) -> None:
    open_studio(page, avatar_studio)
    # The preview shows the default avatar (blue shirt), not the camera.
    page.wait_for_function(f"({AVATAR_COLOURS_JS})().blue > 0.01", timeout=20_000)
    go_live(page, nginx.url(), "browser-avatar")
    expect(page.locator("#status")).to_have_text("Live", timeout=15_000)
    upload = page.request.post(
        avatar_studio.url + "api/v1/avatars?filename=robot.glb",
        data=ROBOT.read_bytes(),
        headers={"content-type": "application/octet-stream"},
    )
    assert upload.status == 201, upload.text()
    avatar_id = upload.json()["id"]
    deadline = time.monotonic() + 60
    while (
        page.request.get(avatar_studio.url + "api/v1/avatars").json()["items"][0]["status"]
        != "ready"
    ):
        assert time.monotonic() < deadline, "the upload was not processed within 60 s"
        page.wait_for_timeout(200)  # polling the API, as the page would: not a sleep-as-sync
    expect(page.locator('[data-stat="live_seconds"]')).to_have_text(
        re.compile(r"^([3-9]|\d\d+) s$"), timeout=20_000
    )
    switched_at = int(stat(page, "live_seconds").split()[0])
    chosen = page.request.put(
        avatar_studio.url + "api/v1/me/active-avatar", data={"avatar_id": avatar_id}
    )
    assert chosen.ok, chosen.text()
    page.wait_for_function(f"({AVATAR_COLOURS_JS})().orange > 0.02", timeout=10_000)
    expect(page.locator('[data-stat="live_seconds"]')).to_have_text(
        re.compile(rf"^({switched_at + 4}|{switched_at + 5}|\d\d+) s$"), timeout=20_000
    )
    page.screenshot(path=tmp_path / "studio-avatar.png")
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.locator("#status")).to_have_text(re.compile(r"^Stopped after"), timeout=15_000)
    assert page.console_errors == []  # type: ignore[attr-defined]

    frames = decoded_frames(nginx.recording("browser-avatar"))
    before = [rgb for t, rgb in frames if t < switched_at - 0.5]
    after = [rgb for t, rgb in frames if t > switched_at + 2.0]  # the stat counts whole seconds
    assert before and after
    assert min(shirt_blue(rgb) for rgb in before) > 0.01
    assert min(robot_orange(rgb) for rgb in after) > 0.02
    assert max(shirt_blue(rgb) for rgb in after) < 0.002
    assert all(shows_background(rgb) for _, rgb in frames)  # the camera never goes out
