"""``sitrep import cstate DIR --client ID``: a cState site's issues become sitrep incident files.

Nothing is written unless every issue converts and every result passes the checks of
``sitrep validate``; existing incident files are replaced only with ``--force``, and
clients.yml is edited only with ``--write-clients``. The mapping is in ``cstate_convert``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from .clients_edit import add_components, component_lines
from .config import Settings
from .cstate import System, issue_files, read_post, read_systems
from .cstate_convert import Converted, convert, slugify
from .errors import InputError, Problem, SitrepError, display_path
from .load import load_clients, parse_incident, read_text
from .model import PUBLIC, Client
from .schema import suggestion
from .site import build_clock
from .validate import check_incident


class Components:
    """Where the site's systems land among the client's components."""

    def __init__(self, client: Client, systems: list[System]) -> None:
        self.existing = dict(client.components)
        self.placed = {s.name: self._place(s.name, s.label) for s in systems}
        self.by_slug = {slugify(name): spot for name, spot in self.placed.items()}
        self.needed = dict(self.placed.values())

    def _place(self, name: str, label: str) -> tuple[str, str]:
        # A component the client already has under the same name is the same thing.
        for cid, cname in self.existing.items():
            if cname.casefold() in (name.casefold(), label.casefold()):
                return cid, cname
        return slugify(name) or "system", label

    def resolve(self, name: str) -> tuple[str, str]:
        """The component id of an ``affected`` name, and a note when it is not an exact match."""
        if name in self.placed:
            return self.placed[name][0], ""
        if slugify(name) in self.by_slug:
            cid = self.by_slug[slugify(name)][0]
            return cid, f"affected {name!r} is spelt differently in config.yml: taken as {cid!r}"
        cid, label = self._place(name, name)
        self.needed.setdefault(cid, label)
        return cid, f"affected {name!r} is not a system in config.yml: imported as component {cid!r}"

    @property
    def missing(self) -> dict[str, str]:
        """Components the imported incidents use that the client does not have yet."""
        return {cid: name for cid, name in self.needed.items() if cid not in self.existing}


@dataclass
class Plan:
    """The whole import: files to write, files skipped, components the client lacks."""

    converted: list[Converted]
    skipped: list[tuple[str, str]]
    missing: dict[str, str]
    config_notes: list[str]


def plan_import(root: Path, client: Client | None, client_id: str, now: datetime) -> Plan:
    """Read the whole site and convert every issue; every unreadable file reported at once."""
    systems, config_notes = read_systems(root)
    components = Components(client, systems) if client is not None else None
    converted: list[Converted] = []
    skipped: list[tuple[str, str]] = []
    problems: list[Problem] = []
    resolve = components.resolve if components else None
    for path in issue_files(root):
        shown = path.relative_to(root).as_posix()
        try:
            result = convert(read_post(path, shown), client_id, resolve, now)
        except InputError as exc:
            problems += exc.problems
            continue
        if isinstance(result, str):
            skipped.append((shown, result))
        else:
            converted.append(result)
    if problems:
        raise InputError(problems)
    _make_unique(converted)
    return Plan(converted, skipped, components.missing if components else {}, config_notes)


def _make_unique(converted: list[Converted]) -> None:
    seen: set[str] = set()
    for item in converted:
        candidate, number = item.incident_id, 2
        while candidate in seen:
            candidate, number = f"{item.incident_id}-{number}", number + 1
        if candidate != item.incident_id:
            item.notes.append(f"id {item.incident_id!r} is taken by another issue: written as {candidate!r}")
        item.incident_id = candidate
        seen.add(candidate)


def cmd_import_cstate(args: argparse.Namespace, settings: Settings) -> int:
    """Write incident files for client ``args.client`` from the cState site in ``args.dir``."""
    root = Path(args.dir)
    if not root.is_dir():
        raise SitrepError(f"{args.dir}: no such folder (give the folder of the cState site, "
                          "which holds config.yml and content/issues/)")
    clients = _load_clients(settings)
    client = _client(args.client, clients, settings)
    now = build_clock()
    plan = plan_import(root, client, args.client, now)
    targets = [settings.incidents_path / f"{c.incident_id}.md" for c in plan.converted]
    _check(plan, targets, _with_components(clients, args.client, plan.missing), now)
    _print_report(plan, targets)
    existing = [display_path(t) for t in targets if t.exists()]
    if existing and not args.force:
        raise SitrepError(f"{len(existing)} incident file{'s' * (len(existing) != 1)} exist already: "
                          f"{', '.join(existing)} (run again with --force to replace them)")
    clients_text = _clients_text(args, settings, plan.missing)
    if args.dry_run:
        print("dry run: nothing written", file=sys.stderr)
        return 0
    for item, target in zip(plan.converted, targets, strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(item.text, encoding="utf-8")
    if clients_text is not None:
        settings.clients_path.write_text(clients_text, encoding="utf-8")
    _print_summary(plan, args.client, settings, clients_text is not None)
    return 0


def _load_clients(settings: Settings) -> dict[str, Client]:
    clients, problems = load_clients(settings.clients_path)
    if any(not p.warning for p in problems):
        raise InputError(problems)
    return clients


def _client(client_id: str, clients: dict[str, Client], settings: Settings) -> Client | None:
    if client_id == PUBLIC:
        return None
    if client_id not in clients:
        where = display_path(settings.clients_path)
        hint = suggestion(client_id, clients).removeprefix("; ")
        raise SitrepError(f"unknown client {client_id!r} "
                          f"({hint or f'add it to {where} with its name first, or use --client public'})")
    return clients[client_id]


def _with_components(clients: dict[str, Client], client_id: str, new: dict[str, str]) -> dict[str, Client]:
    """The clients as they will be once the missing components are added."""
    if not new:
        return clients
    client = clients[client_id]
    return {**clients, client_id: replace(client, components={**client.components, **new})}


def _check(plan: Plan, targets: list[Path], clients: dict[str, Client], now: datetime) -> None:
    """Every rule of ``sitrep validate`` on the files about to be written."""
    problems: list[Problem] = []
    for item, target in zip(plan.converted, targets, strict=True):
        incident, found = parse_incident(target, item.text, display_path(target))
        if incident is not None:
            found += check_incident(incident, clients, now)
        problems += [replace(p, message=f"{p.message}, imported from {item.source}") for p in found]
    if problems:
        raise InputError(problems)


def _clients_text(args: argparse.Namespace, settings: Settings, missing: dict[str, str]) -> str | None:
    """The new text of clients.yml with ``--write-clients``; else the lines to add by hand."""
    if not missing:
        return None
    where = display_path(settings.clients_path)
    if args.write_clients:
        return add_components(read_text(settings.clients_path, where), args.client, missing, where)
    print(f"components of {args.client!r} to add to {where}:")
    print("\n".join(component_lines(missing)))
    if args.dry_run:
        return None
    raise SitrepError(f"{where} lacks {len(missing)} component{'s' * (len(missing) != 1)} that the "
                      f"imported incidents use (add the lines above under the components of "
                      f"{args.client!r}, or run again with --write-clients)")


def _print_report(plan: Plan, targets: list[Path]) -> None:
    """File by file: where each issue went and what could not be mapped as it was."""
    for note in plan.config_notes:
        print(note)
    lines = [(c.source, [f"{c.source} -> {display_path(t)}", *(f"  {n}" for n in c.notes)])
             for c, t in zip(plan.converted, targets, strict=True)]
    lines += [(source, [f"{source}: skipped: {reason}"]) for source, reason in plan.skipped]
    for _, report in sorted(lines):
        print("\n".join(report))


def _print_summary(plan: Plan, client_id: str, settings: Settings, wrote_clients: bool) -> None:
    count = len(plan.converted)
    text = f"imported {count} cState issue{'s' * (count != 1)} into {settings.incidents_dir}/ for {client_id}"
    if plan.skipped:
        text += f", skipped {len(plan.skipped)}"
    if wrote_clients:
        text += f"; added {len(plan.missing)} components to {display_path(settings.clients_path)}"
    print(text, file=sys.stderr)
    print("commit with the trailer 'Sitrep-Notify: no' so that no one is texted about past incidents",
          file=sys.stderr)
