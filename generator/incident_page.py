"""The incident page: what happened, what is being done, when it will be fixed, and every update."""

from __future__ import annotations

import re

from .blocks import Block, PageSource, Prose
from .markup import (
    at_clock,
    built_note,
    esc,
    eta,
    exercise_badge,
    front_matter,
    relative,
    section,
    severity_badge,
    status_pill,
    when,
    window,
)
from .model import Incident, Review, ReviewAction
from .times import iso, span
from .view import PageContext, href

NEUTRAL_TITLE = "Incident"
_HEADING = re.compile(r"#{1,6}\s")
_FENCE = re.compile(r"\s*(```|~~~)")


def incident_source(ctx: PageContext, incident: Incident, url: str) -> PageSource:
    """One incident page; only a public incident's title reaches its front matter."""
    summary, sections = split_body(incident.body)
    blocks: list[Block] = [
        _exercise_notice(incident),
        _header(ctx, incident, url),
        _facts(ctx, incident),
        Prose(summary),
        _timeline(ctx, incident),
        Prose(sections),
        _review(ctx, incident.review) if incident.review else "",
        built_note(ctx.now, ctx.zone),
    ]
    title = incident.title if incident.is_public else NEUTRAL_TITLE
    return PageSource(front_matter(title), tuple(blocks))


def split_body(body: str) -> tuple[str, str]:
    """The summary before the first heading, and the sections from it on (plan of action, review)."""
    lines = body.strip().splitlines()
    fenced = False
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and _HEADING.match(line):
            return "\n".join(lines[:number]).strip(), "\n".join(lines[number:]).strip()
    return "\n".join(lines).strip(), ""


def _exercise_notice(incident: Incident) -> str:
    # An unannounced drill must look real to the client until it is over.
    if not (incident.drill and incident.is_resolved):
        return ""
    return ('<div class="sitrep-exercise" role="note"><strong>Exercise</strong> '
            "This was an exercise of the incident procedure, not a real failure. "
            "No service was affected.</div>")


def _header(ctx: PageContext, incident: Incident, url: str) -> str:
    if incident.is_public:
        crumbs = [f'<a href="{href(url, "")}">{esc(ctx.settings.organisation)}</a>']
    else:
        crumbs = [f'<a href="{href(url, ctx.client_url(c))}">{esc(ctx.client_name(c))}</a>'
                  for c in incident.clients]
    tags = [severity_badge(incident.severity), status_pill(incident.status)]
    if incident.drill and incident.is_resolved:
        tags.append(exercise_badge())
    return (f'<header class="sitrep-head">\n<p class="sitrep-crumbs">{" · ".join(crumbs)}</p>\n'
            f'<h1 class="sitrep-title">{esc(incident.title)}</h1>\n'
            f'<p class="sitrep-tags">{" ".join(tags)}</p>\n</header>')


def _facts(ctx: PageContext, incident: Incident) -> str:
    rows = []
    if not incident.is_resolved:
        rows.append(_fact("Status", f"{status_pill(incident.status)} since "
                                    f"{at_clock(incident.latest.at, ctx.zone, ctx.now)}", "status"))
    rows += _time_facts(ctx, incident)
    names = ctx.component_names(incident)
    if names:
        rows.append(_fact("Affects", esc(", ".join(names)), "affects"))
    if incident.is_active(ctx.now):
        due = ctx.next_update_due(incident)
        rows.append(_fact("Next update", f"by {at_clock(due, ctx.zone, ctx.now)} "
                                         f"({relative('due', due, ctx.now)})", "next"))
    return '<dl class="sitrep-facts">\n' + "\n".join(rows) + "\n</dl>"


def _time_facts(ctx: PageContext, incident: Incident) -> list[str]:
    now, zone = ctx.now, ctx.zone
    rows = []
    if incident.is_maintenance:
        rows.append(_fact("Window", window(incident.started, incident.eta, zone), "window"))
    else:
        rows.append(_fact("Started", when(incident.started, zone), "started"))
    if incident.is_upcoming(now):
        rows.append(_fact("Starts", relative("when", incident.started, now), "starts"))
    elif incident.resolved_at is not None:
        word = "Completed" if incident.is_maintenance else "Resolved"
        rows.append(_fact(word, when(incident.resolved_at, zone), "resolved"))
        rows.append(_fact("Duration", span(incident.duration(now)), "duration"))
    else:
        if incident.eta is not None and not incident.is_maintenance:
            rows.append(_fact("ETA", eta(incident.eta, now, zone), "eta"))
        rows.append(_fact("Duration", f"{relative('for', incident.started, now)} so far", "duration"))
    return rows


def _fact(term: str, value: str, key: str) -> str:
    return f'<div class="sitrep-fact sitrep-fact-{key}"><dt>{term}</dt><dd>{value}</dd></div>'


def _timeline(ctx: PageContext, incident: Incident) -> str:
    # Newest first; of two updates at the same minute the later-written one is newer.
    ordered = sorted(enumerate(incident.updates), key=lambda pair: (pair[1].at, pair[0]), reverse=True)
    items = [f'<li class="sitrep-update sitrep-st-{u.status}">'
             f'<div class="sitrep-update-head">{status_pill(u.status)} {when(u.at, ctx.zone)}</div>'
             f'<p class="sitrep-update-msg">{esc(u.message)}</p></li>' for _, u in ordered]
    return section("Updates", ['<ol class="sitrep-timeline">', *items, "</ol>"], "sitrep-updates")


def _review(ctx: PageContext, review: Review) -> str:
    body = []
    if review.held_on is not None:
        body.append(f'<p class="sitrep-review-held">Held {when(review.held_on, ctx.zone)}</p>')
    for title, entries in (("Attendees", review.attendees), ("What went well", review.went_well),
                           ("What to improve", review.to_improve)):
        if entries:
            body.append(f"<h3>{title}</h3>\n<ul>" + "".join(f"<li>{esc(e)}</li>" for e in entries) + "</ul>")
    if review.actions:
        body.append('<h3>Actions</h3>\n<ul class="sitrep-actions">'
                    + "".join(_action(ctx, a) for a in review.actions)
                    + "</ul>")
    return section("Review record", body, "sitrep-review")


def _action(ctx: PageContext, action: ReviewAction) -> str:
    due = action.due
    state = "done" if action.done else ("overdue" if due is not None and due < ctx.now else "open")
    meta = [esc(action.owner)] if action.owner else []
    if due is not None:
        local = due.astimezone(ctx.zone)
        meta.append(f'due <time datetime="{iso(due)}">{local.day} {local:%b %Y}</time>')
    return (f'<li class="sitrep-action sitrep-action-{state}"><span class="sitrep-action-state">'
            f'{state.capitalize()}</span> <span class="sitrep-action-text">{esc(action.action)}</span> '
            f'<span class="sitrep-action-meta">{" · ".join(meta)}</span></li>')
