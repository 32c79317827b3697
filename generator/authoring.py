"""``sitrep new``, ``update`` and ``resolve``: write incident files as a careful person would.

The new text is checked with the validator before anything is written, and written atomically;
the text itself (quoting, the update inserted in place) is ``incident_text``'s business.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import os
import re
import shlex
import stat
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from .config import Settings
from .errors import InputError, Problem, SitrepError, display_path
from .incident_text import add_update, new_incident_text, write_atomically
from .load import ID_PATTERN, MAX_ID, incident_files, load_clients, parse_incident, read_text
from .model import FINAL_STATUSES, Client, Incident, Update
from .times import TimeError, clock, day_and_clock, parse_at, parse_eta
from .validate import check_incident

_LEADS = {"investigating": "We are investigating", "identified": "We have found the cause",
          "monitoring": "A fix is in place and we are monitoring", "resolved": "Resolved"}


class Refused(InputError):
    """The command would write an invalid file: the problems, then that nothing was written."""

    def __init__(self, problems: Iterable[Problem], shown: str, what: str) -> None:
        super().__init__(problems)
        self.problems.append(Problem(shown, 0, f"{what}; nothing was written",
                                     "fix the problems above, then run the command again"))


@dataclasses.dataclass(frozen=True)
class Written:
    """What a command wrote, for the message that tells the user what to do next."""

    path: Path
    text: str
    commit_message: str
    created: bool


# --- commands ---------------------------------------------------------------------------


def cmd_new(args: argparse.Namespace, settings: Settings) -> int:
    """``sitrep new``: declare an incident (or schedule maintenance) in a new file."""
    now = _now(settings)
    at = _time_arg("--at", args.at, settings, now) if args.at else now
    started = _started(args, settings, at)
    eta = _eta_arg(args.eta, started if args.severity == "maintenance" else at)
    status = _status_arg(args.status) or ("scheduled" if args.severity == "maintenance" else "investigating")
    title, message = _text_arg("--title", args.title), _text_arg("--message", args.message, optional=True)
    message = message or default_message(title, args.severity, status, started, eta, at, settings)
    clients, components = [c.strip() for c in args.client], [c.strip() for c in args.component]
    incident_id = _new_id(args.id, started, clients, title, settings)
    path = settings.incidents_path / f"{incident_id}.md"
    text = new_incident_text(title, clients, args.severity, components, started, eta,
                             args.drill, Update(at, status, message))
    incident = _checked(path, text, settings, "the new incident is not valid")
    expected = Incident(id=incident_id, path=incident.path, title=title, clients=tuple(clients),
                        severity=args.severity, started=started, eta=eta, components=tuple(components),
                        drill=args.drill, updates=(Update(at, status, message, incident.updates[0].line),))
    if incident != expected:
        raise SitrepError(f"could not write {display_path(path)} so that it reads back as given "
                          "(please report this with the command you ran)")
    verb = "Schedule maintenance" if args.severity == "maintenance" else "Declare incident"
    return _done(Written(path, text, f"{verb}: {title}", created=True))


def cmd_update(args: argparse.Namespace, settings: Settings) -> int:
    """``sitrep update ID``: add an update (and optionally a new ETA) to an incident."""
    status = _status_arg(args.status) or ""
    return _add_update(args.id, status, args.message, args.at, args.eta, settings,
                       lambda incident: f"Update {incident.id}: {status}")


def cmd_resolve(args: argparse.Namespace, settings: Settings) -> int:
    """``sitrep resolve ID``: resolve an incident, or complete a maintenance."""
    path = find_incident(settings, args.id)
    incident, _ = parse_incident(path, read_text(path, display_path(path)))
    if incident is not None and incident.is_resolved:
        when = clock(incident.latest.at, settings.timezone)
        raise SitrepError(f"{incident.id} is already {incident.status} (at {when}); to add a note, use "
                          f"sitrep update {incident.id} --status {incident.status} --message …")
    status = "completed" if incident is not None and incident.is_maintenance else "resolved"
    return _add_update(str(path), status, args.message, args.at, None, settings,
                       lambda i: f"{'Complete' if i.is_maintenance else 'Resolve'} {i.id}")


# --- arguments ---------------------------------------------------------------------------


def _now(settings: Settings) -> datetime:
    return datetime.now(settings.timezone).replace(microsecond=0)


def _time_arg(option: str, text: str, settings: Settings, now: datetime) -> datetime:
    try:
        return parse_at(text, settings.timezone, now).astimezone(settings.timezone)
    except TimeError as exc:
        raise SitrepError(f"{option} {exc} ({exc.hint})") from exc


def _eta_arg(text: str | None, base: datetime) -> datetime | None:
    """The ETA; ``+2h`` and ``HH:MM`` count from ``base`` (the update, or a maintenance's start)."""
    if text is None:
        return None
    try:
        return parse_eta(text, base).astimezone(base.tzinfo)
    except TimeError as exc:
        raise SitrepError(f"--eta {exc} ({exc.hint})") from exc


def _started(args: argparse.Namespace, settings: Settings, at: datetime) -> datetime:
    if not args.started:
        return at
    if args.severity == "maintenance":
        # A maintenance window is ahead: 08:00 means the next 08:00, +2h two hours from now.
        try:
            return parse_eta(args.started, at).astimezone(settings.timezone)
        except TimeError as exc:
            raise SitrepError(f"--started {args.started!r} is not a valid time ({exc.hint})") from exc
    return _time_arg("--started", args.started, settings, at)


def _status_arg(text: str | None) -> str | None:
    """``In progress`` → ``in_progress``: statuses as the file spells them."""
    return re.sub(r"[\s-]+", "_", text.strip().lower()) if text else None


def _text_arg(option: str, text: str | None, optional: bool = False) -> str:
    value = (text or "").strip()
    if not value and not optional:
        raise SitrepError(f"{option} is empty (write a short line of text)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SitrepError(f"{option} is not valid UTF-8 text (check your terminal's encoding)") from exc
    return value


# --- new ---------------------------------------------------------------------------------


def default_message(title: str, severity: str, status: str, started: datetime, eta: datetime | None,
                    at: datetime, settings: Settings) -> str:
    """The first update when ``--message`` is not given: what is happening and when people hear more."""
    zone, subject = settings.timezone, title.rstrip(".")
    if severity == "maintenance":
        return f"Scheduled maintenance: {subject}, {maintenance_window(started, eta, settings)}."
    text = f"{_LEADS.get(status, status.capitalize())}: {subject}."
    if eta is not None:
        text += f" Estimated fix {clock(eta, zone)}."
    if status not in FINAL_STATUSES:
        text += f" Next update by {clock(at + settings.update_every, zone)}."
    return text


def maintenance_window(started: datetime, end: datetime | None, settings: Settings) -> str:
    """``Sat 12 Dec 2026, 08:00 GMT to 12:00 GMT``, or ``from …`` when the end is not known."""
    zone = settings.timezone
    if end is None:
        return f"from {day_and_clock(started, zone)}"
    same_day = started.astimezone(zone).date() == end.astimezone(zone).date()
    return f"{day_and_clock(started, zone)} to {clock(end, zone) if same_day else day_and_clock(end, zone)}"


def slug(text: str) -> str:
    """``VPN down at Leith!`` → ``vpn-down-at-leith``: lowercase ASCII words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def default_id(started: datetime, client: str, title: str, taken: set[str]) -> str:
    """``<date>-<client>-<slug of title>``, at most MAX_ID characters, ``-2`` etc. if taken."""
    base = _fit(f"{started:%Y-%m-%d}-{slug(client) or 'public'}-{slug(title) or 'incident'}", MAX_ID)
    candidate, number = base, 2
    while candidate in taken:
        suffix = f"-{number}"
        candidate, number = _fit(base, MAX_ID - len(suffix)) + suffix, number + 1
    return candidate


def _fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, at a hyphen when one is near."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return (cut.rsplit("-", 1)[0] if "-" in cut[limit // 2 :] else cut).strip("-")


def _new_id(given: str | None, started: datetime, clients: list[str], title: str,
            settings: Settings) -> str:
    taken = {p.stem for p in incident_files(settings.incidents_path)}
    if given is None:
        return default_id(started.astimezone(settings.timezone), clients[0], title, taken)
    if not ID_PATTERN.match(given) or len(given) > MAX_ID:
        example = _fit(slug(given), MAX_ID) or "vpn-down"
        raise SitrepError(f"--id {given!r} is not a valid incident id (use lowercase letters, digits "
                          f"and hyphens, at most {MAX_ID} characters, e.g. {example})")
    if given in taken:
        raise SitrepError(f"incident {given!r} already exists (choose another --id, or add to it with "
                          f"sitrep update {given})")
    return given


# --- update ------------------------------------------------------------------------------


def find_incident(settings: Settings, ident: str) -> Path:
    """The file of incident ``ident`` (an id, or the path of its file)."""
    if ident.endswith(".md") or os.sep in ident:
        path = Path(ident)
        if not path.is_file():
            raise SitrepError(f"{ident}: no such incident file (check the path, or give the id)")
        return path
    files = incident_files(settings.incidents_path)
    found = [p for p in files if p.stem == ident]
    if len(found) > 1:
        raise SitrepError(f"two files have the id {ident!r}: {', '.join(map(display_path, found))} "
                          "(rename one)")
    if not found:
        stems = [p.stem for p in files]
        close = (difflib.get_close_matches(ident, stems, n=1, cutoff=0.6)
                 or [stem for stem in stems if ident in stem][:1])
        hint = f"did you mean {close[0]!r}?" if close else f"ls {settings.incidents_dir}/ lists them"
        raise SitrepError(f"no incident {ident!r} in {settings.incidents_dir}/ ({hint})")
    return found[0]


def _add_update(ident: str, status: str, message_arg: str, at_arg: str | None, eta_arg: str | None,
                settings: Settings, commit: Callable[[Incident], str]) -> int:
    path = find_incident(settings, ident)
    shown = display_path(path)
    text = read_text(path, shown)
    now = _now(settings)
    old = _checked(path, text, settings, "the file has problems already")
    at = _time_arg("--at", at_arg, settings, now) if at_arg else now
    eta = _eta_arg(eta_arg, at)
    update = Update(at, status, _text_arg("--message", message_arg))
    new_text = add_update(text, shown, update, eta)
    new = _checked(path, new_text, settings, "the update is not valid")
    if _essence(new) != _essence(dataclasses.replace(old, updates=(*old.updates, update),
                                                     eta=eta or old.eta)):
        raise SitrepError(f"could not add the update to {shown} without changing other lines "
                          "(add it by hand; nothing was written)")
    return _done(Written(path, new_text, commit(new), created=False))


def _essence(incident: Incident) -> Incident:
    """The incident without line numbers, which an inserted line shifts."""
    return dataclasses.replace(incident, updates=tuple(dataclasses.replace(u, line=0)
                                                       for u in incident.updates))


# --- checking and writing ------------------------------------------------------------------


def _checked(path: Path, text: str, settings: Settings, what: str) -> Incident:
    """The incident ``text`` describes, or Refused with every problem validate would report."""
    shown = display_path(path)
    clients, problems = _clients(settings)
    incident, found = parse_incident(path, text, shown)
    problems += found
    if incident is not None:
        problems += check_incident(incident, clients, datetime.now(UTC))
    if problems or incident is None:
        raise Refused(problems, shown, what)
    return incident


def _clients(settings: Settings) -> tuple[dict[str, Client], list[Problem]]:
    return load_clients(settings.clients_path)


def _file_mode(path: Path, created: bool) -> int:
    if not created:
        return stat.S_IMODE(path.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _done(written: Written) -> int:
    """Write the file, then say where and what to do next."""
    # An incident file that is a symbolic link stays one: the file it points to is replaced.
    target = written.path if written.created else written.path.resolve()
    shown = display_path(written.path)
    try:
        write_atomically(target, written.text, _file_mode(target, written.created))
    except OSError as exc:
        raise SitrepError(f"cannot write {shown}: {exc.strerror} (check the folder's permissions)") from exc
    print(f"wrote {shown}")
    if written.created:
        print("then: add a summary and a '## Plan of action' below the front matter")
    print(f"next: git add {shlex.quote(shown)} && git commit -m {shlex.quote(written.commit_message)} "
          "&& git push")
    return 0
