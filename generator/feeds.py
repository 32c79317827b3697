"""Public outputs: the Atom feed, the status API (``status_api``) and the public calendar.

Only incidents whose ``client`` is ``public`` appear here: these files are not encrypted,
and the leak gate checks that nothing protected reached them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from . import keys, maintenance_calendar, status_api
from .model import Incident
from .status_api import utc
from .view import PageContext

if TYPE_CHECKING:
    from .site import SiteBuild

ATOM = "http://www.w3.org/2005/Atom"
FEED_FILE = "feed.xml"
MAX_ENTRIES = 50


def public_incidents(build: SiteBuild) -> list[Incident]:
    """Public incidents, most recently updated first."""
    found = [i for i in build.catalogue.incidents if i.is_public]
    return sorted(found, key=lambda i: i.latest.at, reverse=True)


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


def atom_entry(feed: ET.Element, build: SiteBuild, ctx: PageContext, incident: Incident) -> None:
    """One public incident as an Atom entry; its content is the whole timeline."""
    entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
    host = urlsplit(build.settings.site_url).hostname or "localhost"
    _text(entry, "id", f"tag:{host},{incident.started:%Y-%m-%d}:{incident.id}")
    _text(entry, "title", ctx.shown_title(incident))
    ET.SubElement(entry, f"{{{ATOM}}}link", {"href": page_url(build, incident)})
    _text(entry, "published", utc(incident.started))
    _text(entry, "updated", utc(incident.latest.at))
    _text(entry, "summary", f"{incident.status.replace('_', ' ').capitalize()}: {incident.latest.message}")
    timeline = "\n".join(f"{utc(u.at)} {u.status.replace('_', ' ')}: {u.message}"
                         for u in sorted(incident.updates, key=lambda u: u.at))
    _text(entry, "content", timeline, type="text")


def atom_feed(build: SiteBuild, ctx: PageContext) -> ET.ElementTree:
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
        atom_entry(feed, build, ctx, incident)
    return ET.ElementTree(feed)


def write_public_files(build: SiteBuild, site_dir: Path) -> None:
    """Write the feed, status.json, the status badge and maintenance.ics: public incidents only."""
    ctx = PageContext(build.settings, build.catalogue, build.secrets.site_secret, build.now)
    ET.indent(tree := atom_feed(build, ctx))
    tree.write(site_dir / FEED_FILE, encoding="utf-8", xml_declaration=True)
    for name, text in status_api.status_files(ctx):
        (site_dir / name).write_text(text, encoding="utf-8")
    # Bytes: the text already ends its lines with CRLF, as RFC 5545 requires.
    public = maintenance_calendar.public_calendar(ctx)
    (site_dir / maintenance_calendar.PUBLIC_FILE).write_bytes(public.encode("utf-8"))
