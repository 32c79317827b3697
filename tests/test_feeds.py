"""Public outputs: feed.xml and status.json hold public incidents only."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import ROOT, TEST_NOW, TEST_SECRETS, copy_repo

from generator import feeds, keys, site, status_api
from generator.config import load_settings
from generator.secrets import Secrets
from generator.times import parse_time
from generator.validate import validate
from generator.view import PageContext

ATOM = "{http://www.w3.org/2005/Atom}"
SECRET = TEST_SECRETS["SITREP_SITE_SECRET"]


def build_of(root: Path, now: str = TEST_NOW) -> site.SiteBuild:
    """A SiteBuild of ``root`` at ``now`` (no MkDocs run)."""
    settings = load_settings(root / "mkdocs.yml")
    catalogue, _problems = validate(settings, now=parse_time(now))
    return site.SiteBuild(settings, Secrets(SECRET, "s" * 12, {}), catalogue, parse_time(now))


def test_built_feed_is_atom_of_public_incidents_only(example_site: Path) -> None:
    catalogue = build_of(ROOT).catalogue
    feed = ET.parse(example_site / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert titles == [i.title for i in catalogue.incidents if i.is_public]
    entry = next(feed.iter(f"{ATOM}entry"))
    link = entry.find(f"{ATOM}link")
    public_id = "2026-11-29-service-desk-phone-maintenance"
    assert link is not None
    assert link.get("href") == "https://status.example.com/" + keys.incident_path(SECRET, public_id)
    text = (example_site / "feed.xml").read_text(encoding="utf-8")
    for incident in catalogue.incidents:
        assert (incident.title in text) == incident.is_public


def test_built_status_json_names_nothing_protected(example_site: Path) -> None:
    data = json.loads((example_site / "status.json").read_text(encoding="utf-8"))
    assert set(data) == {"page", "status", "components", "incidents", "scheduled_maintenances"}
    assert data["page"]["name"] == "Northbridge IT Services"
    # The hbs telephony incident is active, but it is not public: the public page is calm.
    assert data["status"] == {"indicator": "none", "description": "All systems operational"}
    assert data["incidents"] == [] and data["components"] == []


def test_active_public_incident_and_maintenance_appear(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo")
    (repo / "incidents" / "2026-12-03-public-email.md").write_text(
        "---\ntitle: Outbound email delayed for all clients\nclient: public\nseverity: major\n"
        "started: 2026-12-03T08:00:00+00:00\nupdates:\n  - at: 2026-12-03T08:10:00+00:00\n"
        "    status: investigating\n    message: Outbound email is queued at our mail relay.\n---\n"
        "The mail relay is queueing.\n", encoding="utf-8")
    (repo / "incidents" / "2026-12-20-public-network.md").write_text(
        "---\ntitle: Core network maintenance\nclient: public\nseverity: maintenance\n"
        "started: 2026-12-20T06:00:00+00:00\neta: 2026-12-20T07:00:00+00:00\nupdates:\n"
        "  - at: 2026-12-01T09:00:00+00:00\n    status: scheduled\n"
        "    message: Short interruptions while we replace a core switch.\n---\nSwitch swap.\n",
        encoding="utf-8")
    build = build_of(repo)
    data = status_api.summary(PageContext(build.settings, build.catalogue, SECRET, build.now))
    assert data["status"]["indicator"] == "major"
    assert [i["name"] for i in data["incidents"]] == ["Outbound email delayed for all clients"]
    latest = data["incidents"][0]["incident_updates"][0]
    assert latest["body"] == "Outbound email is queued at our mail relay."
    assert [m["name"] for m in data["scheduled_maintenances"]] == ["Core network maintenance"]
    assert data["scheduled_maintenances"][0]["scheduled_until"] == "2026-12-20T07:00:00Z"


def test_write_public_files(tmp_path: Path) -> None:
    feeds.write_public_files(build_of(ROOT), tmp_path)
    title = ET.parse(tmp_path / "feed.xml").getroot().findtext(f"{ATOM}title")
    assert title == "Northbridge IT Services status"
    assert json.loads((tmp_path / "status.json").read_text(encoding="utf-8"))["page"]["updated_at"] == (
        "2026-12-03T09:00:00Z")
