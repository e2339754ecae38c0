"""RTMP output: encode once (H.264 + AAC in FLV), send to RTMP(S) servers and local files.

This library knows nothing of users, plans or HTTP.
"""

from rtmp.destination import (
    Destination,
    continuation,
    file_destination,
    parse_output,
    redact,
    rtmp_destination,
)
from rtmp.encoder import EncoderSettings, StreamEncoder, select_h264_encoder, video_bitrate_for
from rtmp.errors import DestinationFailed, EncoderUnavailable, InvalidDestination, RtmpError
from rtmp.fanout import DestinationStatus, RtmpFanout, open_sink
from rtmp.flv import FlvTag, FlvTagReader
from rtmp.sink import Sink, SinkState

__all__ = [
    "Destination",
    "DestinationFailed",
    "DestinationStatus",
    "EncoderSettings",
    "EncoderUnavailable",
    "FlvTag",
    "FlvTagReader",
    "InvalidDestination",
    "RtmpError",
    "RtmpFanout",
    "Sink",
    "SinkState",
    "StreamEncoder",
    "continuation",
    "file_destination",
    "open_sink",
    "parse_output",
    "redact",
    "rtmp_destination",
    "select_h264_encoder",
    "video_bitrate_for",
]
