"""What state things are in: incident levels, banners, component status, availability and history.

Drills exercise the procedure, not the service: they never change a banner, a component's
status, an availability bar or a history count. Maintenance shows as maintenance, never as
downtime.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .model import Client, Incident

# From best to worst: where several incidents overlap, the worst level wins.
LEVELS = ("operational", "maintenance", "degraded", "partial", "major")
LEVEL_LABELS = {
    "operational": "Operational",
    "maintenance": "Under maintenance",
    "degraded": "Degraded performance",
    "partial": "Partial outage",
    "major": "Major outage",
}
BANNERS = {
    "operational": "All systems operational",
    "maintenance": "Maintenance in progress",
    "degraded": "Degraded performance",
    "partial": "Partial outage",
    "major": "Major outage",
}
_LEVEL_OF_SEVERITY = {"critical": "major", "major": "partial", "minor": "degraded",
                      "maintenance": "maintenance"}
# Time under these levels is downtime; degraded service is slow, not down.
DOWN_LEVELS = ("partial", "major")


def level_of(incident: Incident) -> str:
    """The level an incident puts its components in: critical is a major outage, and so on."""
    return _LEVEL_OF_SEVERITY[incident.severity]


def worst(levels: Iterable[str]) -> str:
    """The worst of ``levels``; operational when there are none."""
    return max(levels, key=LEVELS.index, default="operational")


def counts(incident: Incident) -> bool:
    """Whether the incident affects status at all (a drill never does)."""
    return not incident.drill


def active(incidents: Iterable[Incident], now: datetime) -> list[Incident]:
    """Open incidents, drills included, worst first and then newest first."""
    found = [i for i in incidents if i.is_active(now)]
    found.sort(key=lambda i: i.started, reverse=True)
    found.sort(key=lambda i: LEVELS.index(level_of(i)), reverse=True)
    return found


def upcoming(incidents: Iterable[Incident], now: datetime) -> list[Incident]:
    """Scheduled maintenance that has not started, soonest first."""
    return sorted((i for i in incidents if i.is_upcoming(now)), key=lambda i: i.started)


def banner_level(incidents: Iterable[Incident], now: datetime) -> str:
    """The overall level shown in a banner: the worst active incident that counts."""
    return worst(level_of(i) for i in incidents if counts(i) and i.is_active(now))


def component_levels(client: Client, incidents: Iterable[Incident], now: datetime) -> dict[str, str]:
    """Each of the client's components and its current level, in clients.yml order."""
    current = [i for i in incidents if counts(i) and i.is_active(now) and client.id in i.clients]
    return {cid: worst(level_of(i) for i in current if cid in i.components) for cid in client.components}


# Availability -----------------------------------------------------------------------------

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class DayStatus:
    """One bar: a calendar day in the display zone and what happened to a component on it."""

    day: date
    level: str
    down: timedelta = timedelta(0)
    degraded: timedelta = timedelta(0)
    maintenance: timedelta = timedelta(0)


@dataclass(frozen=True)
class Availability:
    """A component's bars over the period and its uptime in percent."""

    days: tuple[DayStatus, ...]
    uptime: float


def covered(spans: Iterable[Span], start: datetime, end: datetime) -> timedelta:
    """How much of ``start``..``end`` the spans cover, overlapping spans counted once."""
    clipped = sorted((max(a, start), min(b, end)) for a, b in spans if b > start and a < end)
    total, reach = timedelta(0), start
    for a, b in clipped:
        if b > reach:
            total += b - max(a, reach)
            reach = b
    return total


def _spans_by_level(component: str, incidents: Iterable[Incident], now: datetime) -> dict[str, list[Span]]:
    spans: dict[str, list[Span]] = {}
    for incident in incidents:
        if counts(incident) and component in incident.components and incident.started < now:
            end = min(incident.resolved_at or now, now)
            spans.setdefault(level_of(incident), []).append((incident.started, end))
    return spans


def day_bounds(day: date, zone: ZoneInfo) -> Span:
    """Local midnight to local midnight (23 or 25 hours on the days the clocks change), in UTC."""
    # In UTC, because Python subtracts two times of the same zone as wall-clock times.
    return (datetime.combine(day, time(), tzinfo=zone).astimezone(UTC),
            datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC))


def _day_status(day: date, spans: dict[str, list[Span]], zone: ZoneInfo, now: datetime) -> DayStatus:
    start, end = day_bounds(day, zone)
    end = min(end, now)
    seen = [level for level, found in spans.items() if covered(found, start, end)]
    down = covered([s for lv in DOWN_LEVELS for s in spans.get(lv, [])], start, end)
    return DayStatus(day, worst(seen), down, covered(spans.get("degraded", []), start, end),
                     covered(spans.get("maintenance", []), start, end))


def availability(component: str, incidents: Iterable[Incident], now: datetime, zone: ZoneInfo,
                 days: int = 90) -> Availability:
    """A component's daily status over the last ``days`` days up to ``now``, and its uptime."""
    today = now.astimezone(zone).date()
    since = day_bounds(today - timedelta(days=days - 1), zone)[0]
    # Only spans that reach into the period: each day looks at these, not at years of history.
    spans = {level: [s for s in found if s[1] > since]
             for level, found in _spans_by_level(component, incidents, now).items()}
    bars = tuple(_day_status(today - timedelta(days=back), spans, zone, now)
                 for back in range(days - 1, -1, -1))
    period = now - day_bounds(bars[0].day, zone)[0]
    down = sum((d.down for d in bars), timedelta(0))
    uptime = 100.0 if period <= timedelta(0) else 100.0 * (1 - down / period)
    return Availability(bars, uptime)


def uptime_text(uptime: float) -> str:
    """``99.95 % uptime``: rounded down, so any downtime at all never reads as 100 %."""
    return f"{math.floor(uptime * 100) / 100:.2f} % uptime"


# History ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Month:
    """A month of a client's history, newest incidents first, with its counts (drills excluded)."""

    first_day: date
    incidents: tuple[Incident, ...]

    @property
    def counted(self) -> list[Incident]:
        """Real incidents of the month: no drills, no maintenance."""
        return [i for i in self.incidents if counts(i) and not i.is_maintenance]

    @property
    def downtime(self) -> timedelta:
        """The summed duration of the month's real incidents."""
        return sum((i.duration(i.latest.at) for i in self.counted), timedelta(0))


def _month_of(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date().replace(day=1)


def history(incidents: Sequence[Incident], now: datetime, zone: ZoneInfo, days: int = 90) -> list[Month]:
    """Closed incidents resolved in the last ``days`` days, by month of start, newest month first.

    Every month of the period is listed, so a quiet month reads as "no incidents".
    """
    since = now - timedelta(days=days)
    closed = [i for i in incidents if i.resolved_at is not None and i.resolved_at >= since]
    months = {_month_of(since, zone), _month_of(now, zone)} | {_month_of(i.started, zone) for i in closed}
    first, last = min(months), max(months)
    while first < last:
        first = (first + timedelta(days=32)).replace(day=1)
        months.add(first)
    return [Month(m, tuple(sorted((i for i in closed if _month_of(i.started, zone) == m),
                                  key=lambda i: i.started, reverse=True)))
            for m in sorted(months, reverse=True)]


def earlier(incidents: Sequence[Incident], now: datetime, days: int = 90) -> list[Incident]:
    """Closed incidents older than the history period, newest first."""
    since = now - timedelta(days=days)
    return sorted((i for i in incidents if i.resolved_at is not None and i.resolved_at < since),
                  key=lambda i: i.started, reverse=True)
