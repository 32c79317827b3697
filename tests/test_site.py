"""The built site as a reader sees it: the real ``mkdocs build`` of the example repository.

The examples are read at TEST_NOW (3 Dec 2026, 09:00 GMT): the Harbour Bay telephony incident
is active, the DLCA file server maintenance is upcoming, the Harbour Bay drill is over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import TEST_NOW, TEST_SECRETS, copy_repo, mkdocs_build, read_page
from playwright.sync_api import sync_playwright

from generator import keys, markup, times

SECRET = TEST_SECRETS["SITREP_SITE_SECRET"]
DASH = "\N{EN DASH}"
REMOTE_ACCESS = "2017-08-14-dlca-remote-access"
TELEPHONY = "2026-12-02-hbs-telephony-calls-dropping"
DRILL = "2026-10-07-hbs-clinical-system-drill"
PUBLIC = "2026-11-29-service-desk-phone-maintenance"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# A reader sees a break between blocks, so their texts are joined with a space.
BLOCKS = {"div", "p", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "section", "header", "details",
          "summary"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# Reading HTML -------------------------------------------------------------------------------

@dataclass
class Element:
    """An element found by class: its attributes and its text, whitespace collapsed."""

    tag: str
    attrs: dict[str, str]
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The element's text as a reader sees it."""
        return " ".join("".join(self.parts).split())

    @property
    def classes(self) -> list[str]:
        """The element's classes."""
        return self.attrs.get("class", "").split()


class _Finder(HTMLParser):
    def __init__(self, css_class: str) -> None:
        super().__init__(convert_charrefs=True)
        self.css_class = css_class
        self.found: list[Element] = []
        self.open: list[list[Any]] = []  # [element, depth of open tags inside it]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in VOID:
            return
        for entry in self.open:
            entry[1] += 1
        self._break(tag)
        if self.css_class in values.get("class", "").split():
            element = Element(tag, values)
            self.found.append(element)
            self.open.append([element, 1])

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        self._break(tag)
        for entry in self.open:
            entry[1] -= 1
        self.open = [entry for entry in self.open if entry[1] > 0]

    def _break(self, tag: str) -> None:
        if tag in BLOCKS:
            self.handle_data(" ")

    def handle_data(self, data: str) -> None:
        for element, _depth in self.open:
            element.parts.append(data)


def find(html: str, css_class: str) -> list[Element]:
    """Every element with ``css_class``, in document order."""
    finder = _Finder(css_class)
    finder.feed(html)
    return finder.found


def one(html: str, css_class: str) -> Element:
    """The only element with ``css_class``."""
    found = find(html, css_class)
    assert len(found) == 1, f"{len(found)} elements with class {css_class}"
    return found[0]


def strip_tags(html: str) -> str:
    """Text of an HTML fragment, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def facts(html: str) -> dict[str, str]:
    """The incident's facts box as ``{term: value}``."""
    return {term: strip_tags(value) for term, value in
            re.findall(r'<div class="sitrep-fact sitrep-fact-\w+"><dt>(.*?)</dt><dd>(.*?)</dd></div>', html)}


def components(html: str) -> dict[str, tuple[str, str, list[str]]]:
    """Each component's name: its status, its uptime, and the level of each day's bar."""
    found = {}
    for block in re.findall(r'<div class="sitrep-component sitrep-lv-\w+">.*?</div></div>', html, re.S):
        bars = re.findall(r'class="sitrep-bar sitrep-lv-(\w+)"', block)
        found[one(block, "sitrep-component-name").text] = (
            one(block, "sitrep-component-level").text, one(block, "sitrep-uptime").text, bars)
    return found


def client_page(site: Path, client_id: str) -> str:
    """A client's overview as the client reads it once unlocked."""
    return read_page(site, keys.client_path(SECRET, client_id))


def incident_page(site: Path, incident_id: str) -> str:
    """An incident page as its readers see it once unlocked."""
    return read_page(site, keys.incident_path(SECRET, incident_id))


def raw(site: Path, url: str) -> str:
    """A built file exactly as served."""
    return (site / url / "index.html").read_text(encoding="utf-8")


def sections(html: str) -> list[str]:
    """The titles of the page's sections, in order."""
    return [e.text for e in find(html, "sitrep-h2")]


