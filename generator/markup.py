"""HTML fragments the pages are made of: escaped text, times, badges, and relative wording.

A static page is read long after it was built, so every relative phrase ("in 40 minutes")
is written as the build saw it *and* marked up (``class="sitrep-rel"``, ``data-rel``,
``data-at``) for ``docs/assets/sitrep-live.js`` to reword from the reader's clock. The
wording here and in that script must stay the same; tests compare them in Chromium.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from .status import LEVEL_LABELS
from .times import clock, day_and_clock, iso, span

SEVERITY_LABELS = {"critical": "Critical", "major": "Major", "minor": "Minor", "maintenance": "Maintenance"}
RELATIVE_KINDS = ("eta", "for", "due", "when")


def esc(text: str) -> str:
    """Text made safe inside HTML elements and attributes; line breaks become spaces."""
    return html.escape(" ".join(text.split()), quote=True)


def front_matter(title: str) -> str:
    """MkDocs front matter: the page title, with Material's sidebars hidden."""
    # JSON strings are valid YAML scalars, whatever quotes or colons the title holds.
    return f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\nhide:\n  - navigation\n  - toc\n---\n"


def when(moment: datetime, zone: ZoneInfo) -> str:
    """``Mon 14 Aug 2017, 08:20 BST`` as a ``<time>`` element."""
    return f'<time datetime="{iso(moment)}">{day_and_clock(moment, zone)}</time>'


def at_clock(moment: datetime, zone: ZoneInfo, now: datetime) -> str:
    """``08:20 BST`` when ``moment`` is on the same local day as ``now``, else with its date."""
    same_day = moment.astimezone(zone).date() == now.astimezone(zone).date()
    text = clock(moment, zone) if same_day else day_and_clock(moment, zone)
    return f'<time datetime="{iso(moment)}">{text}</time>'


def window(start: datetime, end: datetime | None, zone: ZoneInfo) -> str:
    """A maintenance window, ``Sat 12 Dec 2026, 08:00 - 12:00 GMT`` (an en dash; one date if one day)."""
    if end is None:
        return f"from {when(start, zone)}"
    a, b = start.astimezone(zone), end.astimezone(zone)
    if a.date() == b.date() and a.tzname() == b.tzname():
        return (f'<time datetime="{iso(start)}">{a:%a} {a.day} {a:%b %Y}, {a:%H:%M}</time> &#8211; '
                f'<time datetime="{iso(end)}">{b:%H:%M} {b.tzname()}</time>')
    return f"{when(start, zone)} &#8211; {when(end, zone)}"


def relative_text(kind: str, at: datetime, now: datetime, label: str = "") -> str:
    """The words for ``at`` seen from ``now``; ``label`` is the ETA's clock time for ``eta``."""
    ahead = at >= now
    gap = span(at - now if ahead else now - at)
    if kind == "eta":
        return f"estimated fix {label}, in {gap}" if ahead else f"ETA passed {gap} ago (was {label})"
    if kind == "for":
        return gap
    if kind == "due":
        return f"in {gap}" if ahead else f"overdue by {gap}"
    if kind == "when":
        if gap == "0 minutes":
            return "just now"
        return f"in {gap}" if ahead else f"{gap} ago"
    raise ValueError(f"unknown relative kind {kind!r}")


def relative(kind: str, at: datetime, now: datetime, label: str = "") -> str:
    """``relative_text`` in a span that the live script rewords; ``data-past`` drives the colour."""
    past = "true" if at < now else "false"
    extra = f' data-label="{esc(label)}"' if label else ""
    return (f'<span class="sitrep-rel" data-rel="{kind}" data-at="{iso(at)}"{extra} data-past="{past}">'
            f"{esc(relative_text(kind, at, now, label))}</span>")


def eta(moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    """``estimated fix 11:00 BST, in 40 minutes`` or ``ETA passed 10 minutes ago (was 10:50 BST)``."""
    return relative("eta", moment, now, clock(moment, zone))


def severity_badge(severity: str) -> str:
    """A coloured badge naming the severity."""
    return f'<span class="sitrep-badge sitrep-sev-{severity}">{SEVERITY_LABELS[severity]}</span>'


def status_label(status: str) -> str:
    """``in_progress`` as a reader writes it: ``In progress``."""
    return status.replace("_", " ").capitalize()


def status_pill(status: str) -> str:
    """The status of an incident or update, as a small pill."""
    return f'<span class="sitrep-status sitrep-st-{status}">{status_label(status)}</span>'


def exercise_badge() -> str:
    """The marker of a drill."""
    return '<span class="sitrep-badge sitrep-exercise-badge">Exercise</span>'


def banner(level: str, text: str, detail: str = "") -> str:
    """The coloured status banner at the top of an overview."""
    more = f'<span class="sitrep-banner-detail">{detail}</span>' if detail else ""
    return (f'<div class="sitrep-banner sitrep-lv-{level}" role="status">'
            f'<span class="sitrep-banner-icon" aria-hidden="true"></span>'
            f'<span class="sitrep-banner-text">{esc(text)}</span>{more}</div>')


def level_label(level: str) -> str:
    """The words for a component level: ``Partial outage``."""
    return LEVEL_LABELS[level]


def section(title: str, body: Iterable[str], css: str = "") -> str:
    """A titled block of raw HTML (no blank lines inside, so Markdown leaves it whole)."""
    classes = f"sitrep-section {css}".strip()
    inner = "\n".join(body)
    return f'<section class="{classes}">\n<h2 class="sitrep-h2">{esc(title)}</h2>\n{inner}\n</section>'


def built_note(now: datetime, zone: ZoneInfo) -> str:
    """When the page was built and which zone its times are in, so a stale page says so."""
    return (f'<p class="sitrep-built">Page built {when(now, zone)} '
            f'({relative("when", now, now)}). Times are {esc(zone.key)} time.</p>')
