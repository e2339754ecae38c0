"""``vida track``: what the trackers see in a photo or a video, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.media import ASTRONAUT, WOMAN_VIDEO

VIDA = str(Path(sys.executable).parent / "vida")


def vida_track(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [VIDA, "track", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


def test_a_photo_gives_one_json_tracking_frame() -> None:
    result = vida_track("--input", str(ASTRONAUT), "--json")
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    frame = json.loads(line)
    assert frame["found"] == ["face", "body"] and frame["size"] == [512, 512]
    pose = frame["face"]["head_pose"]
    assert set(pose) == {"yaw", "pitch", "roll", "translation_cm"}
    assert frame["face"]["blendshapes"]["mouthSmileLeft"] > 0.5
    assert {"face", "body", "total"} <= set(frame["timings_ms"])
    assert result.stderr == ""  # MediaPipe's native log chatter is kept out of the way


def test_a_video_gives_one_line_per_frame_with_only_the_features_asked_for() -> None:
    result = vida_track(
        "--input", str(WOMAN_VIDEO), "--features", "face,hand", "--max-frames", "5", "--json"
    )
    assert result.returncode == 0, result.stderr
    frames = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(frames) == 5
    assert [f["timestamp_s"] for f in frames] == sorted(f["timestamp_s"] for f in frames)
    assert all(f["face"] is not None and f["body"] is None for f in frames)
    assert all("body" not in f["timings_ms"] for f in frames)


def test_without_json_each_frame_is_a_readable_line() -> None:
    result = vida_track("--input", str(ASTRONAUT), "--features", "face,expression")
    assert result.returncode == 0, result.stderr
    assert "found: face" in result.stdout and "head yaw" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--features", "face,tail"], "unknown tracking feature(s) tail"),
        (["--precision", "3"], "precision must be between 0 and 1"),
        (["--input", "/nonexistent.png"], "no such file"),
        (["--input", __file__], "neither an image nor a video (invalid data"),
        (["--input", "/tmp"], "is a folder"),
        (["--features", ""], "no tracking features given"),
        (["--landmarks"], "--landmarks only applies to --json"),
        (["--max-frames", "0"], "--max-frames must be at least 1"),
    ],
    ids=["feature", "precision", "missing", "not-media", "folder", "empty", "landmarks", "max"],
)
def test_bad_arguments_exit_with_a_clear_message(args: list[str], message: str) -> None:
    if "--input" not in args:
        args = ["--input", str(ASTRONAUT), *args]
    result = vida_track(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_defaults_come_from_the_tracking_settings() -> None:
    face_only = vida_track("--input", str(ASTRONAUT), env={"VIDA_TRACKING_FEATURES": "face"})
    assert face_only.returncode == 0 and "found: face " in face_only.stdout
    bad = vida_track("--input", str(ASTRONAUT), env={"VIDA_TRACKING_PRECISION": "5"})
    assert bad.returncode == 2 and "tracking_precision must be between" in bad.stderr
    nothing = vida_track("--input", str(ASTRONAUT), "--features", "none")
    assert nothing.returncode == 0 and "found: nothing" in nothing.stdout


def test_a_reader_that_stops_early_is_not_an_error() -> None:
    track = subprocess.Popen(
        [VIDA, "track", "--input", str(WOMAN_VIDEO), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert track.stdout is not None and track.stderr is not None
    track.stdout.readline()  # like `| head -1`
    track.stdout.close()
    assert track.wait(timeout=120) == 0
    assert b"BrokenPipe" not in track.stderr.read()
