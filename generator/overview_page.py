"""Overview pages: a client's status page and the staff overview across every client."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from . import status
from .blocks import Block, PageSource
from .maintenance_calendar import calendar_block
from .markup import (
    at_clock,
    banner,
    built_note,
    esc,
    eta,
    exercise_badge,
    front_matter,
    level_label,
    relative,
    section,
    severity_badge,
    status_pill,
    when,
    window,
)
from .model import Client, Incident
from .report_page import staff_section
from .times import span
from .view import PageContext, href

CLIENT_TITLE = "Client status"
STAFF_TITLE = "Staff overview"
RECENT = timedelta(days=7)


def client_source(ctx: PageContext, client: Client, url: str) -> PageSource:
    """A client's status page: banner, active and upcoming work, components, history."""
    incidents = _merge(ctx.catalogue.for_client(client.id), ctx.public_incidents())
    level = status.banner_level(incidents, ctx.now)
    blocks = [
        header(f'<a href="{href(url, "")}">{esc(ctx.settings.organisation)}</a>', client.name),
        banner(level, status.BANNERS[level]),
        *lists(ctx, incidents, url),
        # The calendar rides inside this protected page: a client's .ics is never a file.
        calendar_block(ctx, client),
        components(ctx, client, incidents),
        history(ctx, incidents, url),
        earlier(ctx, incidents, url),
        built_note(ctx.now, ctx.zone),
    ]
    return page(CLIENT_TITLE, blocks)


def staff_source(ctx: PageContext, url: str) -> PageSource:
    """Every client at a glance for the provider's staff, drills marked as exercises."""
    incidents = sorted(ctx.catalogue.incidents, key=lambda i: i.started, reverse=True)
    level = status.banner_level(incidents, ctx.now)
    live = [i for i in status.active(incidents, ctx.now) if status.counts(i)]
    text = "All clients operational" if level == "operational" else status.BANNERS[level]
    detail = f"{len(live)} active incident{'s' if len(live) != 1 else ''}" if live else ""
    since = ctx.now - RECENT
    recent = [i for i in incidents if i.resolved_at is not None and i.resolved_at >= since]
    blocks = [
        header(f'<a href="{href(url, "")}">{esc(ctx.settings.organisation)}</a>', STAFF_TITLE),
        banner(level, text, detail),
        *lists(ctx, incidents, url, staff=True),
        section("Clients", [_client_row(ctx, c, url) for c in ctx.catalogue.clients.values()],
                "sitrep-clients"),
        section("Closed in the last 7 days", _rows(ctx, recent, url, staff=True)) if recent else "",
        staff_section(ctx, url),
        built_note(ctx.now, ctx.zone),
    ]
    return page(STAFF_TITLE, blocks)


def page(title: str, blocks: Sequence[Block]) -> PageSource:
    """A page of ``title`` made of ``blocks`` (empty ones are left out when it is rendered)."""
    return PageSource(front_matter(title), tuple(blocks))


def header(crumbs: str, title: str) -> str:
    """The page heading with a line of links above it."""
    return (f'<header class="sitrep-head">\n<p class="sitrep-crumbs">{crumbs}</p>\n'
            f'<h1 class="sitrep-title">{esc(title)}</h1>\n</header>')


def lists(ctx: PageContext, incidents: Sequence[Incident], url: str, staff: bool = False) -> list[str]:
    """The active incidents and the upcoming maintenance, as sections of cards (none if empty)."""
    found = []
    current = status.active(incidents, ctx.now)
    if current:
        found.append(section("Active incidents", _cards(ctx, current, url, staff), "sitrep-active"))
    planned = status.upcoming(incidents, ctx.now)
    if planned:
        found.append(section("Upcoming maintenance", _cards(ctx, planned, url, staff), "sitrep-upcoming"))
    return found


def _merge(*groups: Sequence[Incident]) -> list[Incident]:
    unique = {i.id: i for group in groups for i in group}
    return sorted(unique.values(), key=lambda i: i.started, reverse=True)


def _cards(ctx: PageContext, incidents: Sequence[Incident], url: str, staff: bool) -> list[str]:
    return ['<div class="sitrep-cards">', *(card(ctx, i, url, staff) for i in incidents), "</div>"]


def card(ctx: PageContext, incident: Incident, url: str, staff: bool = False) -> str:
    """An incident as a tappable card: title, badges, times and its latest message."""
    tags = [severity_badge(incident.severity), status_pill(incident.status)]
    if incident.drill and (staff or incident.is_resolved):
        tags.append(exercise_badge())
    if staff:
        names = ", ".join(ctx.client_name(c) for c in incident.clients)
        tags.append(f'<span class="sitrep-card-client">{esc(names)}</span>')
    return (f'<a class="sitrep-card sitrep-lv-{status.level_of(incident)}" '
            f'href="{href(url, ctx.incident_url(incident.id))}">'
            f'<span class="sitrep-card-title">{esc(incident.title)}</span> '
            f'<span class="sitrep-card-tags">{" ".join(tags)}</span> '
            + "".join(f'<span class="sitrep-card-meta">{m}</span> ' for m in _card_meta(ctx, incident, staff))
            + f'<span class="sitrep-card-msg">{esc(incident.latest.message)}</span></a>')