def outside_article(html: str) -> str:
    """Everything MkDocs wrote around the page body: head, nav, header, footer."""
    return re.sub(r"<article.*?</article>", "", html, flags=re.S)


# Client overview ----------------------------------------------------------------------------

def test_banner_and_component_status_follow_active_incidents(example_site: Path) -> None:
    html = client_page(example_site, "hbs")
    banner = one(html, "sitrep-banner")
    assert "sitrep-lv-degraded" in banner.classes
    assert banner.text == "Degraded performance"
    assert {name: state for name, (state, _, _) in components(html).items()} == {
        "Clinical system": "Operational", "Telephone system": "Degraded performance",
        "Patient Wi-Fi": "Operational"}


def test_active_incidents_come_first_and_link_to_their_page(example_site: Path) -> None:
    html = client_page(example_site, "hbs")
    assert sections(html) == ["Active incidents", "Components", "History, last 90 days"]
    card = one(html, "sitrep-card")
    assert one(card_html(html), "sitrep-card-title").text == "Some incoming calls dropping after 30 seconds"
    assert card.attrs["href"] == "../../" + keys.incident_path(SECRET, TELEPHONY)
    assert "estimated fix 12:00 GMT, in 1 day 3 h" in card.text


def card_html(html: str) -> str:
    """The HTML of the first incident card."""
    return re.search(r'<a class="sitrep-card.*?</a>', html, re.S).group(0)  # type: ignore[union-attr]


def test_all_operational_client_sees_upcoming_maintenance(example_site: Path) -> None:
    html = client_page(example_site, "dlca")
    assert one(html, "sitrep-banner").text == "All systems operational"
    assert sections(html) == ["Upcoming maintenance", "Components", "History, last 90 days"]
    card = one(html, "sitrep-card")
    assert "File server upgrade" in card.text
    assert f"Sat 12 Dec 2026, 08:00 {DASH} 12:00 GMT" in card.text
    assert "Starts in 8 days 23 h" in card.text


def test_history_is_grouped_by_month_over_the_period(example_site: Path) -> None:
    html = client_page(example_site, "dlca")
    assert [m.text for m in find(html, "sitrep-month")] == [
        "December 2026", "November 2026", "October 2026", "September 2026"]
    assert [s.text for s in find(html, "sitrep-month-stats")] == [
        "No incidents reported", "1 incident, 55 minutes in total · 1 maintenance",
        "No incidents reported", "No incidents reported"]
    november = html.split(">November 2026<")[1].split("sitrep-month")[1]
    assert "Inbound email delayed by up to 40 minutes" in november
    assert "Service desk telephone line maintenance" in november
    # Older incidents stay one tap away, with their reviews.
    earlier = one(html, "sitrep-earlier")
    assert "Earlier incidents (1)" in earlier.text and "Remote Access server failure" in earlier.text


def test_availability_bars_come_from_incident_durations(example_site: Path) -> None:
    found = components(client_page(example_site, "mwl"))
    for name in ("Warehouse management system", "Site-to-site VPN"):
        state, uptime, bars = found[name]
        assert state == "Operational"
        # 2 h 5 min down out of 89 days 10 h (5 Sep 00:00 BST to 3 Dec 09:00 GMT).
        assert uptime == "99.90 % uptime"
        assert len(bars) == 90
        assert bars[-16] == "major"  # 18 November, 15 days before "today"
        assert set(bars[:-16] + bars[-15:]) == {"operational"}
    assert found["Email"][1:] == ("100.00 % uptime", ["operational"] * 90)


def test_a_drill_never_counts_in_bars_banner_or_history_stats(example_site: Path) -> None:
    html = client_page(example_site, "hbs")
    state, uptime, bars = components(html)["Clinical system"]
    assert (state, uptime, set(bars)) == ("Operational", "100.00 % uptime", {"operational"})
    october = html.split(">October 2026<")[1].split('class="sitrep-month"')[0]
    assert "No incidents reported · 1 exercise" in strip_tags(october)
    assert "Clinical system unavailable at reception" in october and "Exercise" in october


def test_minor_incident_degrades_a_bar_without_costing_uptime(example_site: Path) -> None:
    _, uptime, bars = components(client_page(example_site, "dlca"))["Email"]
    assert uptime == "100.00 % uptime"
    assert bars[-10] == "degraded"  # 24 November


# Incident page ------------------------------------------------------------------------------

