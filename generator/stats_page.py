"""The staff statistics page (``s/<staff>/stats/``): per client and per month of start, incidents
by severity, time to first message and time to resolve (median and worst), drills held and reviews.

Drills are counted apart and never in the incident figures. Maintenance is counted by severity
but has no time to first message or to resolve: it is planned, not a failure. The time to first
message is the first update's time minus the start, from the incident files: the ledger's SMS
times are not known to the build (``sitrep drill report`` has them).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from .blocks import PageSource
from .check import needs_review, review_held
from .markup import SEVERITY_LABELS, built_note, front_matter, section
from .model import PUBLIC, SEVERITIES, Incident
from .times import span
from .view import PageContext, href

TITLE = "Staff statistics"
COLUMNS = ("Month", *(SEVERITY_LABELS[s] for s in SEVERITIES), "First message (median, worst)",
           "Resolved in (median, worst)", "Drills held", "Reviews held")


@dataclass(frozen=True)
class MonthStats:
    """One client's month: the figures of one row."""

    month: date
    severities: Counter[str]  # incidents that are not drills, maintenance included
    first_message: tuple[timedelta, ...]
    resolve: tuple[timedelta, ...]
    drills: int
    reviews_held: int
    reviews_needed: int


def stats_url(ctx: PageContext) -> str:
    """``s/<staff slug>/stats/``."""
    return ctx.staff_url() + "stats/"


def _month(incident: Incident, zone: ZoneInfo) -> date:
    return incident.started.astimezone(zone).date().replace(day=1)


def month_stats(incidents: Sequence[Incident], zone: ZoneInfo) -> list[MonthStats]:
    """The figures of each month with an incident or a drill, newest month first."""
    months: dict[date, list[Incident]] = {}
    for incident in incidents:
        months.setdefault(_month(incident, zone), []).append(incident)
    return [_figures(month, found) for month, found in sorted(months.items(), reverse=True)]


def _figures(month: date, incidents: list[Incident]) -> MonthStats:
    real = [i for i in incidents if not i.drill]
    failures = [i for i in real if not i.is_maintenance]
    first = tuple(max(min(u.at for u in i.updates) - i.started, timedelta(0)) for i in failures)
    resolve = tuple(i.resolved_at - i.started for i in failures if i.resolved_at is not None)
    # A held review counts even where none was due: someone thought it needed one.
    reviewed = [i for i in incidents if needs_review(i) or review_held(i)]
    return MonthStats(month, Counter(i.severity for i in real), first, resolve,
                      len(incidents) - len(real), sum(1 for i in reviewed if review_held(i)), len(reviewed))


def median_and_worst(spans: Sequence[timedelta]) -> str:
    """``25 minutes, 40 minutes``; ``-`` when there is nothing to measure."""
    if not spans:
        return "-"
    middle = timedelta(seconds=statistics.median(s.total_seconds() for s in spans))
    return f"{span(middle)}, {span(max(spans))}"


def _row(figures: MonthStats) -> str:
    reviews = f"{figures.reviews_held} of {figures.reviews_needed}" if figures.reviews_needed else "-"
    cells = [f"{figures.month:%B %Y}", *(str(figures.severities[s]) for s in SEVERITIES),
             median_and_worst(figures.first_message), median_and_worst(figures.resolve),
             str(figures.drills), reviews]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _table(title: str, incidents: Sequence[Incident], zone: ZoneInfo) -> str:
    rows = [_row(m) for m in month_stats(incidents, zone)] or [
        f'<tr><td colspan="{len(COLUMNS)}">No incidents</td></tr>']
    head = "<tr>" + "".join(f"<th>{c}</th>" for c in COLUMNS) + "</tr>"
    table = f'<table class="sitrep-stats"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
    return section(title, [table], "sitrep-stats-client")


def stats_source(ctx: PageContext, url: str) -> PageSource:
    """The statistics page: every client together, then each client, then public incidents."""
    catalogue, zone = ctx.catalogue, ctx.zone
    blocks = [f'<p class="sitrep-crumbs"><a href="{href(url, ctx.staff_url())}">Staff overview</a></p>',
              f'<h1 class="sitrep-title">{TITLE}</h1>',
              _table("Every client", catalogue.incidents, zone),
              *(_table(c.name, catalogue.for_client(c.id), zone) for c in catalogue.clients.values())]
    public = catalogue.for_client(PUBLIC)
    if public:
        blocks.append(_table("Public incidents", public, zone))
    blocks.append(built_note(ctx.now, zone))
    return PageSource(front_matter(TITLE), tuple(blocks))


def stats_page(ctx: PageContext) -> tuple[str, PageSource]:
    """(URL, page) of the statistics page."""
    url = stats_url(ctx)
    return url, stats_source(ctx, url)
