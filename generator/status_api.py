"""The status API for machines: ``status.json`` and the ``status.svg`` badge, public incidents only.

``status.json`` has the shape of Atlassian Statuspage's ``/api/v2/summary.json`` (``page``,
``status``, ``components``, ``incidents``, ``scheduled_maintenances``), so widgets and monitors
written for that API read it unchanged. Components belong to clients, whose pages are
protected, and public incidents have none: the list is empty and ``status.indicator`` carries
the state. The indicator is the landing page's banner level (``status.banner_level``), so
drills never move it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from . import status
from .model import Incident
from .view import PageContext

SUMMARY_FILE = "status.json"
BADGE_FILE = "status.svg"
# Statuspage's indicator for each banner level: its "critical" is our major outage, and so on.
INDICATORS = {"operational": "none", "maintenance": "maintenance", "degraded": "minor",
              "partial": "major", "major": "critical"}
BADGE_LABEL = "status"
BADGE_VALUES = {"operational": "operational", "maintenance": "maintenance", "degraded": "degraded",
                "partial": "partial outage", "major": "major outage"}
# (background, text) of each level, as docs/assets/sitrep.css colours the banners.
BADGE_COLOURS = {"operational": ("#15803d", "#fff"), "maintenance": ("#1d63c9", "#fff"),
                 "degraded": ("#e6b400", "#2b2100"), "partial": ("#d35400", "#fff"),
                 "major": ("#c62828", "#fff")}
# Verdana 11 px advance widths of the badge's letters; textLength pins the rest.
_WIDTHS = {"a": 6.7, "c": 5.8, "d": 6.9, "e": 6.6, "g": 6.9, "i": 3.0, "j": 3.8, "l": 3.0,
           "m": 10.7, "n": 7.0, "o": 6.7, "p": 6.9, "r": 4.7, "s": 5.8, "t": 4.3, "u": 7.0, " ": 3.5}
_PAD = 6


def utc(moment: datetime) -> str:
    """RFC 3339 in UTC, as feeds and JSON readers expect."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def page_id(ctx: PageContext) -> str:
    """The page's identifier: the site's host name, which is public and stable."""
    return urlsplit(ctx.settings.site_url).hostname or "localhost"


def level(ctx: PageContext) -> str:
    """The public banner level: the worst active public incident that counts."""
    return status.banner_level(ctx.public_incidents(), ctx.now)


def updates_json(incident: Incident) -> list[dict[str, Any]]:
    """Statuspage ``incident_updates``, newest first; ids number the updates in time order."""
    ordered = sorted(enumerate(incident.updates), key=lambda pair: (pair[1].at, pair[0]))
    found = [{"id": f"{incident.id}/{n}", "incident_id": incident.id, "status": u.status,
              "body": u.message, "created_at": utc(u.at), "updated_at": utc(u.at), "display_at": utc(u.at)}
             for n, (_line, u) in enumerate(ordered, start=1)]
    return found[::-1]


def _first_at(incident: Incident, state: str) -> str | None:
    moments = sorted(u.at for u in incident.updates if u.status == state)
    return utc(moments[0]) if moments else None


def incident_json(ctx: PageContext, incident: Incident) -> dict[str, Any]:
    """A public incident as a Statuspage incident (maintenance adds its window)."""
    found: dict[str, Any] = {
        "id": incident.id, "name": ctx.shown_title(incident), "status": incident.status,
        "impact": incident.severity, "shortlink": ctx.settings.site_url + ctx.incident_url(incident.id),
        "created_at": utc(min(u.at for u in incident.updates)), "updated_at": utc(incident.latest.at),
        "started_at": utc(incident.started), "monitoring_at": _first_at(incident, "monitoring"),
        "resolved_at": utc(incident.resolved_at) if incident.resolved_at else None,
        "page_id": page_id(ctx), "incident_updates": updates_json(incident), "components": [],
    }
    if incident.is_maintenance:
        found["scheduled_for"] = utc(incident.started)
        # No eta, no announced end: null rather than an invented one.
        found["scheduled_until"] = utc(incident.eta) if incident.eta else None
    return found