def _card_meta(ctx: PageContext, incident: Incident, staff: bool) -> list[str]:
    now, zone = ctx.now, ctx.zone
    if incident.is_upcoming(now):
        return [window(incident.started, incident.eta, zone),
                f"Starts {relative('when', incident.started, now)}"]
    meta = [f"Started {at_clock(incident.started, zone, now)}"]
    if incident.is_maintenance and incident.eta is not None:
        meta.append(f"Until {at_clock(incident.eta, zone, now)}")
    elif incident.eta is not None:
        meta.append(eta(incident.eta, now, zone))
    if staff:
        due = ctx.next_update_due(incident)
        meta.append(f"Next update by {at_clock(due, zone, now)} ({relative('due', due, now)})")
    return meta


def components(ctx: PageContext, client: Client, incidents: Sequence[Incident]) -> str:
    """Each component's current status and its availability bars."""
    if not client.components:
        return ""
    levels = status.component_levels(client, incidents, ctx.now)
    days = ctx.settings.history_days
    rows = []
    for cid, name in client.components.items():
        found = status.availability(cid, incidents, ctx.now, ctx.zone, days)
        rows.append(_component(name, levels[cid], found, days))
    return section("Components", rows, "sitrep-components")


def _component(name: str, level: str, found: status.Availability, days: int) -> str:
    uptime = status.uptime_text(found.uptime)
    bars = "".join(f'<span class="sitrep-bar sitrep-lv-{d.level}" title="{_bar_title(d)}"></span>'
                   for d in found.days)
    return (f'<div class="sitrep-component sitrep-lv-{level}">'
            f'<div class="sitrep-component-head"><span class="sitrep-component-name">{esc(name)}</span> '
            f'<span class="sitrep-component-level">{level_label(level)}</span></div>'
            f'<div class="sitrep-bars" role="img" aria-label="{esc(name)}: {uptime} over {days} days">'
            f"{bars}</div>"
            f'<div class="sitrep-bars-legend"><span>{days} days ago</span> '
            f'<span class="sitrep-uptime">{uptime}</span> <span>Today</span></div></div>')


def _bar_title(day: status.DayStatus) -> str:
    parts = [f"{label} {span(amount)}" for label, amount in
             (("outage", day.down), ("degraded", day.degraded), ("maintenance", day.maintenance)) if amount]
    return f"{day.day.day} {day.day:%b %Y}: {', '.join(parts) or 'no incidents'}"


def history(ctx: PageContext, incidents: Sequence[Incident], url: str) -> str:
    """Closed incidents of the history period by month, each month with its count and downtime."""
    body = []
    for month in status.history(incidents, ctx.now, ctx.zone, ctx.settings.history_days):
        body.append(f'<h3 class="sitrep-month">{month.first_day:%B %Y}</h3>')
        body.append(f'<p class="sitrep-month-stats">{_month_stats(month)}</p>')
        if month.incidents:
            body.extend(_rows(ctx, month.incidents, url))
    return section(f"History, last {ctx.settings.history_days} days", body, "sitrep-history")


def _month_stats(month: status.Month) -> str:
    real = month.counted
    text = (f"{len(real)} incident{'s' if len(real) != 1 else ''}, {span(month.downtime)} in total"
            if real else "No incidents reported")
    planned = sum(1 for i in month.incidents if i.is_maintenance and not i.drill)
    drills = sum(1 for i in month.incidents if i.drill)
    extra = [f"{planned} maintenance"] * bool(planned)
    extra += [f"{drills} exercise{'s' * (drills > 1)}"] * bool(drills)
    return " · ".join([text, *extra])


def _rows(ctx: PageContext, incidents: Sequence[Incident], url: str, staff: bool = False) -> list[str]:
    items = []
    for incident in incidents:
        tags = [severity_badge(incident.severity)]
        if incident.drill:
            tags.append(exercise_badge())
        if staff:
            tags.append(esc(", ".join(ctx.client_name(c) for c in incident.clients)))
        items.append(f'<li><a href="{href(url, ctx.incident_url(incident.id))}">{esc(incident.title)}</a> '
                     f'<span class="sitrep-past-tags">{" ".join(tags)}</span> '
                     f'<span class="sitrep-past-meta">{when(incident.started, ctx.zone)} · '
                     f"{span(incident.duration(ctx.now))}</span></li>")
    return ['<ul class="sitrep-past">', *items, "</ul>"]


def earlier(ctx: PageContext, incidents: Sequence[Incident], url: str) -> str:
    """Older closed incidents, folded away but still one tap from their pages and reviews."""
    older = status.earlier(incidents, ctx.now, ctx.settings.history_days)
    if not older:
        return ""
    rows = "\n".join(_rows(ctx, older, url))
    return (f'<details class="sitrep-earlier">\n<summary>Earlier incidents ({len(older)})</summary>\n'
            f"{rows}\n</details>")


def _client_row(ctx: PageContext, client: Client, url: str) -> str:
    incidents = ctx.catalogue.for_client(client.id)
    level = status.banner_level(incidents, ctx.now)
    live = [i for i in status.active(incidents, ctx.now) if status.counts(i)]
    note = f"{len(live)} active" if live else ""
    return (f'<a class="sitrep-client sitrep-lv-{level}" href="{href(url, ctx.client_url(client.id))}">'
            f'<span class="sitrep-client-name">{esc(client.name)}</span> '
            f'<span class="sitrep-client-level">{level_label(level)}</span> '
            f'<span class="sitrep-client-note">{note}</span></a>')
