"""One cState issue as one sitrep incident file: the mapping between the two formats.

The rules, where cState and sitrep differ:

- severity ``down``/``disrupted``/``notice`` becomes ``major``/``minor``/``maintenance``;
- cState's dates have no zone and cState reads them as UTC: they are written with ``+00:00``;
  a date without a time is midnight UTC (reported);
- ``*Status* - message {{< track "time" >}}`` paragraphs (bold, ``_``, ``:`` or dashes, one
  per line or as list items) become updates, oldest first; ``*Update*`` keeps the previous
  status. A paragraph with a time but no known status, or a status but no single readable
  time, stays in the body (reported), its track time written out as ``(… UTC)``;
- ``resolved: true`` ends with a resolving update at ``resolvedWhen`` unless the body already
  resolves it; for maintenance ``resolvedWhen`` is also the end of the window (``eta``);
  without ``resolved: true`` an incident stays open and its ``resolvedWhen`` goes in the body;
- an issue with no update lines gets a first update made from its date and title (reported);
- ``affected`` systems become components of the client (existing ones matched by name);
  systems not in config.yml are added as components too (reported);
- informational posts are announcements, not failures: maintenance, completed at their date
  (scheduled, dated now, while the date is ahead); ``pin`` has no sitrep equivalent (reported);
- drafts and posts of a ``section`` other than ``issue`` are skipped (reported); any other
  field is reported; text that becomes no field stays in the body.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from .clients_edit import scalar
from .cstate import (
    SHORTCODE,
    Block,
    Post,
    label_of,
    message_of,
    parse_moment,
    readable_tracks,
    split_blocks,
    track_times,
)
from .errors import InputError, Problem
from .load import MAX_ID
from .model import FINAL_STATUSES, Update
from .schema import MAX_TITLE, suggestion
from .times import FUTURE_SLACK, iso

# An ``affected`` system name -> its component id, and a note when the match is not exact.
Resolve = Callable[[str], tuple[str, str]]

SEVERITY = {"down": "major", "disrupted": "minor", "notice": "maintenance"}
_READ = {"title", "date", "resolved", "resolvedWhen", "severity", "affected", "section",
         "informational", "draft", "pin"}
_CARRY = "carry"  # "*Update*": no new status, the previous one holds
_WORDS = {
    "incident": {
        "investigating": "investigating", "investigation": "investigating",
        "identified": "identified", "monitoring": "monitoring", "resolved": "resolved",
        "fixed": "resolved", "update": _CARRY, "updated": _CARRY,
    },
    "maintenance": {
        "scheduled": "scheduled", "planned": "scheduled", "upcoming": "scheduled",
        "in progress": "in_progress", "started": "in_progress", "just began": "in_progress",
        "began": "in_progress", "ongoing": "in_progress", "underway": "in_progress",
        "investigating": "in_progress", "identified": "in_progress", "monitoring": "in_progress",
        "completed": "completed", "complete": "completed", "finished": "completed",
        "resolved": "completed", "update": _CARRY, "updated": _CARRY,
    },
}
_LABELS = set(_WORDS["incident"]) | set(_WORDS["maintenance"])


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens: ``Media Proxy`` → ``media-proxy``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


@dataclass
class Converted:
    """One incident file to write, and what could not be mapped."""

    source: str
    incident_id: str
    text: str
    notes: list[str] = field(default_factory=list)


class _Notes:
    """What one file's conversion reports, each with the line it is about where known."""

    def __init__(self, post: Post) -> None:
        self.post = post
        self.items: list[tuple[int, str]] = []

    def add(self, text: str, key: str = "", line: int = 0) -> None:
        """Note ``text`` about field ``key`` or about ``line``."""
        self.items.append((line or self.post.lines.get(key, 0), text))

    def report(self) -> list[str]:
        """Notes about the whole file first, then in the order of the lines they are about."""
        return [f"line {n}: {t}" if n else t for n, t in sorted(self.items, key=lambda item: item[0])]


@dataclass
class _Head:
    """The front-matter fields that decide the incident."""

    title: str
    severity: str
    informational: bool
    resolved: bool
    date: datetime
    when: datetime | None
    body_prefix: str = ""


