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
