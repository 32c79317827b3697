"""status.json in Statuspage's summary shape and the status.svg badge: public incidents only."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import TEST_NOW, TEST_SECRETS, copy_repo, mkdocs_build

from generator import keys, status_api
from generator.config import Settings
from generator.model import Catalogue, Client, Incident, Update
from generator.times import parse_time
from generator.view import PageContext

SECRET = TEST_SECRETS["SITREP_SITE_SECRET"]
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "status-summary.json").read_text(encoding="utf-8"))
NOW = parse_time(TEST_NOW)
SVG = "{http://www.w3.org/2000/svg}"
CLIENTS = {"dlca": Client("dlca", "Drummond Laurie Chartered Accountants", {"email": "Email"})}


def validate(data: dict[str, Any]) -> None:
    """Fail unless ``data`` matches the schema kept in tests/schemas."""
    jsonschema.validate(data, SCHEMA, cls=jsonschema.Draft202012Validator)


def incident(name: str, severity: str, status: str = "investigating", clients: tuple[str, ...] = ("public",),
             start: int = -60, eta: int | None = None, drill: bool = False,
             updates: tuple[tuple[int, str], ...] = ()) -> Incident:
    """An incident starting ``start`` minutes from NOW; ``updates`` are (minutes, status) pairs."""
    started = NOW + timedelta(minutes=start)
    timeline = tuple(Update(NOW + timedelta(minutes=m), s, f"{name}: {s}") for m, s in updates)
    if not timeline:
        timeline = (Update(min(started, NOW - timedelta(minutes=1)), status, f"{name}: {status}"),)
    return Incident(f"2026-12-03-{clients[0]}-{name}", f"incidents/{name}.md", name.replace("-", " ").title(),
                    clients, severity, started, timeline, eta=NOW + timedelta(minutes=eta) if eta else None,
                    drill=drill)


def context(*incidents: Incident, now: datetime = NOW) -> PageContext:
    """A build's view of ``incidents`` at ``now``."""
    settings = Settings(root=Path("."), site_url="https://status.example.com/",
                        organisation="Northbridge IT Services")
    return PageContext(settings, Catalogue(CLIENTS, incidents), SECRET, now)


# The summary document -----------------------------------------------------------------------

@pytest.mark.parametrize(("severities", "indicator", "description"), [
    ((), "none", "All systems operational"),
    (("minor",), "minor", "Degraded performance"),
    (("major",), "major", "Partial outage"),
    (("critical",), "critical", "Major outage"),
    (("maintenance",), "maintenance", "Maintenance in progress"),
    (("minor", "critical", "maintenance"), "critical", "Major outage"),
    (("maintenance", "minor"), "minor", "Degraded performance"),
])
def test_indicator_is_the_worst_active_public_incident(
        severities: tuple[str, ...], indicator: str, description: str) -> None:
    found = [incident(f"case-{n}", s, "in_progress" if s == "maintenance" else "identified")
             for n, s in enumerate(severities)]
    data = status_api.summary(context(*found))
    validate(data)
    assert data["status"] == {"indicator": indicator, "description": description}


def test_protected_incidents_never_count_or_appear() -> None:
    secret = incident("payroll-down", "critical", clients=("dlca",))
    planned = incident("mail-move", "maintenance", "scheduled", clients=("dlca",), start=600, eta=660)
    data = status_api.summary(context(secret, planned))
    validate(data)
    assert data["status"]["indicator"] == "none"
    assert data["incidents"] == [] and data["scheduled_maintenances"] == []
    assert "dlca" not in json.dumps(data) and "Payroll" not in json.dumps(data)


def test_drills_are_listed_but_never_move_the_indicator() -> None:
    drill = incident("failover-drill", "critical", drill=True)
    data = status_api.summary(context(drill))
    validate(data)
    assert data["status"]["indicator"] == "none"
    # Named as the site names it; no flag that would give away an unannounced drill.
    assert [i["name"] for i in data["incidents"]] == ["EXERCISE: Failover Drill"]
    assert "drill" not in data["incidents"][0]


def test_incident_fields_follow_statuspage() -> None:
    open_one = incident("vpn-slow", "major", start=-90,
                        updates=((-80, "investigating"), (-40, "identified"), (-10, "monitoring")))
    closed = incident("old-outage", "critical", updates=((-200, "investigating"), (-100, "resolved")))
    data = status_api.summary(context(open_one, closed))
    validate(data)
    assert [i["name"] for i in data["incidents"]] == ["Vpn Slow"]
    found = data["incidents"][0]
    assert found["impact"] == "major" and found["status"] == "monitoring"
    assert found["started_at"] == "2026-12-03T07:30:00Z" and found["created_at"] == "2026-12-03T07:40:00Z"
    assert found["monitoring_at"] == found["updated_at"] == "2026-12-03T08:50:00Z"
    assert found["resolved_at"] is None
    assert found["shortlink"] == "https://status.example.com/" + keys.incident_path(SECRET, open_one.id)
    assert found["page_id"] == "status.example.com"
    # Newest first, as Statuspage lists them; ids number the updates in time order.
    assert [(u["status"], u["id"]) for u in found["incident_updates"]] == [
        ("monitoring", f"{open_one.id}/3"), ("identified", f"{open_one.id}/2"),
        ("investigating", f"{open_one.id}/1")]
    assert found["incident_updates"][0]["body"] == "vpn-slow: monitoring"


