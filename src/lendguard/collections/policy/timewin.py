"""Local-time arithmetic for the rules: days, daily windows and their next opening (pure, zoneinfo)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str) -> tzinfo:
    """An IANA zone by name (``ValueError`` when unknown)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def offset_zone(at: datetime) -> tzinfo:
    """The fixed-offset zone of an aware datetime."""
    offset = at.utcoffset()
    return timezone(offset if offset is not None else timedelta(0))


def local_date(t: datetime, tz: tzinfo) -> date:
    """The calendar date of instant ``t`` in ``tz``."""
    return t.astimezone(tz).date()


def local_instant(day: date, minute: int, tz: tzinfo) -> datetime:
    """The instant (UTC) of wall-clock ``minute`` on ``day`` in ``tz``; minute 1440 is the next midnight."""
    extra, minute = divmod(minute, 1440)
    wall = datetime.combine(day + timedelta(days=extra), time(minute // 60, minute % 60), tzinfo=tz)
    return wall.astimezone(UTC)


def day_start(day: date, tz: tzinfo) -> datetime:
    """Local midnight starting ``day`` in ``tz``, as a UTC instant."""
    return local_instant(day, 0, tz)


def minute_of_day(t: datetime, tz: tzinfo) -> float:
    """Wall-clock position of ``t`` in ``tz`` as minutes since local midnight (seconds as a fraction)."""
    lt = t.astimezone(tz)
    return lt.hour * 60 + lt.minute + (lt.second + lt.microsecond / 1e6) / 60


def in_window(t: datetime, tz: tzinfo, start: int, end: int, *, end_inclusive: bool) -> bool:
    """True when ``t`` falls in the daily window [start, end) (or [start, end]) of local time in ``tz``."""
    m = minute_of_day(t, tz)
    return start <= m < end or (end_inclusive and m == end)


def next_opening(t: datetime, tz: tzinfo, start: int) -> datetime:
    """The first instant after ``t`` at which the local wall clock in ``tz`` reads ``start`` minutes."""
    day = local_date(t, tz)
    candidate = local_instant(day, start, tz)
    if candidate <= t:
        candidate = local_instant(day + timedelta(days=1), start, tz)
    return candidate


def hhmm(value: str) -> int:
    """Minutes of day of ``"HH:MM"`` (``"24:00"`` allowed); ``ValueError`` otherwise."""
    parts = value.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"expected HH:MM, got {value!r}")
    h, m = int(parts[0]), int(parts[1])
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m != 0):
        raise ValueError(f"expected HH:MM, got {value!r}")
    return h * 60 + m


def fmt_hhmm(minutes: int) -> str:
    """``"HH:MM"`` of minutes of day."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
