"""Errors of the RTMP output library. Messages never contain a stream key."""


class RtmpError(Exception):
    """Base class for every error raised by :mod:`rtmp`."""


class InvalidDestination(RtmpError):
    """The destination URL or stream key cannot be used (wrong scheme, no host, bad characters)."""


class DestinationFailed(RtmpError):
    """A destination refused, dropped or never answered the stream."""


class EncoderUnavailable(RtmpError):
    """No working H.264 or AAC encoder was found in the installed FFmpeg."""