def test_maintenance_in_progress_and_upcoming_with_their_windows() -> None:
    later = incident("switch-swap", "maintenance", "scheduled", start=24 * 60, eta=25 * 60,
                     updates=((-600, "scheduled"),))
    now_on = incident("patching", "maintenance", "in_progress", start=-30, eta=30,
                      updates=((-900, "scheduled"), (-30, "in_progress")))
    no_end = incident("dns-move", "maintenance", "scheduled", start=48 * 60, updates=((-60, "scheduled"),))
    done = incident("old-work", "maintenance", "completed", start=-300, eta=-240,
                    updates=((-400, "scheduled"), (-240, "completed")))
    data = status_api.summary(context(later, now_on, no_end, done))
    validate(data)
    assert data["status"]["indicator"] == "maintenance"
    assert data["incidents"] == []
    windows = [(m["name"], m["status"], m["scheduled_for"], m["scheduled_until"])
               for m in data["scheduled_maintenances"]]
    assert windows == [
        ("Patching", "in_progress", "2026-12-03T08:30:00Z", "2026-12-03T09:30:00Z"),
        ("Switch Swap", "scheduled", "2026-12-04T09:00:00Z", "2026-12-04T10:00:00Z"),
        ("Dns Move", "scheduled", "2026-12-05T09:00:00Z", None),
    ]
    assert all(m["impact"] == "maintenance" for m in data["scheduled_maintenances"])


# The badge ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("level", "words", "colour"), [
    ("operational", "operational", "#15803d"), ("maintenance", "maintenance", "#1d63c9"),
    ("degraded", "degraded", "#e6b400"), ("partial", "partial outage", "#d35400"),
    ("major", "major outage", "#c62828"),
])
def test_badge_is_svg_with_the_levels_words_and_colour(level: str, words: str, colour: str) -> None:
    root = ET.fromstring(status_api.badge_svg(level))
    assert root.tag == f"{SVG}svg"
    assert [t.text for t in root.iter(f"{SVG}text")] == ["status", words]
    assert root.findtext(f"{SVG}title") == f"status: {words}"
    rects = [r for r in root.iter(f"{SVG}rect") if r.get("fill")]
    assert [r.get("fill") for r in rects] == ["#555", colour]
    # The two halves fill the badge exactly.
    assert int(rects[0].get("width", "0")) + int(rects[1].get("width", "0")) == int(root.get("width", "0"))


# A real build -------------------------------------------------------------------------------

PUBLIC_OUTAGE = """---
title: Internet access down for all clients
client: public
severity: critical
started: 2026-12-03T08:15:00+00:00
updates:
  - at: 2026-12-03T08:20:00+00:00
    status: investigating
    message: Our upstream provider has lost a core link; no client can reach the internet.
---
Our upstream provider is investigating.
"""
PROTECTED_MAINTENANCE = """---
title: Accounts database failover test
client: dlca
severity: maintenance
components: [practice-management]
started: 2026-12-05T18:00:00+00:00
eta: 2026-12-05T19:30:00+00:00
updates:
  - at: 2026-12-01T12:00:00+00:00
    status: scheduled
    message: Practice management will be read-only during the failover test window tonight.
---
A planned failover of the accounts database.
"""


@pytest.fixture(scope="module")
def outage_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example repository plus a public critical outage and a protected maintenance, built."""
    root = copy_repo(tmp_path_factory.mktemp("status-api") / "repo")
    incidents = root / "incidents"
    (incidents / "2026-12-03-public-internet-down.md").write_text(PUBLIC_OUTAGE, encoding="utf-8")
    (incidents / "2026-12-05-dlca-db-failover.md").write_text(PROTECTED_MAINTENANCE, encoding="utf-8")
    result = mkdocs_build(root)
    assert result.returncode == 0, result.stderr
    return root / "site"


def test_built_status_json_validates_and_names_public_incidents_only(outage_site: Path) -> None:
    text = (outage_site / "status.json").read_text(encoding="utf-8")
    data = json.loads(text)
    validate(data)
    assert data["status"] == {"indicator": "critical", "description": "Major outage"}
    assert [i["name"] for i in data["incidents"]] == ["Internet access down for all clients"]
    assert data["scheduled_maintenances"] == []
    assert data["page"]["time_zone"] == "Europe/London"
    for protected in ("failover test", "telephony", "calls dropping", "dlca", "hbs", "mwl", "File server"):
        assert protected.lower() not in text.lower()


def test_built_badge_and_landing_links(outage_site: Path) -> None:
    root = ET.parse(outage_site / "status.svg").getroot()
    assert [t.text for t in root.iter(f"{SVG}text")] == ["status", "major outage"]
    landing = (outage_site / "index.html").read_text(encoding="utf-8")
    for target in ('href="status.json"', 'href="status.svg"', 'src="status.svg"', 'href="maintenance.ics"',
                   'href="webcal://status.example.com/maintenance.ics"', 'alt="status: major outage"'):
        assert target in landing


def test_example_site_status_json_validates(example_site: Path) -> None:
    data = json.loads((example_site / "status.json").read_text(encoding="utf-8"))
    validate(data)
    # The Harbour Bay telephony incident is active but protected: the public page is calm.
    assert data["status"]["indicator"] == "none" and data["incidents"] == []
    assert ET.parse(example_site / "status.svg").getroot().findtext(f"{SVG}title") == "status: operational"