def _skip_reason(post: Post) -> str:
    if post.meta.get("draft") is True:
        return "draft: true (cState does not publish drafts)"
    section = post.meta.get("section", "issue")
    if section != "issue":
        return f"section is {section!r}, not 'issue' (cState does not list it as an incident)"
    return ""


def _read_head(post: Post, notes: _Notes) -> _Head:
    problems: list[Problem] = []
    meta = post.meta
    raw_title = " ".join(str(meta.get("title") or "").split())
    if not raw_title:
        problems.append(Problem(post.shown, post.line_of("title"), "title is missing",
                                "add title: one line saying what happened"))
    title, prefix = raw_title, ""
    if len(raw_title) > MAX_TITLE:
        title = raw_title[: MAX_TITLE - 1].rsplit(" ", 1)[0] + "…"
        prefix = f"**{raw_title}**"
        notes.add(f"title shortened to {MAX_TITLE} characters; the full title opens the body", "title")
    informational = meta.get("informational") is True
    severity = _severity(post, informational, notes, problems)
    date = _moment(post, "date", notes, problems)
    when = _moment(post, "resolvedWhen", notes, problems)
    if post.meta.get("date") is None:
        problems.append(Problem(post.shown, 1, "date is missing",
                                "add date: 2018-06-13 14:14:00, which is read as UTC"))
    if problems or date is None:
        raise InputError(problems)
    resolved = meta.get("resolved")
    if not isinstance(resolved, bool) and not informational:
        notes.add(f"resolved is {resolved!r}, not true or false: imported as open", "resolved")
    return _Head(title, severity, informational, informational or resolved is True, date, when, prefix)


def _severity(post: Post, informational: bool, notes: _Notes, problems: list[Problem]) -> str:
    value = post.meta.get("severity")
    if informational:
        if value is not None:
            notes.add(f"severity {value!r} not used: informational posts do not change the status",
                      "severity")
        return "maintenance"
    if value in SEVERITY:
        return SEVERITY[str(value)]
    what = "severity is missing" if value is None else f"unknown severity {value!r}"
    problems.append(Problem(post.shown, post.line_of("severity"), what,
                            "use down, disrupted or notice" + suggestion(value, SEVERITY)))
    return ""


def _moment(post: Post, key: str, notes: _Notes, problems: list[Problem]) -> datetime | None:
    raw = post.meta.get(key)
    if raw is None:
        return None
    try:
        moment, date_only = parse_moment(raw)
    except ValueError:
        problems.append(Problem(post.shown, post.line_of(key), f"{key} {raw!r} is not a date",
                                f"write {key}: 2018-06-13 14:14:00, which is read as UTC"))
        return None
    if date_only:
        notes.add(f"{key} {raw} has no time: taken as 00:00 UTC", key)
    return moment


@dataclass
class _Entry:
    at: datetime
    status: str
    message: str
    block: int


def _read_entry(index: int, block: Block, words: dict[str, str], now: datetime) -> _Entry | str | None:
    """An update from one paragraph, why it stays in the body, or None for plain prose."""
    if block.fenced:
        return None
    text = block.text
    label, times = label_of(text), track_times(text)
    if label not in words:
        return "no known status word" if times else None
    if len(times) != 1:
        return "no track time" if not times else "more than one track time"
    try:
        at, _ = parse_moment(times[0])
    except ValueError:
        return f"track time {times[0]!r} is not a date"
    if at > now + FUTURE_SLACK:
        return f"track time {iso(at)} is in the future"
    return _Entry(at, words[label], message_of(text) or label.capitalize() + ".", index)


