"""Streams per machine with everything a browser session costs: WebRTC in, preview out.

    python -m benchmarks.sessions [--seconds 10] [--max-sessions 4] [--write FILE]

The studio runs in this process. Each "page" is a separate process (aiortc, sending a
640x360 moving photo and a tone, decoding the preview), as a browser would be; pages and
studio share this machine's cores, so the numbers are a lower bound for the studio alone.
Every session records its live output to a file; a session count is sustained when every
stream holds 95% of its frame rate.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.report import machine, publish
from config import load_settings
from tests.support.studio import running_studio


async def run(count: int, seconds: float, resolution: str) -> list[tuple[float, float, float]]:
    """(output fps, latency p50 ms, latency p95 ms) of each of ``count`` live sessions."""
    settings = load_settings(
        {
            "VIDA_DATA_DIR": tempfile.mkdtemp(prefix="vida-bench-sessions-"),
            "VIDA_RESOLUTION": resolution,
            "VIDA_ICE_HOST_ADDRESSES": "127.0.0.1",
            "VIDA_MAX_SESSIONS": str(count),
        }
    )
    async with running_studio(settings) as studio:
        pages = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.support.page_process",
                studio.base_url,
                studio.token,
                stdout=asyncio.subprocess.PIPE,
            )
            for _ in range(count)
        ]
        try:
            ids = [(await page.stdout.readline()).decode().strip() for page in pages]
            for session_id in ids:
                live = await studio.api.post(
                    f"/sessions/{session_id}/live", json={"kind": "record"}
                )
                live.raise_for_status()
            await asyncio.sleep(3.0)  # past start-up
            lives = [studio.registry.find(i).pipeline.live for i in ids]
            before = [live.frames_out.total for live in lives]
            started = time.monotonic()
            await asyncio.sleep(seconds)
            elapsed = time.monotonic() - started
            results = []
            for live, frames in zip(lives, before, strict=True):
                latency = live.latency.percentiles()
                results.append(
                    ((live.frames_out.total - frames) / elapsed, latency.p50_ms, latency.p95_ms)
                )
            return results
        finally:
            for page in pages:
                page.kill()
                await page.wait()


def main(argv: list[str] | None = None) -> int:
    """Add sessions until the machine cannot hold them; print (or write) the section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-sessions", type=int, default=4)
    parser.add_argument("--resolution", default="1280x720")
    parser.add_argument("--write", type=Path, help="update this Markdown file's section")
    args = parser.parse_args(argv)
    lines = [
        "## Browser sessions per machine (WebRTC in, preview out, recording)",
        "",
        f"Taken {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
        f"Output {args.resolution} at 30 fps; each page a separate aiortc process on the same"
        " cores (camera 640x360 VP8 up, preview VP8 down): a lower bound for the studio alone.",
        "",
        "| sessions | fps (slowest) | latency p50 (worst) | latency p95 (worst) |",
        "|---|---|---|---|",
    ]
    sustained = 0
    for count in range(1, args.max_sessions + 1):
        results = asyncio.run(run(count, args.seconds, args.resolution))
        slowest = min(fps for fps, _, _ in results)
        lines.append(
            f"| {count} | {slowest:.1f} | {max(r[1] for r in results):.0f} ms"
            f" | {max(r[2] for r in results):.0f} ms |"
        )
        print(lines[-1], file=sys.stderr)
        if slowest < 0.95 * 30:
            break
        sustained = count
    lines.append(f"| **sustained: {sustained}** | | | |")
    report = "\n".join(lines) + "\n"
    return publish(report, args.write, "sessions")


if __name__ == "__main__":
    sys.exit(main())