def maintenances(ctx: PageContext) -> list[Incident]:
    """Public maintenance under way (soonest started first), then upcoming (soonest first)."""
    public = ctx.public_incidents()
    under_way = sorted((i for i in public if i.is_maintenance and i.is_active(ctx.now)),
                       key=lambda i: i.started)
    return under_way + status.upcoming(public, ctx.now)


def summary(ctx: PageContext) -> dict[str, Any]:
    """``status.json``: page, status indicator, components, unresolved incidents, maintenance."""
    now_level = level(ctx)
    unresolved = [i for i in status.active(ctx.public_incidents(), ctx.now) if not i.is_maintenance]
    return {
        "page": {"id": page_id(ctx), "name": ctx.settings.organisation, "url": ctx.settings.site_url,
                 "time_zone": ctx.zone.key, "updated_at": utc(ctx.now)},
        "status": {"indicator": INDICATORS[now_level], "description": status.BANNERS[now_level]},
        "components": [],
        "incidents": [incident_json(ctx, i) for i in unresolved],
        "scheduled_maintenances": [incident_json(ctx, i) for i in maintenances(ctx)],
    }


def text_width(text: str) -> int:
    """The width of ``text`` in the badge's font, rounded up to whole pixels."""
    return int(sum(_WIDTHS.get(c, 7.0) for c in text) + 0.999)


def badge_svg(badge_level: str) -> str:
    """A flat, shields-style badge: ``status`` on grey, the level's words on its colour."""
    value = BADGE_VALUES[badge_level]
    background, colour = BADGE_COLOURS[badge_level]
    left, right = text_width(BADGE_LABEL) + 2 * _PAD, text_width(value) + 2 * _PAD
    width, title = left + right, html.escape(f"{BADGE_LABEL}: {value}")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
            f'aria-label="{title}">\n<title>{title}</title>\n'
            f'<clipPath id="r"><rect width="{width}" height="20" rx="3"/></clipPath>\n'
            f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
            f'<rect x="{left}" width="{right}" height="20" fill="{background}"/></g>\n'
            f'<g text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
            f'<text x="{left / 2:g}" y="14" fill="#fff" textLength="{left - 2 * _PAD}">{BADGE_LABEL}</text>'
            f'<text x="{left + right / 2:g}" y="14" fill="{colour}" textLength="{right - 2 * _PAD}">'
            f"{html.escape(value)}</text></g>\n</svg>\n")


def landing_links(ctx: PageContext, calendar_file: str) -> str:
    """The landing page's line of links to the public calendar, feed, status.json and badge."""
    site = urlsplit(ctx.settings.site_url)
    links = [f'<a href="{calendar_file}">Maintenance calendar (.ics)</a>']
    if site.scheme in ("http", "https"):
        links.append(f'<a href="webcal://{site.netloc}{site.path}{calendar_file}">subscribe</a>')
    links += ['<a href="feed.xml">Atom feed</a>', f'<a href="{SUMMARY_FILE}">Status API (JSON)</a>',
              f'<a href="{BADGE_FILE}"><img class="sitrep-badge-img" src="{BADGE_FILE}" '
              f'alt="{html.escape(BADGE_LABEL)}: {BADGE_VALUES[level(ctx)]}" height="20"></a>']
    return f'<p class="sitrep-machine">{" · ".join(links)}</p>'


def status_files(ctx: PageContext) -> Sequence[tuple[str, str]]:
    """(file name, text) of the status API's files."""
    return [(SUMMARY_FILE, json.dumps(summary(ctx), indent=2, ensure_ascii=False) + "\n"),
            (BADGE_FILE, badge_svg(level(ctx)))]
