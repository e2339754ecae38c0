"""Checks on the page's SDP offer, and the one change made to the answer."""

from __future__ import annotations

import re

MAX_SDP_BYTES = 64 * 1024
_RTPMAP = re.compile(r"^a=rtpmap:(\d+) (VP8|VP9|H264|AV1)/", re.IGNORECASE)


class InvalidOffer(ValueError):
    """The SDP offer cannot start a session; the message says why."""


def check_offer(sdp: str, kind: str) -> None:
    """Reject what aiortc would choke on or what cannot make a stream, with a clear reason."""
    if kind != "offer":
        raise InvalidOffer(f"expected an SDP of type 'offer', got {kind!r}")
    if len(sdp.encode()) > MAX_SDP_BYTES:
        raise InvalidOffer(f"SDP offer is larger than {MAX_SDP_BYTES // 1024} KiB")
    if not sdp.lstrip().startswith("v=0"):
        raise InvalidOffer("not an SDP offer (it must start with 'v=0')")
    if "\nm=video " not in sdp.replace("\r\n", "\n"):
        raise InvalidOffer("the offer has no video: allow the page to use the camera")


def add_start_bitrate(sdp: str, kbps: int) -> str:
    """Ask Chromium to start sending video at ``kbps`` instead of ramping up from ~300 kb/s
    (which holds the camera at 360p for half a minute). Other browsers ignore the parameter."""
    lines = sdp.replace("\r\n", "\n").rstrip("\n").split("\n")
    in_video, video_pts, has_fmtp = False, [], set()
    for line in lines:
        if line.startswith("m="):
            in_video = line.startswith("m=video")
        elif in_video and (match := _RTPMAP.match(line)):
            video_pts.append(match.group(1))
        elif in_video and line.startswith("a=fmtp:"):
            has_fmtp.add(line[len("a=fmtp:") :].split(" ", 1)[0])
    param = f"x-google-start-bitrate={kbps}"
    out, in_video = [], False
    for line in lines:
        if line.startswith("m="):
            in_video = line.startswith("m=video")
        pt = line[len("a=fmtp:") :].split(" ", 1)[0] if line.startswith("a=fmtp:") else None
        out.append(f"{line};{param}" if in_video and pt in video_pts else line)
        match = _RTPMAP.match(line) if in_video else None
        if match and match.group(1) not in has_fmtp:
            out.append(f"a=fmtp:{match.group(1)} {param}")
    return "\r\n".join(out) + "\r\n"
