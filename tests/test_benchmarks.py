"""The benchmark script keeps working (its numbers are checked by people, not by tests)."""

from pathlib import Path

import pytest

from benchmarks.pipeline import main

pytestmark = pytest.mark.slow


def test_pipeline_benchmark_writes_a_report(tmp_path: Path) -> None:
    report = tmp_path / "results.md"
    args = ["--seconds", "1", "--iterations", "3", "--max-streams", "1", "--write", str(report)]
    assert main(args) == 0
    text = report.read_text()
    assert "| 720p30 | encode (" in text
    assert "| 1080p30 | 1 |" in text
    assert "cores" in text


def test_rtmp_path_benchmark_matches_stamped_frames(tmp_path: Path) -> None:
    from benchmarks.rtmp_path import main as rtmp_main

    report = tmp_path / "results.md"
    assert rtmp_main(["--seconds", "1", "--resolution", "640x360", "--write", str(report)]) == 0
    text = report.read_text()
    matched = int(text.split(" frames matched")[0].rsplit(" ", 1)[1])
    assert matched > 10  # the stamps survive encoding, nginx and decoding
    assert "<!-- rtmp-path -->" in text


def test_sessions_benchmark_streams_a_real_page() -> None:
    import asyncio

    from benchmarks.sessions import run

    [(fps, p50, _)] = asyncio.run(run(1, seconds=1.0, resolution="640x360"))
    assert fps > 10 and p50 > 0


def test_tracking_benchmark_writes_its_section(tmp_path: Path) -> None:
    from benchmarks.tracking import main as tracking_main

    report = tmp_path / "results.md"
    args = ["--seconds", "1", "--settle", "1", "--frames", "3", "--warmup", "1"]
    assert tracking_main([*args, "--write", str(report)]) == 0
    text = report.read_text()
    assert "<!-- tracking -->" in text and "<!-- /tracking -->" in text
    assert "| hands, lite model | 0.2 |" in text
    assert "| all features, every step | 1280x720 |" in text
    assert "| face only (face,eye,expression) | 640x480 |" in text
    assert "| off | " in text and "| on (all features) | " in text
    assert "| face | " in text  # a stage time from the live tracking thread


def test_control_benchmark_writes_its_section(tmp_path: Path) -> None:
    from benchmarks.control import main as control_main

    report = tmp_path / "results.md"
    args = ["--seconds", "0.2", "--processes", "2", "--threads", "2", "--history", "500"]
    assert control_main([*args, "--write", str(report)]) == 0
    text = report.read_text()
    assert "<!-- control -->" in text and "<!-- /control -->" in text
    for database in ("SQLite", "PostgreSQL"):
        assert f"| {database} | debit, one user | 1 thread | " in text
        assert f"| {database} | debit, different users | 2 processes × 2 threads | " in text
        assert f"| {database} | debit, one user (4 streams) | 2 processes × 2 threads | " in text
        assert f"| {database} | start + end, different users | 2 processes × 2 threads | " in text
        assert f"| {database} | debit, another user (none yet) in that week | 1 thread | " in text
    assert "Plan of the ledger sum" in text
    assert "Errors:" not in text  # nothing failed, not even a busy SQLite


def test_render_benchmark_writes_its_section(tmp_path: Path) -> None:
    from benchmarks.render import main as render_main

    report = tmp_path / "results.md"
    assert render_main(["--frames", "1", "--write", str(report)]) == 0
    text = report.read_text()
    assert "<!-- render -->" in text and "| 1080p | 60k | yuv420p (GPU) |" in text
    assert "| 720p | 20k | 4 |" in text


def test_avatar_benchmark_writes_its_section(tmp_path: Path) -> None:
    from benchmarks.avatar import main as avatar_main

    report = tmp_path / "results.md"
    args = ["--frames", "6", "--seconds", "1", "--settle", "1", "--write", str(report)]
    assert avatar_main(args) == 0
    text = report.read_text()
    assert "<!-- avatar -->" in text and "<!-- /avatar -->" in text
    assert "| default avatar | 14,412 | 1080p | picture |" in text
    assert "| RobotExpressive (largest sample) | 3,237 | 720p | colour |" in text
    assert "| camera | " in text and "| default avatar | " in text
    assert "| cutout over chroma | " in text
