"""Rules that span fields and files: order of updates, clients, components, times, drills."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from .catalogue import load_catalogue
from .config import Settings
from .errors import Problem, display_path
from .load import incident_files
from .model import FINAL_STATUSES, PUBLIC, Catalogue, Client, Incident, Update
from .schema import suggestion
from .times import FUTURE_SLACK, iso


def check_incident(incident: Incident, clients: dict[str, Client], now: datetime,
                   clients_ok: bool = True) -> list[Problem]:
    """Every rule one loaded incident breaks (client rules only when clients.yml could be read)."""
    by_client = [*_check_clients(incident, clients), *_check_components(incident, clients)]
    return [
        # A broken clients.yml would make every incident's client "unknown": noise, not news.
        *(by_client if clients_ok else []),
        *_check_times(incident, now),
        *_check_updates(incident, now),
    ]


def _check_clients(incident: Incident, clients: dict[str, Client]) -> Iterable[Problem]:
    line = incident.line_of("client")
    if PUBLIC in incident.clients and len(incident.clients) > 1:
        yield Problem(incident.path, line, "client mixes 'public' with client ids",
                      "use client: public alone, or only client ids")
    for client_id in incident.clients:
        if client_id != PUBLIC and client_id not in clients:
            hint = suggestion(client_id, clients).removeprefix("; ")
            yield Problem(incident.path, line, f"unknown client {client_id!r}",
                          hint or "add it to incidents/clients.yml, or use client: public")


def _check_components(incident: Incident, clients: dict[str, Client]) -> Iterable[Problem]:
    if any(c not in clients for c in incident.clients if c != PUBLIC):
        return  # the unknown client is the problem to fix first
    known = {c: n for client_id in incident.clients if client_id in clients
             for c, n in clients[client_id].components.items()}
    owners = " and ".join(f"{c}'s" for c in incident.clients)
    for component in incident.components:
        if component in known:
            continue
        if incident.is_public:
            hint = "public incidents have no components; remove components:"
        else:
            hint = (suggestion(component, known).removeprefix("; ")
                    or f"add it under {owners} components in incidents/clients.yml")
        yield Problem(incident.path, incident.line_of("components"), f"unknown component {component!r}",
                      hint)


def _check_times(incident: Incident, now: datetime) -> Iterable[Problem]:
    if not incident.is_maintenance and incident.started > now + FUTURE_SLACK:
        yield Problem(incident.path, incident.line_of("started"),
                      f"started {iso(incident.started)} is in the future",
                      "use the time the failure began; scheduled work is severity: maintenance")
    if incident.eta is not None and incident.eta < incident.started:
        what = "the end of the window" if incident.is_maintenance else "the estimated fix time"
        yield Problem(incident.path, incident.line_of("eta"), "eta is before started",
                      f"eta is {what}; set a later time or remove eta")


def _check_updates(incident: Incident, now: datetime) -> Iterable[Problem]:
    previous: Update | None = None
    final: Update | None = None
    for update in incident.updates:
        yield from _check_update(incident, update, now)
        if previous is not None and update.at < previous.at:
            yield Problem(incident.path, update.line,
                          f"update at {iso(update.at)} is earlier than the update at line {previous.line}",
                          "list updates oldest first, and check their times")
        if final is not None and update.status not in FINAL_STATUSES:
            yield Problem(incident.path, update.line,
                          f"update {update.status!r} comes after the {final.status!r} update at line "
                          f"{final.line}", f"remove the {final.status!r} update, or declare a new "
                          "incident with sitrep new")
        if update.status in FINAL_STATUSES and final is None:
            final = update
        previous = update


def _check_update(incident: Incident, update: Update, now: datetime) -> Iterable[Problem]:
    if update.at > now + FUTURE_SLACK:
        yield Problem(incident.path, update.line, f"update at {iso(update.at)} is in the future",
                      "write the time it was posted; sitrep update fills in now")
    # Maintenance is announced before its window opens; an incident's updates cannot be.
    if not incident.is_maintenance and update.at < incident.started:
        yield Problem(incident.path, update.line, f"update at {iso(update.at)} is before started",
                      f"correct its time, or the started time at line {incident.line_of('started')}")


def check_settings(settings: Settings, catalogue: Catalogue) -> list[Problem]:
    """Warnings about settings that matter for these incidents."""
    drills = [i for i in catalogue.incidents if i.drill]
    if not drills or settings.drill_prefix.strip():
        return []
    config = settings.root / "mkdocs.yml"
    count = f"{len(drills)} drill{'s' * (len(drills) != 1)}"
    return [Problem(display_path(config), _setting_line(config, "drill_prefix"),
                    f"drill_prefix is empty, so the SMS of {count} will read like a real incident",
                    "set extra.status.drill_prefix, e.g. 'EXERCISE: ', unless the drill is meant "
                    "to be unannounced", warning=True)]


def _setting_line(config: Path, key: str) -> int:
    """The line of ``key:`` in mkdocs.yml (0 when it cannot be found)."""
    try:
        lines = config.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 0
    pattern = re.compile(rf"^\s+{key}\s*:")
    return next((n for n, line in enumerate(lines, 1) if pattern.match(line)), 0)


def validate(settings: Settings, paths: list[Path] | None = None,
             now: datetime | None = None) -> tuple[Catalogue, list[Problem]]:
    """Load and check the incidents (all of them, or ``paths``); every problem at once."""
    now = now or datetime.now(UTC)
    folder = settings.incidents_path
    loaded = load_catalogue(folder, _expand(paths) if paths else None)
    problems = list(loaded.problems)
    clients_shown = display_path(settings.clients_path)
    clients_ok = not any(p.path == clients_shown for p in problems)
    for incident in loaded.catalogue.incidents:
        problems += check_incident(incident, loaded.catalogue.clients, now, clients_ok)
    problems += check_settings(settings, loaded.catalogue)
    return loaded.catalogue, sorted(set(problems), key=_order)


def _expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += incident_files(path)
        elif path.name != "clients.yml":
            files.append(path)
    return files


def _order(problem: Problem) -> tuple[str, int, str]:
    return (problem.path, problem.line, problem.message)


def shown(path: Path) -> str:
    """How a path appears in messages."""
    return display_path(path)