def test_incident_page_header_and_facts(example_site: Path) -> None:
    html = incident_page(example_site, REMOTE_ACCESS)
    assert one(html, "sitrep-title").text == "Remote Access server failure"
    assert one(html, "sitrep-crumbs").text == "Drummond Laurie Chartered Accountants"
    tags = one(html, "sitrep-tags")
    assert tags.text == "Major Resolved"
    assert facts(html) == {
        "Started": "Mon 14 Aug 2017, 08:05 BST",
        "Resolved": "Mon 14 Aug 2017, 11:10 BST",
        "Duration": "3 h 5 min",
        "Affects": "Remote Access server",
    }


def test_timeline_is_newest_first_in_the_display_zone(example_site: Path) -> None:
    html = incident_page(example_site, REMOTE_ACCESS)
    updates = find(html, "sitrep-update")
    assert [u.classes[1] for u in updates] == [
        "sitrep-st-resolved", "sitrep-st-monitoring", "sitrep-st-identified", "sitrep-st-identified",
        "sitrep-st-investigating"]
    heads = [u.text for u in find(html, "sitrep-update-head")]
    assert heads == ["Resolved Mon 14 Aug 2017, 11:10 BST", "Monitoring Mon 14 Aug 2017, 10:40 BST",
                     "Identified Mon 14 Aug 2017, 09:50 BST", "Identified Mon 14 Aug 2017, 08:50 BST",
                     "Investigating Mon 14 Aug 2017, 08:20 BST"]
    stamps = re.findall(r'class="sitrep-update-head">.*?<time datetime="([^"]+)"', html)
    assert stamps == sorted(stamps, reverse=True)
    assert find(html, "sitrep-update-msg")[0].text.startswith("Resolved. All users reconnected")


def test_body_is_rendered_by_mkdocs_around_the_timeline(example_site: Path) -> None:
    html = incident_page(example_site, REMOTE_ACCESS)
    summary, _sections = find(html, "sitrep-prose")
    assert summary.text.startswith("Staff of Drummond Laurie Chartered Accountants could not reach")
    assert '<h2 id="plan-of-action">Plan of action</h2>' in html
    assert "<li>Move Remote Access to replacement hardware and restore last night's backup.</li>" in html
    assert '<h2 id="review">Review</h2>' in html
    order = [html.index(marker) for marker in ('class="sitrep-facts"', 'class="sitrep-prose"',
                                               'class="sitrep-timeline"', 'id="plan-of-action"',
                                               'class="sitrep-section sitrep-review"')]
    assert order == sorted(order)


def test_review_record_lists_attendees_findings_and_actions(example_site: Path) -> None:
    review = one(incident_page(example_site, REMOTE_ACCESS), "sitrep-review").text
    assert "Held Wed 16 Aug 2017, 14:00 BST" in review
    assert ("Attendees Fiona Drummond (DLCA) Alan Reid (service delivery) Priya Shah (engineer on call)"
            in review)
    assert "What went well First message to every partner 15 minutes after the failure" in review
    assert "What to improve The failed disk had reported errors for two days without an alert" in review
    assert ("Done Alert on SMART disk errors for all client servers Priya Shah · due 31 Aug 2017"
            in review)


def test_active_incident_has_eta_next_update_and_running_duration(example_site: Path) -> None:
    html = incident_page(example_site, TELEPHONY)
    assert facts(html) == {
        "Status": "Identified since Wed 2 Dec 2026, 10:15 GMT",
        "Started": "Wed 2 Dec 2026, 08:30 GMT",
        "ETA": "estimated fix 12:00 GMT, in 1 day 3 h",
        "Duration": "1 day so far",
        "Affects": "Telephone system",
        "Next update": "by Wed 2 Dec 2026, 10:45 GMT (overdue by 22 h 15 min)",
    }
    marks = {e.attrs["data-rel"]: e.attrs["data-at"] for e in find(html, "sitrep-rel")}
    assert marks == {"eta": "2026-12-04T12:00:00+00:00", "for": "2026-12-02T08:30:00+00:00",
                     "due": "2026-12-02T10:45:00+00:00", "when": "2026-12-03T09:00:00+00:00"}


def test_resolved_drill_tells_the_client_it_was_an_exercise(example_site: Path) -> None:
    html = incident_page(example_site, DRILL)
    assert one(html, "sitrep-exercise").text.startswith("Exercise This was an exercise")
    assert "Exercise" in one(html, "sitrep-tags").text


