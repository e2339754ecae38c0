"""Time for the control plane: naive UTC datetimes, and the week minutes are counted in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    """Now, as the naive UTC datetime every table stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def week_start(moment: datetime) -> datetime:
    """The start of the stream-minute week holding ``moment``: Monday 00:00 UTC.

    The allowance resets then, for everyone at once, whatever their time zone.
    """
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())
