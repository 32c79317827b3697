"""Times as people write them and read them: parsing with offsets, ETAs, and wording."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

_RELATIVE = re.compile(r"^\+\s*(\d+)\s*(m|min|mins|minutes?|h|hr|hrs|hours?)$", re.IGNORECASE)
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class TimeError(ValueError):
    """A time that cannot be used; the message says what is wrong, ``hint`` how to fix it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


EXAMPLE = "2017-08-14T08:15:00+01:00"


def parse_time(value: object) -> datetime:
    """An aware datetime from ISO 8601 text with a UTC offset; naive or garbled text fails."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        raise TimeError(f"{value} is a date without a time", f"write a time with an offset, e.g. {EXAMPLE}")
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise TimeError(
                f"{value!r} is not a time", f"write ISO 8601 with an offset, e.g. {EXAMPLE}"
            ) from exc
    else:
        raise TimeError(f"{value!r} is not a time", f"write ISO 8601 with an offset, e.g. {EXAMPLE}")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise TimeError(
            f"{value} has no UTC offset",
            f"add the offset, e.g. {parsed.strftime('%Y-%m-%dT%H:%M:%S')}+01:00 or Z for UTC",
        )
    return parsed


def parse_eta(text: str, now: datetime) -> datetime:
    """An ETA from ``HH:MM`` (next such time), ``+90m``/``+2h`` or ISO 8601, relative to ``now``."""
    text = text.strip()
    if m := _RELATIVE.match(text):
        amount, unit = int(m.group(1)), m.group(2).lower()
        delta = timedelta(hours=amount) if unit.startswith("h") else timedelta(minutes=amount)
        return (now + delta).replace(second=0, microsecond=0)
    if m := _CLOCK.match(text):
        at = now.replace(hour=int(m.group(1)), minute=int(m.group(2)), second=0, microsecond=0)
        return at if at > now else at + timedelta(days=1)
    try:
        return parse_time(text)
    except TimeError as exc:
        raise TimeError(f"{text!r} is not an ETA", "write HH:MM, +90m, +2h or " + EXAMPLE) from exc


def parse_at(text: str, zone: ZoneInfo) -> datetime:
    """A time for ``--at``: ISO 8601 with offset, or ``HH:MM`` today in the display zone."""
    text = text.strip()
    if m := _CLOCK.match(text):
        now = datetime.now(zone)
        return now.replace(hour=int(m.group(1)), minute=int(m.group(2)), second=0, microsecond=0)
    return parse_time(text)


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
