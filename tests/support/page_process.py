"""A page in a process of its own, to be killed like a crashed browser or a pulled cable.

    python -m tests.support.page_process API_BASE_URL TOKEN

Connects a moving picture and a tone to the studio, prints the session id, then streams
until killed. Being killed sends nothing: no DTLS close, no HTTP request.
"""

from __future__ import annotations

import asyncio
import sys

import httpx

from control.api_deps import SESSION_COOKIE
from streamer.ice import limit_host_addresses
from tests.support.media import PictureTrack, ToneTrack, moving_person_frames
from tests.support.studio import connect_page


async def main(base_url: str, token: str) -> None:
    limit_host_addresses(["127.0.0.1"])
    cookies = {SESSION_COOKIE: token}  # another tab of the same session
    async with httpx.AsyncClient(base_url=base_url, timeout=30, cookies=cookies) as api:
        page = await connect_page(
            api, PictureTrack(moving_person_frames(640, 360, 30)), ToneTrack()
        )
        print(page.session_id, flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
