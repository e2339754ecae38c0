"""The studio app served for real on loopback, and an aiortc client acting as the page."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from fastapi import FastAPI

from config import Settings
from control.accounts import EmailTaken, create_user
from control.api_deps import SESSION_COOKIE
from control.clock import utcnow
from control.db import Database
from streamer.app import create_app
from streamer.session import SessionRegistry
from tests.support.nginx import free_port


@dataclass
class Studio:
    """A running studio: an HTTP client on its API and its session registry."""

    api: httpx.AsyncClient  # signed in as STREAMER, on the goat plan
    registry: SessionRegistry
    base_url: str
    token: str
    app: FastAPI

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        """Another client of the API: another tab of the session ``token`` when given (its
        cookie), else signed out."""
        cookies = {SESSION_COOKIE: token} if token else {}
        return httpx.AsyncClient(base_url=self.base_url, timeout=30, cookies=cookies)


STREAMER = "streamer@example.com"
PASSWORD = "correct horse battery"


async def sign_up(
    api: httpx.AsyncClient,
    email: str,
    plan: str = "free",
    settings: Settings | None = None,
    role: str = "user",
) -> str:
    """Make an account (through the database when it is not a free user's) and sign the
    client in with it (cookie); returns the session token."""
    if plan == "free" and role == "user":
        answer = await api.post("/auth/signup", json={"email": email, "password": PASSWORD})
    else:
        assert settings is not None, "a paid plan or a role is set through the database"
        db = Database(settings.database)
        with contextlib.suppress(EmailTaken):  # a second studio over the same data directory
            create_user(db, email, PASSWORD, utcnow(), role=role, plan=plan)
        db.close()
        answer = await api.post("/auth/login", json={"email": email, "password": PASSWORD})
    answer.raise_for_status()
    return answer.cookies[SESSION_COOKIE]


@asynccontextmanager
async def running_studio(settings: Settings) -> AsyncIterator[Studio]:
    """Serve the app with uvicorn in this event loop on a free loopback port."""
    app = create_app(settings)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    base = f"http://127.0.0.1:{port}/api/v1"
    # The catalogue's preset is processed once at start: let it finish before the test runs,
    # so that its CPU and its worker thread are not counted against what the test measures.
    await asyncio.to_thread(app.state.avatar_jobs.idle.wait, 60)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as api:
            token = await sign_up(api, STREAMER, plan="goat", settings=settings)
            yield Studio(api, app.state.registry, base, token, app)
    finally:
        app.state.events.close()  # as ``vida serve`` does: open event streams end first
        server.should_exit = True
        await task


@dataclass
class PageClient:
    """What the page does, done by aiortc: send camera (and mic), count preview frames."""

    pc: RTCPeerConnection
    session_id: str
    preview_frames: int = 0
    preview_size: tuple[int, int] | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def close(self) -> None:
        """Hang up like a closed tab."""
        for task in self._tasks:
            task.cancel()
        await self.pc.close()


async def connect_page(
    api: httpx.AsyncClient,
    video: MediaStreamTrack,
    audio: MediaStreamTrack | None = None,
    resolution: str | None = None,
) -> PageClient:
    """Offer camera (and mic) to the studio, asking for ``resolution`` when given, and apply
    its answer."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(video)
    if audio is not None:
        pc.addTrack(audio)
    client = PageClient(pc, "")

    async def count_preview(track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                client.preview_frames += 1
                client.preview_size = (frame.width, frame.height)
        except MediaStreamError:
            return

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        if track.kind == "video":
            client._tasks.append(asyncio.ensure_future(count_preview(track)))

    await pc.setLocalDescription(await pc.createOffer())
    offer = {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type}
    if resolution is not None:
        offer["resolution"] = resolution
    response = await api.post("/sessions", json=offer)
    response.raise_for_status()
    answer = response.json()
    from aiortc import RTCSessionDescription

    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
    client.session_id = answer["session_id"]
    return client


async def wait_until(predicate, timeout: float, interval: float = 0.1) -> None:
    """Poll an async or plain predicate until it is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


def vida_threads() -> list[str]:
    """Names of the threads VIDA started (encoder, processing, relay pipes, recorders)."""
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("vida-"))


def child_processes() -> list[int]:
    """PIDs of this process's children, zombies included (relay processes, nginx)."""
    me, children = os.getpid(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            children.append(int(entry))
    return children


def open_sockets() -> int:
    """Sockets this process holds open (UDP for ICE, TCP for HTTP, pipes excluded)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            continue
    return count


def only_loopback() -> bool:
    """True inside the tests' private network namespace (scripts/test.sh), where no packet
    can leave the machine and a DNS lookup fails at once."""
    return [name for _, name in socket.if_nameindex()] == ["lo"]


@contextlib.asynccontextmanager
async def listening(api: httpx.AsyncClient) -> AsyncIterator[list[dict]]:
    """The events pushed to one page, as they arrive."""
    received: list[dict] = []
    connected = asyncio.Event()

    async def read() -> None:
        async with api.stream("GET", "/events", timeout=None) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            async for line in response.aiter_lines():
                connected.set()
                if line.startswith("data: "):
                    received.append(json.loads(line.removeprefix("data: ")))

    reader = asyncio.create_task(read())
    await asyncio.wait_for(connected.wait(), 10)
    try:
        yield received
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
