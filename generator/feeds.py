"""Public outputs: the Atom feed and status.json of public incidents.

Only incidents whose ``client`` is ``public`` appear here: these files are not encrypted,
and the leak gate checks that nothing protected reached them.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import keys
from .model import Incident

if TYPE_CHECKING:
    from .site import SiteBuild

ATOM = "http://www.w3.org/2005/Atom"
FEED_FILE = "feed.xml"
STATUS_FILE = "status.json"
MAX_ENTRIES = 50
# Worst first: the page's indicator is the worst of its active incidents.
INDICATORS = {"critical": "Major outage", "major": "Partial outage", "minor": "Minor disruption",
              "maintenance": "Maintenance in progress", "none": "All systems operational"}


def utc(moment: datetime) -> str:
    """RFC 3339 in UTC, as feeds and JSON readers expect."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def public_incidents(build: SiteBuild) -> list[Incident]:
    """Public incidents, most recently updated first."""
    found = [i for i in build.catalogue.incidents if i.is_public]
    return sorted(found, key=lambda i: i.latest.at, reverse=True)


def title_of(build: SiteBuild, incident: Incident) -> str:
    """The title as readers see it, exercises marked."""
    return f"{build.settings.drill_prefix}{incident.title}" if incident.drill else incident.title


def page_url(build: SiteBuild, incident: Incident) -> str:
    """The absolute URL of a public incident's page."""
    return build.settings.site_url + keys.incident_path(build.secrets.site_secret, incident.id)


def recent(build: SiteBuild) -> list[Incident]:
    """Public incidents open, upcoming or updated within ``history_days``."""
    horizon = build.now.timestamp() - build.settings.history_days * 86400
    keep = [i for i in public_incidents(build)
            if not i.is_resolved or i.latest.at.timestamp() >= horizon]
    return keep[:MAX_ENTRIES]


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = text
    return element


def atom_entry(feed: ET.Element, build: SiteBuild, incident: Incident) -> None:
    """One public incident as an Atom entry; its content is the whole timeline."""
    entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
    host = urlsplit(build.settings.site_url).hostname or "localhost"
    _text(entry, "id", f"tag:{host},{incident.started:%Y-%m-%d}:{incident.id}")
    _text(entry, "title", title_of(build, incident))
    ET.SubElement(entry, f"{{{ATOM}}}link", {"href": page_url(build, incident)})
    _text(entry, "published", utc(incident.started))
    _text(entry, "updated", utc(incident.latest.at))
    _text(entry, "summary", f"{incident.status.replace('_', ' ').capitalize()}: {incident.latest.message}")
    timeline = "\n".join(f"{utc(u.at)} {u.status.replace('_', ' ')}: {u.message}"
                         for u in sorted(incident.updates, key=lambda u: u.at))
    _text(entry, "content", timeline, type="text")


def atom_feed(build: SiteBuild) -> ET.ElementTree:
    """The Atom feed of public incidents."""
    ET.register_namespace("", ATOM)
    base = build.settings.site_url
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", base)
    _text(feed, "title", f"{build.settings.organisation} status")
    ET.SubElement(feed, f"{{{ATOM}}}link", {"href": base + FEED_FILE, "rel": "self"})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"href": base})
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", build.settings.organisation)
    entries = recent(build)
    _text(feed, "updated", utc(max((i.latest.at for i in entries), default=build.now)))
    for incident in entries:
        atom_entry(feed, build, incident)
    return ET.ElementTree(feed)


def incident_json(build: SiteBuild, incident: Incident) -> dict[str, Any]:
    """A public incident for status.json."""
    return {
        "id": incident.id, "name": title_of(build, incident), "status": incident.status,
        "impact": incident.severity, "drill": incident.drill, "url": page_url(build, incident),
        "started_at": utc(incident.started), "updated_at": utc(incident.latest.at),
        "eta": utc(incident.eta) if incident.eta else None,
        "resolved_at": utc(incident.resolved_at) if incident.resolved_at else None,
        "updates": [{"at": utc(u.at), "status": u.status, "message": u.message}
                    for u in sorted(incident.updates, key=lambda u: u.at, reverse=True)],
    }


def indicator(active: list[Incident]) -> str:
    """The worst severity among active public incidents, or ``none``."""
    severities = {i.severity for i in active}
    return next((level for level in INDICATORS if level in severities), "none")


def status_document(build: SiteBuild) -> dict[str, Any]:
    """status.json: the page, its indicator, components, active incidents and maintenance."""
    public = public_incidents(build)
    active = [i for i in public if i.is_active(build.now)]
    maintenance = [i for i in public if i.is_maintenance and (i.is_upcoming(build.now) or i in active)]
    level = indicator(active)
    return {
        "page": {"name": build.settings.organisation, "url": build.settings.site_url,
                 "updated_at": utc(build.now)},
        "status": {"indicator": level, "description": INDICATORS[level]},
        # Components belong to clients, and clients' pages are protected: public incidents
        # have none (validation rejects them), so there is nothing public to list yet.
        "components": [],
        "incidents": [incident_json(build, i) for i in active if not i.is_maintenance],
        "scheduled_maintenances": [incident_json(build, i) for i in maintenance],
    }


def write_public_files(build: SiteBuild, site_dir: Path) -> None:
    """Write the feed and status.json for public incidents only."""
    ET.indent(tree := atom_feed(build))
    tree.write(site_dir / FEED_FILE, encoding="utf-8", xml_declaration=True)
    text = json.dumps(status_document(build), indent=2, ensure_ascii=False) + "\n"
    (site_dir / STATUS_FILE).write_text(text, encoding="utf-8")
