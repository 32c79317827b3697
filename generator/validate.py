"""Rules that span fields and files: order of updates, clients, components, times, drills."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .config import Settings
from .errors import Problem, display_path
from .load import load_catalogue
from .model import FINAL_STATUSES, PUBLIC, Catalogue, Client, Incident
from .schema import suggestion

# Clocks drift and people round; five minutes ahead is still "now".
FUTURE_SLACK = timedelta(minutes=5)


def check_incident(incident: Incident, clients: dict[str, Client], now: datetime) -> list[Problem]:
    """Every rule one loaded incident breaks."""
    return [
        *_check_clients(incident, clients),
        *_check_components(incident, clients),
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
    known: dict[str, str] = {}
    for client_id in incident.clients:
        if client_id in clients:
            known.update(clients[client_id].components)
    if any(c not in clients for c in incident.clients if c != PUBLIC):
        return  # the unknown client is the problem to fix first
    for component in incident.components:
        if component not in known:
            owner = "this incident's clients" if incident.clients != (PUBLIC,) else "'public'"
            hint = suggestion(component, known).removeprefix("; ")
            yield Problem(incident.path, incident.line_of("components"),
                          f"unknown component {component!r}",
                          hint or f"add it under components of {owner} in incidents/clients.yml"
                          if known or incident.clients != (PUBLIC,)
                          else "public incidents have no components; remove components:")


def _check_times(incident: Incident, now: datetime) -> Iterable[Problem]:
    if not incident.is_maintenance and incident.started > now + FUTURE_SLACK:
        yield Problem(incident.path, incident.line_of("started"), "started is in the future",
                      "use the time the failure began; scheduled work is severity: maintenance")
    if incident.eta is not None and incident.eta < incident.started:
        yield Problem(incident.path, incident.line_of("eta"), "eta is before started",
                      "the ETA is when the fix is expected; set a later time or remove eta")


def _check_updates(incident: Incident, now: datetime) -> Iterable[Problem]:
    previous = None
    resolved_at = None
    for update in incident.updates:
        if update.at > now + FUTURE_SLACK:
            yield Problem(incident.path, update.line, "update is in the future",
                          "write the time it was posted; sitrep update fills in now")
        if not incident.is_maintenance and update.at < incident.started:
            yield Problem(incident.path, update.line, "update is before the incident started",
                          "correct its time or the started: time")
        if previous is not None and update.at < previous.at:
            yield Problem(incident.path, update.line,
                          f"updates out of order: this one is earlier than line {previous.line}",
                          "list updates oldest first and check their times")
        if resolved_at is not None and update.status not in FINAL_STATUSES:
            yield Problem(incident.path, update.line,
                          f"update {update.status!r} comes after the incident was resolved "
                          f"(line {resolved_at})",
                          "remove the resolved update, or open a new incident with sitrep new")
        if update.status in FINAL_STATUSES and resolved_at is None:
            resolved_at = update.line
        previous = update


def check_settings(settings: Settings, catalogue: Catalogue) -> list[Problem]:
    """Warnings about settings that matter for these incidents."""
    drills = [i for i in catalogue.incidents if i.drill]
    if drills and not settings.drill_prefix.strip():
        return [Problem("mkdocs.yml", 0, "drill_prefix is empty, so drill SMS look like real "
                        "incidents (an unannounced drill)", "set extra.status.drill_prefix, "
                        "e.g. 'EXERCISE: ', unless that is what you intend", warning=True)]
    return []


def validate(settings: Settings, paths: list[Path] | None = None,
             now: datetime | None = None) -> tuple[Catalogue, list[Problem]]:
    """Load and check the incidents (all of them, or ``paths``); every problem at once."""
    now = now or datetime.now(UTC)
    folder = settings.incidents_path
    loaded = load_catalogue(folder, _expand(paths) if paths else None)
    problems = list(loaded.problems)
    for incident in loaded.catalogue.incidents:
        problems += check_incident(incident, loaded.catalogue.clients, now)
    problems += check_settings(settings, loaded.catalogue)
    return loaded.catalogue, sorted(set(problems), key=_order)


def _expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.md") if p.is_file())
        elif path.name != "clients.yml":
            files.append(path)
    return files


def _order(problem: Problem) -> tuple[str, int, str]:
    return (problem.path, problem.line, problem.message)


def shown(path: Path) -> str:
    """How a path appears in messages."""
    return display_path(path)
