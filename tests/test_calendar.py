"""Maintenance calendars: RFC 5545 text, public maintenance.ics, clients' calendars inside encrypted pages."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest
from conftest import TEST_NOW, TEST_SECRETS, read_page
from playwright.sync_api import sync_playwright
from test_browser import CLIENTS, TIMEOUT, Server, launch, unlock

from generator import keys
from generator import maintenance_calendar as calendar
from generator.config import Settings
from generator.model import Catalogue, Client, Incident, Update
from generator.times import parse_time
from generator.view import PageContext

SECRET = TEST_SECRETS["SITREP_SITE_SECRET"]
NOW = parse_time(TEST_NOW)
PUBLIC_ID = "2026-11-29-service-desk-phone-maintenance"
DLCA_ID = "2026-12-12-dlca-file-server-maintenance"
PROTECTED_IDS = ("2017-08-14-dlca-remote-access", "2026-10-07-hbs-clinical-system-drill",
                 "2026-11-18-mwl-warehouse-outage", "2026-11-24-dlca-email-delays",
                 "2026-12-02-hbs-telephony-calls-dropping", DLCA_ID)
ICS_DATA = re.compile(r'data-sitrep-ics="([A-Za-z0-9+/=]+)"')


def parse(text: str | bytes) -> list[icalendar.Event]:
    """The events of a calendar, read by a standard parser."""
    return list(icalendar.Calendar.from_ical(text).walk("VEVENT"))


def window(event: icalendar.Event) -> tuple[datetime, datetime]:
    """An event's start and end as the parser reads them."""
    return event.decoded("DTSTART"), event.decoded("DTEND")


def utc(text: str) -> datetime:
    """A UTC moment from ``2026-12-12T08:00``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def context(*incidents: Incident) -> PageContext:
    """A build's view of ``incidents`` at NOW."""
    settings = Settings(root=Path("."), site_url="https://status.example.com/", organisation="Northbridge")
    clients = {"dlca": Client("dlca", "Drummond, Laurie; Chartered", {"email": "Email"})}
    return PageContext(settings, Catalogue(clients, incidents), SECRET, NOW)


def maintenance(slug: str, started: str, eta: str | None, *updates: tuple[str, str, str],
                clients: tuple[str, ...] = ("public",), title: str = "Core switch swap") -> Incident:
    """A maintenance incident; ``updates`` are (time, status, message)."""
    return Incident(f"2026-12-20-{slug}", f"incidents/{slug}.md", title, clients, "maintenance",
                    parse_time(started), tuple(Update(parse_time(a), s, m) for a, s, m in updates),
                    eta=parse_time(eta) if eta else None)


# RFC 5545 text rules ------------------------------------------------------------------------

