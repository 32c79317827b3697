"""Scheduled maintenance as iCalendar (RFC 5545): one calendar per client and a public one.

A protected client's calendar is never a file of the site: its text travels base64-encoded in
a data attribute of the client's overview, which is encrypted with the page, and
``docs/assets/sitrep-calendar.js`` hands it to the reader as a download once the page is
open. Only ``maintenance.ics`` (public maintenance) is written in the clear.

No secure link goes into a calendar: calendars get synced to cloud services, so events carry
the page URL without its key.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from .markup import esc
from .model import Client, Incident
from .view import PageContext

PUBLIC_FILE = "maintenance.ics"
PRODID = "-//sitrep//status maintenance calendar//EN"
# A window without an end (no eta) still needs one in a calendar; the event says so.
DEFAULT_LENGTH = timedelta(hours=1)
NO_END_NOTE = "No end time was announced: the calendar shows the first hour."
LINE_OCTETS = 75  # RFC 5545 3.1, not counting the CRLF
LINK_TEXT = "Add maintenance to your calendar"


@dataclass(frozen=True)
class Event:
    """One maintenance window as a calendar event."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str
    url: str
    created: datetime
    stamp: datetime
    sequence: int
    cancelled: bool


# Text rules of RFC 5545 -------------------------------------------------------------------

def escape(text: str) -> str:
    """A TEXT value (3.3.11): backslash, semicolon and comma escaped, line breaks as ``\\n``."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """A content line folded at 75 octets (3.1), never inside a UTF-8 character."""
    parts: list[str] = []
    current, size, limit = "", 0, LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            # Continuation lines begin with a space, which counts towards their 75 octets.
            current, size, limit = "", 0, LINE_OCTETS - 1
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def stamp(moment: datetime) -> str:
    """A DATE-TIME in UTC form (3.3.5): ``20261212T080000Z``."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def duration(delta: timedelta) -> str:
    """A DURATION (3.3.6) in whole hours or minutes: ``PT1H``, ``PT90M``."""
    minutes = int(delta.total_seconds() // 60)
    return f"PT{minutes // 60}H" if minutes % 60 == 0 else f"PT{minutes}M"


# Events -----------------------------------------------------------------------------------

def is_cancelled(incident: Incident) -> bool:
    """Completed before its window opened and never in progress: the work was called off."""
    return (incident.resolved_at is not None and incident.resolved_at < incident.started
            and all(u.status != "in_progress" for u in incident.updates))


def description(incident: Incident, url: str) -> str:
    """The latest update, where the window's end stands, and the page to read more."""
    status = incident.status.replace("_", " ").capitalize()
    lines = [f"{status}: {incident.latest.message}"]
    if incident.eta is None:
        lines.append(NO_END_NOTE)
    lines.append(f"Details: {url}")
    return "\n\n".join(lines)


def event_of(incident: Incident, url: str, host: str, title: str) -> Event:
    """The calendar event of one maintenance incident; ``url`` is its page, without a key."""
    ordered = sorted(incident.updates, key=lambda u: u.at)
    return Event(
        uid=f"{incident.id}@{host}", start=incident.started,
        end=incident.eta or incident.started + DEFAULT_LENGTH, summary=title,
        description=description(incident, url), url=url, created=ordered[0].at,
        stamp=ordered[-1].at, sequence=len(ordered) - 1, cancelled=is_cancelled(incident))


def event_lines(event: Event) -> list[str]:
    """The VEVENT of ``event``, unfolded."""
    return [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        # Without METHOD, DTSTAMP is when the event was last revised: the newest update,
        # which also keeps the file the same from one build to the next.
        f"DTSTAMP:{stamp(event.stamp)}",
        f"CREATED:{stamp(event.created)}",
        f"LAST-MODIFIED:{stamp(event.stamp)}",
        f"SEQUENCE:{event.sequence}",
        f"DTSTART:{stamp(event.start)}",
        f"DTEND:{stamp(event.end)}",
        f"SUMMARY:{escape(event.summary)}",
        f"DESCRIPTION:{escape(event.description)}",
        f"URL:{event.url}",
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
        # Maintenance is something to know about, not time the reader is busy.
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def calendar_text(events: Iterable[Event], name: str, refresh: timedelta | None = None) -> str:
    """A whole VCALENDAR with CRLF line endings; ``refresh`` hints subscribers how often to poll."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{escape(name)}", f"NAME:{escape(name)}"]
    if refresh is not None:
        every = duration(refresh)
        lines += [f"REFRESH-INTERVAL;VALUE=DURATION:{every}", f"X-PUBLISHED-TTL:{every}"]
    for event in sorted(events, key=lambda e: (e.start, e.uid)):
        lines += event_lines(event)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


# What goes into which calendar ------------------------------------------------------------

def in_calendar(incident: Incident, now: datetime, days: int) -> bool:
    """Maintenance that is to come, under way, or ended within the history period."""
    if not incident.is_maintenance:
        return False
    end = incident.resolved_at or incident.eta or incident.started
    return not incident.is_resolved or end >= now - timedelta(days=days)


def events(ctx: PageContext, incidents: Sequence[Incident]) -> list[Event]:
    """The events of the maintenance among ``incidents``, each linking to its page."""
    base = ctx.settings.site_url
    host = urlsplit(base).hostname or "localhost"
    return [event_of(i, base + ctx.incident_url(i.id), host, ctx.shown_title(i))
            for i in incidents if in_calendar(i, ctx.now, ctx.settings.history_days)]


def public_calendar(ctx: PageContext) -> str:
    """``maintenance.ics``: maintenance of ``client: public`` incidents only."""
    name = f"{ctx.settings.organisation} maintenance"
    return calendar_text(events(ctx, ctx.public_incidents()), name, refresh=timedelta(hours=1))


def client_calendar(ctx: PageContext, client: Client) -> str:
    """A client's calendar: its own maintenance and the public maintenance its overview shows."""
    mine = {i.id: i for i in [*ctx.catalogue.for_client(client.id), *ctx.public_incidents()]}
    name = f"{ctx.settings.organisation} maintenance for {client.name}"
    return calendar_text(events(ctx, list(mine.values())), name)


def calendar_block(ctx: PageContext, client: Client) -> str:
    """The overview's download link, the calendar inside it (encrypted with the page)."""
    text = client_calendar(ctx, client)
    if "BEGIN:VEVENT" not in text:
        return ""
    # Base64: HTML parsers turn CRLF into LF, and the bytes must reach the file unchanged.
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    # A line, not a titled section: the overview's sections stay what they were.
    return (f'<p class="sitrep-calendar"><a class="sitrep-calendar-link" href="#" role="button" '
            f'download="{esc(client.id)}-maintenance.ics" data-sitrep-ics="{data}">{LINK_TEXT}</a> '
            f'<span class="sitrep-calendar-note">(.ics for Outlook, Google or Apple Calendar; '
            f"download it again after changes)</span></p>")