def _read_body(post: Post, head: _Head, now: datetime, notes: _Notes) -> tuple[list[_Entry], str]:
    """The updates written in the body, oldest first, and the body left for people."""
    words = _WORDS["maintenance" if head.severity == "maintenance" else "incident"]
    blocks = split_blocks(post.body, _LABELS)
    entries: list[_Entry] = []
    for index, block in enumerate(blocks):
        found = _read_entry(index, block, words, now)
        if isinstance(found, _Entry):
            entries.append(found)
        elif found:
            notes.add(f"kept in the body ({found}): {_excerpt(block.text)}",
                      line=post.body_line + block.line)
    accepted = _in_order(entries, head.severity)
    for entry in entries:
        if entry not in accepted:
            notes.add(f"kept in the body ('{entry.status}' after the incident was resolved): "
                      f"{_excerpt(blocks[entry.block].text)}", line=post.body_line + blocks[entry.block].line)
    used = {e.block for e in accepted}
    kept = [b for i, b in enumerate(blocks) if i not in used]
    for block in kept:
        if not block.fenced and (code := SHORTCODE.search(readable_tracks(block.text))):
            notes.add(f"Hugo shortcode kept as text: {code.group(0)}", line=post.body_line + block.line)
    parts = [head.body_prefix] if head.body_prefix else []
    parts += ["\n".join(b.lines) if b.fenced else readable_tracks("\n".join(b.lines)) for b in kept]
    return accepted, "\n\n".join(parts)


def _in_order(entries: list[_Entry], severity: str) -> list[_Entry]:
    """Oldest first, ``*Update*`` given its status, nothing but final updates after the end."""
    # cState lists the newest first, so of two updates at the same time the lower one is older.
    ordered = sorted(reversed(entries), key=lambda e: e.at)
    accepted: list[_Entry] = []
    for entry in ordered:
        previous = accepted[-1].status if accepted else ("scheduled" if severity == "maintenance"
                                                          else "investigating")
        if entry.status == _CARRY:
            entry.status = previous
        if previous in FINAL_STATUSES and entry.status not in FINAL_STATUSES:
            continue
        accepted.append(entry)
    return accepted


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 40 else flat[:39].rsplit(" ", 1)[0] + "…"


def _timeline(head: _Head, entries: list[_Entry], started: datetime, now: datetime,
              notes: _Notes) -> list[Update]:
    """The updates of the incident: those of the body, a first one if none, the resolution."""
    maintenance = head.severity == "maintenance"
    final = "completed" if maintenance else "resolved"
    end = head.date if head.informational else head.when
    updates = [Update(e.at, e.status, e.message) for e in entries]
    if not updates:
        if head.resolved and end is not None and end <= started <= now:
            notes.add(f"no updates in the body: one '{final}' update made from the date and title")
            return [Update(started, final, head.title)]
        ahead = started > now + FUTURE_SLACK
        first = "scheduled" if ahead else "in_progress" if maintenance else "investigating"
        updates.append(Update(now.replace(second=0, microsecond=0) if ahead else started, first, head.title))
        notes.add(f"no updates in the body: a first '{first}' update made from the title, dated "
                  + ("now (the date is ahead)" if ahead else "at the post's date"))
    latest = updates[-1]
    if not head.resolved or latest.status in FINAL_STATUSES:
        if latest.status in FINAL_STATUSES and not head.resolved:
            notes.add(f"resolved is not true, but the body has a '{latest.status}' update: imported as "
                      "resolved", "resolved")
        elif end is not None and head.resolved and end != latest.at and not head.informational:
            notes.add(f"resolvedWhen {iso(end)} differs from the '{latest.status}' update at "
                      f"{iso(latest.at)}: kept the update's time", "resolvedWhen")
        return updates
    at = max(end or latest.at, latest.at)
    if at > now + FUTURE_SLACK:
        if not head.informational:
            notes.add(f"'{final}' at {iso(at)} would be in the future: left open", "resolvedWhen")
        return updates
    if not head.informational:
        source = "resolvedWhen" if at == end else "the latest update (resolvedWhen missing or earlier)"
        notes.add(f"a '{final}' update added at {iso(at)}, the time of {source}", "resolved")
    return [*updates, Update(at, final, "Resolved." if final == "resolved" else "Maintenance completed.")]


def _started(head: _Head, entries: list[_Entry], post: Post, now: datetime, notes: _Notes) -> datetime:
    """The post's date, moved back to the first update where one is earlier (not for maintenance)."""
    started = head.date
    if head.severity != "maintenance" and entries and entries[0].at < started:
        started = entries[0].at
        notes.add(f"started moved back to the first update, {iso(started)}", "date")
    if head.severity != "maintenance" and started > now + FUTURE_SLACK:
        raise InputError([Problem(post.shown, post.line_of("date"), f"date {iso(started)} is in the future",
                                  "only maintenance, severity: notice, may start later; correct the date")])
    return started