def test_escape_commas_semicolons_backslashes_and_newlines() -> None:
    assert calendar.escape("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"


@pytest.mark.parametrize("line", [
    "X" * 75, "X" * 76, "SUMMARY:" + "é" * 80, "SUMMARY:" + "☃" * 40, "A" * 74 + "€" + "B" * 200, "",
])
def test_fold_keeps_lines_within_75_octets_and_characters_whole(line: str) -> None:
    folded = calendar.fold(line)
    physical = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert folded.replace("\r\n ", "") == line  # unfolding gives the line back
    assert (len(physical) > 1) == (len(line.encode("utf-8")) > 75)


def test_awkward_text_survives_a_standard_parser() -> None:
    title = 'Firewall; VPN, and "mail" \\ maintenance — ünïcödé ' + "long words " * 12
    item = maintenance("odd", "2026-12-20T06:00:00+00:00", "2026-12-20T07:00:00+00:00",
                       ("2026-12-01T09:00:00+00:00", "scheduled", "Line one,\nline two; done."), title=title)
    text = calendar.public_calendar(context(item))
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    assert "\n" not in text.replace("\r\n", "")  # CRLF only
    (event,) = parse(text)
    assert str(event["SUMMARY"]) == title
    assert str(event["DESCRIPTION"]).startswith("Scheduled: Line one,\nline two; done.\n\nDetails: https://")


# Events -------------------------------------------------------------------------------------

def test_windows_are_in_utc_with_a_stable_uid_and_sequence() -> None:
    item = maintenance("switch", "2026-12-20T06:00:00+01:00", "2026-12-20T09:30:00+01:00",
                       ("2026-12-01T09:00:00+00:00", "scheduled", "Planned."),
                       ("2026-12-10T09:00:00+00:00", "scheduled", "Still planned."))
    text = calendar.public_calendar(context(item))
    assert "DTSTART:20261220T050000Z\r\n" in text and "DTEND:20261220T083000Z\r\n" in text
    (event,) = parse(text)
    assert window(event) == (utc("2026-12-20T05:00"), utc("2026-12-20T08:30"))
    assert str(event["UID"]) == "2026-12-20-switch@status.example.com"
    assert event["SEQUENCE"] == 1 and str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTAMP") == utc("2026-12-10T09:00")
    url = "https://status.example.com/" + keys.incident_path(SECRET, item.id)
    assert str(event["URL"]) == url and "#" not in text  # never a key in a calendar


def test_a_window_without_eta_lasts_an_hour_and_says_so() -> None:
    item = maintenance("dns", "2026-12-20T06:00:00+00:00", None,
                       ("2026-12-01T09:00:00+00:00", "scheduled", "DNS move."))
    (event,) = parse(calendar.public_calendar(context(item)))
    assert window(event) == (utc("2026-12-20T06:00"), utc("2026-12-20T07:00"))
    assert calendar.NO_END_NOTE in str(event["DESCRIPTION"])


def test_work_completed_before_its_window_is_cancelled() -> None:
    called_off = maintenance("off", "2026-12-20T06:00:00+00:00", "2026-12-20T07:00:00+00:00",
                             ("2026-12-01T09:00:00+00:00", "scheduled", "Planned."),
                             ("2026-12-02T09:00:00+00:00", "completed", "Cancelled: no longer needed."))
    done = maintenance("done", "2026-12-01T06:00:00+00:00", "2026-12-01T07:00:00+00:00",
                       ("2026-11-20T09:00:00+00:00", "scheduled", "Planned."),
                       ("2026-12-01T06:00:00+00:00", "in_progress", "Started."),
                       ("2026-12-01T06:50:00+00:00", "completed", "Done."))
    events = {str(e["UID"]).split("@")[0]: str(e["STATUS"]) for e in parse(
        calendar.public_calendar(context(called_off, done)))}
    assert events == {called_off.id: "CANCELLED", done.id: "CONFIRMED"}


def test_client_calendar_holds_its_own_and_public_maintenance_only() -> None:
    mine = maintenance("mine", "2026-12-20T06:00:00+00:00", "2026-12-20T07:00:00+00:00",
                       ("2026-12-01T09:00:00+00:00", "scheduled", "Ours."), clients=("dlca",), title="Ours")
    theirs = maintenance("theirs", "2026-12-21T06:00:00+00:00", "2026-12-21T07:00:00+00:00",
                         ("2026-12-01T09:00:00+00:00", "scheduled", "Theirs."), clients=("hbs",),
                         title="Theirs")
    public = maintenance("all", "2026-12-22T06:00:00+00:00", "2026-12-22T07:00:00+00:00",
                         ("2026-12-01T09:00:00+00:00", "scheduled", "Everyone."), title="Everyone")
    ctx = context(mine, theirs, public)
    client = ctx.catalogue.clients["dlca"]
    text = calendar.client_calendar(ctx, client)
    assert [str(e["SUMMARY"]) for e in parse(text)] == ["Ours", "Everyone"]
    # TEXT escaping (icalendar reads NAME and X-WR-CALNAME raw, so the line is checked).
    assert "\r\nNAME:Northbridge maintenance for Drummond\\, Laurie\\; Chartered\r\n" in text
    assert [str(e["SUMMARY"]) for e in parse(calendar.public_calendar(ctx))] == ["Everyone"]


def test_old_maintenance_leaves_the_calendar() -> None:
    old = maintenance("old", "2026-06-01T06:00:00+00:00", "2026-06-01T07:00:00+00:00",
                      ("2026-05-20T09:00:00+00:00", "scheduled", "Planned."),
                      ("2026-06-01T07:00:00+00:00", "completed", "Done."))
    text = calendar.public_calendar(context(old))
    assert parse(text) == [] and text.startswith("BEGIN:VCALENDAR\r\n")
    assert calendar.calendar_block(context(old), Client("dlca", "D")) == ""


# The built site -----------------------------------------------------------------------------

def overview_calendar(site: Path, client_id: str) -> bytes:
    """The calendar bytes inside a client's overview, decrypted as staff would."""
    html = read_page(site, keys.client_path(SECRET, client_id))
    found = ICS_DATA.search(html)
    assert found, f"no calendar on the overview of {client_id}"
    return base64.b64decode(found[1])


def test_public_calendar_is_the_only_ics_file_and_holds_public_maintenance(example_site: Path) -> None:
    assert sorted(example_site.rglob("*.ics")) == [example_site / "maintenance.ics"]
    data = (example_site / "maintenance.ics").read_bytes()
    events = parse(data)
    assert [str(e["UID"]) for e in events] == [f"{PUBLIC_ID}@status.example.com"]
    assert window(events[0]) == (utc("2026-11-29T07:00"), utc("2026-11-29T08:00"))
    for incident_id in PROTECTED_IDS:
        assert incident_id.encode() not in data


def test_protected_calendar_exists_only_inside_the_encrypted_overview(example_site: Path) -> None:
    events = {str(e["SUMMARY"]): window(e) for e in parse(overview_calendar(example_site, "dlca"))}
    assert events == {"File server upgrade": (utc("2026-12-12T08:00"), utc("2026-12-12T12:00")),
                      "Service desk telephone line maintenance": (utc("2026-11-29T07:00"),
                                                                  utc("2026-11-29T08:00"))}
    # In no built file in clear: not as text, not as the base64 the page carries.
    encoded = base64.b64encode(b"BEGIN:VCALENDAR\r\nVERSION:2.0")[:20]
    for path in (p for p in example_site.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        assert encoded not in raw and b'data-sitrep-ics="' not in raw
        assert (b"BEGIN:VCALENDAR" in raw) == (path.name == "maintenance.ics")


def test_calendar_link_downloads_the_clients_calendar_after_unlocking(example_site: Path) -> None:
    server = Server(example_site)
    try:
        with sync_playwright() as p:
            browser = launch(p)
            context = browser.new_context(accept_downloads=True)
            context.set_default_timeout(TIMEOUT)
            page = context.new_page()
            overview = server.url + keys.client_path(SECRET, "dlca")
            page.goto(overview)
            unlock(page, CLIENTS["dlca"])
            link = page.get_by_role("button", name=calendar.LINK_TEXT)
            with page.expect_download() as info:
                link.click()
            download = info.value
            data = Path(download.path()).read_bytes()
            assert download.suggested_filename == "dlca-maintenance.ics"
            assert page.url == overview  # the click changed no fragment
            browser.close()
    finally:
        server.close()
    assert data == overview_calendar(example_site, "dlca")  # byte for byte, CRLF kept
    events = {str(e["UID"]): window(e) for e in parse(data)}
    assert events[f"{DLCA_ID}@status.example.com"] == (utc("2026-12-12T08:00"), utc("2026-12-12T12:00"))
    assert set(events) == {f"{DLCA_ID}@status.example.com", f"{PUBLIC_ID}@status.example.com"}
