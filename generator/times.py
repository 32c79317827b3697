"""Times as people write them and read them: parsing with offsets, ETAs, and wording."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

_RELATIVE = re.compile(r"^\+\s*(\d+)\s*(m|min|mins|minutes?|h|hr|hrs|hours?)$", re.IGNORECASE)
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class TimeError(ValueError):
    """A time that cannot be used: ``str()`` names the value, ``predicate`` fits after a field name."""

    def __init__(self, value: object, predicate: str, hint: str) -> None:
        super().__init__(f"{_shown(value)} {predicate}")
        self.predicate = predicate
        self.hint = hint


EXAMPLE = "2017-08-14T08:15:00+01:00"
# Clocks drift and people round; a time up to five minutes ahead is still "now".
FUTURE_SLACK = timedelta(minutes=5)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_time(value: object) -> datetime:
    """An aware datetime from ISO 8601 text with a UTC offset; naive or garbled text fails."""
    naive = _parse_naive_ok(value)
    if naive.tzinfo is None or naive.utcoffset() is None:
        raise TimeError(value, "has no UTC offset",
                        f"add it, e.g. {naive:%Y-%m-%dT%H:%M:%S}+01:00, or Z for UTC")
    return naive


def _parse_naive_ok(value: object) -> datetime:
    """A datetime, aware or not, from ISO 8601 text (or a datetime)."""
    if isinstance(value, datetime):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        raise TimeError("", "is empty", f"write a time with its UTC offset, e.g. {EXAMPLE}")
    if not isinstance(value, str):
        raise TimeError(value, "is not a valid time", f"write ISO 8601 with a UTC offset, e.g. {EXAMPLE}")
    text = value.strip()
    if _DATE_ONLY.match(text):
        raise TimeError(value, "is a date without a time",
                        f"write the time and its offset too, e.g. {text}T08:15:00+01:00")
    try:
        return _in_range(datetime.fromisoformat(text))
    except (ValueError, OverflowError) as exc:
        raise TimeError(value, "is not a valid time",
                        f"write ISO 8601 with a UTC offset, e.g. {EXAMPLE}") from exc


def _in_range(moment: datetime) -> datetime:
    """``moment``, or OverflowError when it is too close to year 1 or 9999 to be compared in UTC."""
    if moment.tzinfo is not None:
        moment.astimezone(UTC)
    return moment


def _local(text: str, zone: tzinfo | None) -> datetime:
    """ISO 8601 from the command line; a time without an offset is taken in ``zone``."""
    moment = _parse_naive_ok(text)
    if moment.tzinfo is None and zone is not None:
        try:
            return _in_range(moment.replace(tzinfo=zone))
        except OverflowError as exc:
            raise TimeError(text, "is not a valid time", f"write ISO 8601, e.g. {EXAMPLE}") from exc
    return parse_time(moment)


def parse_eta(text: str, now: datetime) -> datetime:
    """An ETA from ``HH:MM`` (next such time), ``+90m``/``+2h`` or ISO 8601, relative to ``now``."""
    text = text.strip()
    if m := _RELATIVE.match(text):
        amount, unit = int(m.group(1)), m.group(2).lower()
        try:
            delta = timedelta(hours=amount) if unit.startswith("h") else timedelta(minutes=amount)
            return (now + delta).replace(second=0, microsecond=0)
        except OverflowError as exc:
            raise TimeError(text, "is too far ahead", "write HH:MM, +90m, +2h or " + EXAMPLE) from exc
    if m := _CLOCK.match(text):
        at = now.replace(hour=int(m.group(1)), minute=int(m.group(2)), second=0, microsecond=0)
        return at if at > now else at + timedelta(days=1)
    try:
        return _local(text, now.tzinfo)
    except TimeError as exc:
        raise TimeError(text, "is not an ETA", "write HH:MM, +90m, +2h or " + EXAMPLE) from exc


def parse_at(text: str, zone: ZoneInfo, now: datetime | None = None) -> datetime:
    """A time for ``--at``: ISO 8601 (offset optional: ``zone``), or ``HH:MM``, the latest one so far."""
    text = text.strip()
    if m := _CLOCK.match(text):
        now = (now or datetime.now(zone)).astimezone(zone)
        at = now.replace(hour=int(m.group(1)), minute=int(m.group(2)), second=0, microsecond=0)
        # 23:50 typed at 00:10 means last night, not tonight.
        return at - timedelta(days=1) if at > now + FUTURE_SLACK else at
    try:
        return _local(text, zone)
    except TimeError as exc:
        raise TimeError(text, exc.predicate, "write HH:MM or " + EXAMPLE) from exc


def iso(moment: datetime) -> str:
    """ISO 8601 to the second with its offset, the form written into incident files."""
    return moment.replace(microsecond=0).isoformat()


def clock(moment: datetime, zone: ZoneInfo) -> str:
    """``08:20 BST`` in the display zone."""
    local = moment.astimezone(zone)
    return f"{local:%H:%M} {local.tzname()}"


def day_and_clock(moment: datetime, zone: ZoneInfo) -> str:
    """``Mon 14 Aug 2017, 08:20 BST`` in the display zone."""
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} {local.tzname()}"


def span(delta: timedelta) -> str:
    """A duration in words: ``40 minutes``, ``2 h 5 min``, ``3 days 4 h``."""
    minutes = max(0, round(delta.total_seconds() / 60))
    if minutes < 60:
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    day_word = "1 day" if days == 1 else f"{days} days"
    return f"{day_word} {hours} h" if hours else day_word


def eta_phrase(eta: datetime, now: datetime, zone: ZoneInfo) -> str:
    """``estimated fix 11:00 BST, in 40 minutes`` or ``ETA passed 10 minutes ago``."""
    if eta >= now:
        return f"estimated fix {clock(eta, zone)}, in {span(eta - now)}"
    return f"ETA passed {span(now - eta)} ago (was {clock(eta, zone)})"