def _components(post: Post, resolve: Resolve | None, notes: _Notes) -> tuple[list[str], str]:
    """Component ids of the ``affected`` systems, or (for public incidents) a line for the body."""
    raw = post.meta.get("affected") or []
    names = [str(n) for n in (raw if isinstance(raw, list) else [raw])]
    if resolve is None:
        if names:
            notes.add("public incidents have no components: the affected systems are listed in the body",
                      "affected")
        return [], "Affected: " + ", ".join(names) + "." if names else ""
    ids: list[str] = []
    for name in names:
        cid, note = resolve(name)
        if note:
            notes.add(note, "affected")
        if cid not in ids:
            ids.append(cid)
    return ids, ""


def convert(post: Post, client_id: str, resolve: Resolve | None, now: datetime) -> Converted | str:
    """One cState issue as an incident file (its id not yet unique), or why it is skipped."""
    if skip := _skip_reason(post):
        return skip
    notes = _Notes(post)
    head = _read_head(post, notes)
    if head.informational:
        notes.add("informational post: imported as maintenance, " + ("scheduled (its date is ahead)"
                  if head.date > now + FUTURE_SLACK else "completed at its date"), "informational")
    for key in post.meta:
        if key not in _READ:
            notes.add(f"field {key!r} not imported (sitrep has no such field)", key)
    if post.meta.get("pin") is True:
        notes.add("pin: true not imported (sitrep pins nothing; open incidents come first)", "pin")
    entries, body = _read_body(post, head, now, notes)
    started = _started(head, entries, post, now, notes)
    updates = _timeline(head, entries, started, now, notes)
    ids, affected_line = _components(post, resolve, notes)
    eta, ended_line = _window(head, started, notes)
    body = "\n\n".join(filter(None, [body, ended_line, affected_line]))
    text = render(head.title, client_id, head.severity, ids, started, eta, updates, body)
    return Converted(post.shown, _base_id(post, head.title, started), text, notes.report())


def _window(head: _Head, started: datetime, notes: _Notes) -> tuple[datetime | None, str]:
    """``resolvedWhen`` beyond the resolution: a window's end (eta), or a body line for an open incident."""
    if head.when is None:
        return None, ""
    if head.informational:
        notes.add("resolvedWhen not used: informational posts have no downtime", "resolvedWhen")
    elif head.severity == "maintenance" and head.when >= started:
        return head.when, ""
    elif head.severity == "maintenance":
        notes.add("resolvedWhen is before the date: not used as the end of the window", "resolvedWhen")
    elif not head.resolved:
        notes.add("resolvedWhen without resolved: true: the incident stays open; the time is noted in "
                  "the body", "resolvedWhen")
        return None, f"Downtime ended {head.when:%Y-%m-%d %H:%M} UTC (cState resolvedWhen); not yet resolved."
    return None, ""


def _base_id(post: Post, title: str, started: datetime) -> str:
    """``<date>-<slug>``: the slug of the cState file name (its URL), or of the title."""
    stem = re.sub(r"^\d{4}-\d{2}-\d{2}[-_]?", "", post.stem)
    slug = slugify(stem) or slugify(title) or "incident"
    room = MAX_ID - len("2018-06-13-") - len("-99")  # the date, and a suffix to tell twins apart
    if len(slug) > room:
        slug = slug[:room].rsplit("-", 1)[0]
    return f"{started.date().isoformat()}-{slug}"


def render(title: str, client_id: str, severity: str, components: list[str], started: datetime,
           eta: datetime | None, updates: list[Update], body: str) -> str:
    """The incident file, laid out as ``sitrep new`` writes one."""
    lines = ["---", f"title: {scalar(title)}", f"client: {scalar(client_id)}", f"severity: {severity}"]
    if components:
        lines.append(f"components: [{', '.join(scalar(c) for c in components)}]")
    lines.append(f"started: {iso(started)}")
    if eta is not None:
        lines.append(f"eta: {iso(eta)}")
    lines.append("updates:")
    for update in updates:
        lines += [f"  - at: {iso(update.at)}", f"    status: {update.status}",
                  f"    message: {scalar(update.message)}"]
    lines.append("---")
    return "\n".join(lines) + "\n" + (body.strip("\n") + "\n" if body.strip() else "")