def test_upcoming_maintenance_page_shows_its_window(example_site: Path) -> None:
    html = incident_page(example_site, "2026-12-12-dlca-file-server-maintenance")
    assert facts(html) == {
        "Status": "Scheduled since Mon 30 Nov 2026, 10:00 GMT",
        "Window": f"Sat 12 Dec 2026, 08:00 {DASH} 12:00 GMT",
        "Starts": "in 8 days 23 h",
        "Affects": "File server, Practice management system",
    }


# What stays out of sight, and the public pages ----------------------------------------------

@pytest.mark.parametrize(("url", "title", "secret_words"), [
    (keys.incident_path(SECRET, REMOTE_ACCESS), "Incident", ["Remote Access", "Drummond"]),
    (keys.client_path(SECRET, "hbs"), "Client status", ["Harbour Bay", "Telephone system"]),
    (keys.staff_path(SECRET), "Staff overview", ["Harbour Bay", "Some incoming calls"]),
])
def test_protected_pages_show_only_a_neutral_title_outside_the_body(
        example_site: Path, url: str, title: str, secret_words: list[str]) -> None:
    html = raw(example_site, url)
    assert re.search(r"<title>(.*?)</title>", html).group(1).startswith(title)  # type: ignore[union-attr]
    around = outside_article(html)
    for word in secret_words:
        assert word not in around


def test_public_incident_page_is_in_the_clear(example_site: Path) -> None:
    html = raw(example_site, keys.incident_path(SECRET, PUBLIC))
    assert "<title>Service desk telephone line maintenance" in html
    assert '<p class="sitrep-crumbs"><a href="../../">Northbridge IT Services</a></p>' in html
    assert facts(html)["Window"] == f"Sun 29 Nov 2026, 07:00 {DASH} 08:00 GMT"


def test_landing_page_names_the_organisation_and_public_incidents_only(example_site: Path) -> None:
    html = raw(example_site, "")
    assert one(html, "sitrep-title").text == "Northbridge IT Services"
    assert '<div id="sitrep-unlock"></div>' in html
    link = f'<a href="{keys.incident_path(SECRET, PUBLIC)}">Service desk telephone line maintenance</a>'
    assert link in html
    for word in ("Drummond", "Harbour Bay", "Mercer Wright", "Remote Access", "calls dropping",
                 "Warehouse", "File server", "Clinical system", "Inbound email"):
        assert word not in html
    assert 'src="assets/sitrep-live.js"' in html


def test_staff_overview_covers_every_client(example_site: Path) -> None:
    html = read_page(example_site, keys.staff_path(SECRET))
    rows = {one(r, "sitrep-client-name").text: one(r, "sitrep-client-level").text
            for r in re.findall(r'<a class="sitrep-client .*?</a>', html)}
    assert rows == {"Drummond Laurie Chartered Accountants": "Operational",
                    "Harbour Bay Surgery": "Degraded performance", "Mercer Wright Logistics": "Operational"}
    assert f'href="../../{keys.client_path(SECRET, "hbs")}"' in html
    active = one(html, "sitrep-active").text
    assert "Some incoming calls dropping after 30 seconds" in active and "Harbour Bay Surgery" in active
    assert "Next update by Wed 2 Dec 2026, 10:45 GMT (overdue by 22 h 15 min)" in active
    assert "File server upgrade" in one(html, "sitrep-upcoming").text


# Relative times in the browser --------------------------------------------------------------

