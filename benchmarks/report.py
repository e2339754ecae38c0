"""Write one benchmark's Markdown section into RESULTS.md, leaving the others as they are."""

from __future__ import annotations

import os
import platform
import statistics
from pathlib import Path

import av


def write_section(path: Path, name: str, body: str) -> None:
    """Replace the text between ``<!-- name -->`` and ``<!-- /name -->`` (append if absent)."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def publish(report: str, path: Path | None, name: str) -> int:
    """Print a benchmark's Markdown section, and write it into ``path`` when given."""
    if path is not None:
        write_section(path, name, report)
    print(report)
    return 0


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    ordered = sorted(samples)
    return (
        statistics.median(ordered) * 1000,
        ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000,
    )


def machine() -> str:
    """A one-line description of where the numbers were taken."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    libavcodec = ".".join(map(str, av.library_versions["libavcodec"]))
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PyAV {av.__version__} (libavcodec {libavcodec})"
    )
