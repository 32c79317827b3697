"""Staff-only report pages: each incident's timings (``s/<staff>/r/<slug>/``), and the section of
the staff overview that lists them with the statistics page and each incident's review state.

The build reads the git history when the clone has it and never the ledger, so a page shows
the times it can know and says where the SMS figures are. Report pages are built for the
incidents the staff overview lists (those of the history period, and older ones with review
actions still open; maintenance aside): a page for every incident made a build of 1,000
incidents take about half as long again. ``sitrep drill report ID`` reports on any incident.
A report's slug is its own, so its URL cannot be matched to its incident's page.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

from . import keys
from .blocks import Markdown, PageSource
from .check import review_due, review_held, review_pending
from .drill_report import Report, report_markdown
from .history import History, read_history
from .markup import built_note, esc, exercise_badge, front_matter, section, severity_badge
from .model import Incident
from .stats_page import stats_url
from .view import PageContext, href

TITLE = "Staff report"
SITE_NOTE = ("the ledger (branch sitrep-ledger), which the site build does not read: run sitrep drill "
             "report {id} for the first SMS accepted and the stakeholders reached and failed")
_MARKDOWN = re.compile(r"([\\`*_\[\]|])")


def report_url(ctx: PageContext, incident_id: str) -> str:
    """``s/<staff slug>/r/<report slug>/``: a slug of its own, unlike the incident page's."""
    return f"{ctx.staff_url()}r/{keys.slug(ctx.secret, 'report', incident_id)}/"


def page_escape(text: str) -> str:
    """Text made inert in the page's Markdown: no HTML, no emphasis, no table breaks."""
    return _MARKDOWN.sub(r"\\\1", html.escape(" ".join(text.split()), quote=False))


def listed(ctx: PageContext) -> list[Incident]:
    """The incidents with a report page, newest first: recent ones, and older ones with actions open."""
    since = ctx.now - timedelta(days=ctx.settings.history_days)
    return [i for i in sorted(ctx.catalogue.incidents, key=lambda i: i.started, reverse=True)
            if not i.is_maintenance and (i.started >= since or _actions_open(i))]


def report_pages(ctx: PageContext) -> list[tuple[str, PageSource]]:
    """(URL, page) of each listed incident's report page."""
    found = listed(ctx)
    if not found:
        return []
    history = read_history(ctx.settings.root, ctx.settings.incidents_path)
    pages = []
    for incident in found:
        url = report_url(ctx, incident.id)
        pages.append((url, report_page(ctx, incident, history, url)))
    return pages


def report_page(ctx: PageContext, incident: Incident, history: History | None, url: str) -> PageSource:
    """One report page: a link back to the staff overview, the report, and when it was built."""
    names = [ctx.client_name(c) for c in incident.clients]
    versions = history.of(incident.id) if history is not None else None
    report = Report(incident, names, ctx.settings, ctx.now, versions, None, SITE_NOTE.format(id=incident.id))
    crumbs = f'<p class="sitrep-crumbs"><a href="{href(url, ctx.staff_url())}">Staff overview</a></p>'
    return PageSource(front_matter(TITLE),
                      (crumbs, Markdown(report_markdown(report, page_escape)), built_note(ctx.now, ctx.zone)))


def review_state(ctx: PageContext, incident: Incident) -> str:
    """``review held``, ``review due by 12 Oct 2026``, ``review overdue``, with late actions."""
    due = review_due(incident, ctx.settings)
    words = []
    if review_held(incident):
        words.append("review held")
    elif due is not None and review_pending(incident, ctx.settings, ctx.now):
        words.append("review overdue" if due < ctx.now else f"review due by {_date(due, ctx)}")
    actions = incident.review.actions if incident.review else ()
    late = sum(1 for a in actions if not a.done and a.due is not None and a.due < ctx.now)
    if late:
        words.append(f"{late} action{'s' * (late != 1)} overdue")
    return ", ".join(words)


def _date(moment: datetime, ctx: PageContext) -> str:
    local = moment.astimezone(ctx.zone)
    return f"{local.day} {local:%b %Y}"


def staff_section(ctx: PageContext, url: str) -> str:
    """The staff overview's links: statistics, and the timings of recent incidents and open reviews."""
    rows = []
    for incident in listed(ctx):
        tags = [severity_badge(incident.severity), *([exercise_badge()] if incident.drill else [])]
        if state := review_state(ctx, incident):
            tags.append(f'<span class="sitrep-report-review">{state}</span>')
        rows.append(f'<li><a href="{href(url, report_url(ctx, incident.id))}">{esc(incident.title)}</a> '
                    f'{" ".join(tags)}</li>')
    body = [f'<p><a class="sitrep-stats-link" href="{href(url, stats_url(ctx))}">Statistics by client and '
            "month</a></p>", '<ul class="sitrep-reports">', *rows, "</ul>"]
    return section("Timings and reviews", body, "sitrep-reports")


def _actions_open(incident: Incident) -> bool:
    """A review action still to do keeps an old incident on the list."""
    return incident.review is not None and any(not a.done for a in incident.review.actions)