def test_live_script_rewords_relative_times_from_the_browser_clock(example_site: Path) -> None:
    built = datetime.fromisoformat(TEST_NOW)
    later = built + timedelta(days=1, hours=3, minutes=10)
    zone = ZoneInfo("Europe/London")
    moments = [built + timedelta(minutes=m) for m in (-3000, -61, -10, 0, 40, 60 * 27, 60 * 27 + 10, 60 * 30)]
    spans = [markup.eta(m, built, zone) for m in moments] + [
        markup.relative(kind, m, built) for kind in ("for", "due", "when") for m in moments]
    script = (example_site / "assets" / "sitrep-live.js").read_text(encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.clock.set_fixed_time(later)
            page.set_content("<main>" + "".join(f"<p>{s}</p>" for s in spans[:8]) + "</main>")
            page.add_script_tag(content=script)
            shown = page.eval_on_selector_all(".sitrep-rel", "els => els.map(e => e.textContent)")
            # Content inserted later (as the decrypt script does) is reworded on request.
            page.evaluate("html => { const d = document.createElement('div'); d.id = 'late';"
                          "d.innerHTML = html; document.body.appendChild(d);"
                          "window.sitrepRefresh(d); }", "".join(spans[8:]))
            shown += page.eval_on_selector_all("#late .sitrep-rel", "els => els.map(e => e.textContent)")
            past = page.eval_on_selector_all(".sitrep-rel", "els => els.map(e => e.dataset.past)")
        finally:
            browser.close()
    kinds = ["eta"] * 8 + [k for k in ("for", "due", "when") for _ in moments]
    labels = [times.clock(m, zone) for m in moments] + [""] * 24
    expected = [markup.relative_text(k, m, later, label)
                for k, m, label in zip(kinds, moments * 4, labels, strict=True)]
    assert shown == expected
    assert "ETA passed 10 minutes ago (was 12:00 GMT)" in shown  # 27 h after the build, 27 h ETA
    assert past == ["true" if m < later else "false" for m in moments * 4]
    # The browser did reword: the build's own wording differs at a later clock.
    assert shown != [markup.relative_text(k, m, built, lb) for k, m, lb in zip(kinds, moments * 4, labels,
                                                                                strict=True)]


# The same site in another zone, with a passed ETA and a drill still running -----------------

@pytest.fixture(scope="module")
def altered_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The examples in New York time, the telephony ETA passed, the drill not yet over."""
    root = copy_repo(tmp_path_factory.mktemp("altered") / "repo")
    edit(root / "mkdocs.yml", "timezone: Europe/London", "timezone: America/New_York")
    edit(root / "incidents" / f"{TELEPHONY}.md", "eta: 2026-12-04T12:00:00+00:00",
         "eta: 2026-12-03T08:50:00+00:00")
    edit(root / "incidents" / f"{DRILL}.md",
         "  - at: 2026-10-07T08:40:00+01:00\n    status: resolved\n"
         "    message: Exercise complete. The failover worked; thank you for taking part.\n", "")
    result = mkdocs_build(root)
    assert result.returncode == 0, result.stderr
    return root / "site"


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must be there) with ``new`` in a copied file."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_times_follow_the_configured_zone(altered_site: Path) -> None:
    html = incident_page(altered_site, TELEPHONY)
    assert facts(html)["Started"] == "Wed 2 Dec 2026, 03:30 EST"
    assert find(html, "sitrep-update-head")[0].text == "Identified Wed 2 Dec 2026, 05:15 EST"
    assert "Times are America/New_York time." in one(html, "sitrep-built").text
    summer = incident_page(altered_site, REMOTE_ACCESS)
    assert facts(summer)["Started"] == "Mon 14 Aug 2017, 03:05 EDT"


def test_a_passed_eta_says_so(altered_site: Path) -> None:
    html = incident_page(altered_site, TELEPHONY)
    assert facts(html)["ETA"] == "ETA passed 10 minutes ago (was 03:50 EST)"
    assert one(html, "sitrep-fact-eta").text.endswith("(was 03:50 EST)")
    eta = next(e for e in find(html, "sitrep-rel") if e.attrs["data-rel"] == "eta")
    assert eta.attrs["data-past"] == "true"


def test_a_running_drill_looks_real_to_the_client_and_is_marked_for_staff(altered_site: Path) -> None:
    page = incident_page(altered_site, DRILL)
    assert not find(page, "sitrep-exercise")
    assert "Exercise" not in page.split("<article", 1)[1]
    overview = client_page(altered_site, "hbs")
    # Listed for the people taking part, but the banner and components ignore it.
    assert "Clinical system unavailable at reception" in one(overview, "sitrep-active").text
    assert "Exercise" not in one(overview, "sitrep-active").text
    assert one(overview, "sitrep-banner").text == "Degraded performance"
    assert components(overview)["Clinical system"][0] == "Operational"
    staff = one(read_page(altered_site, keys.staff_path(SECRET)), "sitrep-active").text
    assert "Clinical system unavailable at reception Critical Identified Exercise Harbour Bay Surgery" \
        in staff
