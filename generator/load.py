"""Reading incident files and clients.yml into the model, with every problem found on the way."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frontmatter.default_handlers import YAMLHandler

from .errors import InputError, Problem, display_path
from .model import PUBLIC, Catalogue, Client, Incident, Review, ReviewAction, Update
from .schema import (
    ACTION_FIELDS,
    INCIDENT_FIELDS,
    REVIEW_FIELDS,
    UPDATE_FIELDS,
    Field,
    FieldError,
    statuses_for,
    suggestion,
    type_name,
)
from .yamlsource import LinedDict, LinedList, load_yaml

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID = 80


class _ExactYAMLHandler(YAMLHandler):
    """python-frontmatter's YAML handler, split so line numbers stay exact.

    The stock boundary regex may swallow a blank line after the opening ``---``, which
    would shift every reported line by one.
    """

    def split(self, text: str) -> tuple[str, str]:
        lines = text.split("\n")
        if not lines or lines[0].rstrip() != "---":
            raise ValueError("no opening ---")
        for index in range(1, len(lines)):
            if lines[index].rstrip() in ("---", "..."):
                return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :])
        raise ValueError("no closing ---")


_HANDLER = _ExactYAMLHandler()


@dataclass
class Loaded:
    """What loading a set of files produced: the catalogue and every problem found."""

    catalogue: Catalogue
    problems: list[Problem] = field(default_factory=list)


def read_text(path: Path, shown: str) -> str:
    """The file as UTF-8 text, or InputError naming the line of the first bad byte."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError([Problem(shown, 0, "no such file", "check the path")]) from exc
    except OSError as exc:
        raise InputError([Problem(shown, 0, f"cannot read it ({exc.strerror})",
                                  "check its permissions")]) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError([Problem(shown, line, "not UTF-8 text",
                                  "save the file as UTF-8 in your editor")]) from exc


def split_front_matter(text: str, shown: str) -> tuple[str, str, int]:
    """Front matter, body and the line where the body starts."""
    if not text.strip():
        raise InputError([Problem(shown, 1, "the file is empty",
                                  "start it with front matter, or write it with sitrep new")])
    text = text.removeprefix("\ufeff")
    try:
        fm, body = _HANDLER.split(text)
    except ValueError as exc:
        if text.split("\n", 1)[0].rstrip() != "---":
            problem = Problem(shown, 1, "no front matter",
                              "the first line must be '---', then the fields, then '---'")
        else:
            problem = Problem(shown, 1, "front matter is not closed",
                              "end the fields with a line '---'")
        raise InputError([problem]) from exc
    return fm, body, fm.count("\n") + 3


def _read_fields(data: LinedDict, spec: dict[str, Field], shown: str, where: str,
                 problems: list[Problem]) -> dict[str, Any]:
    """Each known field read through the schema; unknown and missing ones reported."""
    values: dict[str, Any] = {}
    for key, raw in data.items():
        line = data.line_of(key)
        if key not in spec:
            hint = suggestion(key, spec).removeprefix("; ")
            problems.append(Problem(shown, line, f"unknown field {key!r}{where}",
                                    hint or "known fields: " + ", ".join(spec)))
            continue
        try:
            values[key] = spec[key].read(raw)
        except FieldError as exc:
            problems.append(Problem(shown, line, f"{key}{where} {exc}", exc.hint))
    for key, rule in spec.items():
        if rule.required and key not in data:
            problems.append(Problem(shown, data.line, f"missing required field {key!r}{where}",
                                    _MISSING_HINTS.get(key, f"add {key}:")))
    return values


_MISSING_HINTS = {
    "title": "add title: one line saying what is broken",
    "client": "add client: followed by an id from incidents/clients.yml, or public",
    "severity": "add severity: critical, major, minor or maintenance",
    "started": "add started: 2017-08-14T08:15:00+01:00",
    "updates": "add updates: with at least one '- at: …, status: …, message: …'",
    "at": "add at: 2017-08-14T08:20:00+01:00",
    "status": "add status: investigating, identified, monitoring or resolved",
    "message": "add message: what stakeholders should know",
}


def _read_updates(raw: LinedList, severity: str | None, shown: str,
                  problems: list[Problem]) -> list[Update]:
    updates = []
    allowed = statuses_for(severity or "")
    for index, item in enumerate(raw):
        line = raw.line_of(index)
        if not isinstance(item, LinedDict):
            problems.append(Problem(shown, line, f"update {index + 1} must be a mapping, "
                                    f"not {type_name(item)}", "write '- at: …' with status "
                                    "and message on the lines below, indented"))
            continue
        values = _read_fields(item, UPDATE_FIELDS, shown, " in update", problems)
        status = values.get("status")
        if status is not None and status not in allowed:
            problems.append(Problem(shown, item.line_of("status"), f"unknown status {status!r}",
                                    "use one of: " + ", ".join(allowed)
                                    + suggestion(status, allowed)))
            continue
        if len(values) == len(UPDATE_FIELDS):
            updates.append(Update(values["at"], str(status), values["message"], line))
    return updates


def _read_review(raw: LinedDict, shown: str, problems: list[Problem]) -> Review:
    for key in raw:
        if key not in REVIEW_FIELDS:
            problems.append(Problem(shown, raw.line_of(key), f"unknown field {key!r} in review",
                                    suggestion(key, REVIEW_FIELDS).removeprefix("; ")
                                    or "known fields: " + ", ".join(REVIEW_FIELDS)))
    actions = []
    for index, item in enumerate(raw.get("actions") or []):
        if not isinstance(item, dict) or "action" not in item:
            line = raw["actions"].line_of(index) if isinstance(raw["actions"], LinedList) else 0
            problems.append(Problem(shown, line, "a review action needs action:",
                                    "write '- action: …' with owner, due and done"))
            continue
        unknown = [k for k in item if k not in ACTION_FIELDS]
        for key in unknown:
            problems.append(Problem(shown, item.line_of(key) if isinstance(item, LinedDict) else 0,
                                    f"unknown field {key!r} in review action",
                                    "known fields: " + ", ".join(ACTION_FIELDS)))
        due = _optional_time(item, "due", shown, problems)
        actions.append(ReviewAction(str(item["action"]), str(item.get("owner") or ""), due,
                                    item.get("done") is True))
    return Review(
        held_on=_optional_time(raw, "held_on", shown, problems),
        attendees=_texts(raw.get("attendees")),
        went_well=_texts(raw.get("went_well")),
        to_improve=_texts(raw.get("to_improve")),
        actions=tuple(actions),
    )


def _optional_time(data: dict[str, Any], key: str, shown: str,
                   problems: list[Problem]) -> Any:
    if data.get(key) is None:
        return None
    try:
        return INCIDENT_FIELDS["started"].read(data[key])
    except FieldError as exc:
        line = data.line_of(key) if isinstance(data, LinedDict) else 0
        problems.append(Problem(shown, line, f"{key} {exc}", exc.hint))
        return None


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(str(v) for v in items)


def check_id(path: Path, shown: str) -> list[Problem]:
    """Problems with the file name, which is the incident's id."""
    stem = path.stem
    if ID_PATTERN.match(stem) and len(stem) <= MAX_ID:
        return []
    fixed = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:MAX_ID] or "incident"
    return [Problem(shown, 1, f"file name {path.name!r} is not a valid incident id",
                    f"use lowercase letters, digits and hyphens, e.g. {fixed}.md")]


def parse_incident(path: Path, text: str, shown: str | None = None) -> tuple[Incident | None,
                                                                             list[Problem]]:
    """One incident from its text, or None and the problems that prevent reading it."""
    shown = shown or display_path(path)
    problems = check_id(path, shown)
    try:
        fm, body, _ = split_front_matter(text, shown)
        data = load_yaml(fm, shown, first_line=2)
    except InputError as exc:
        return None, problems + exc.problems
    if not isinstance(data, LinedDict):
        hint = "write the fields as 'name: value' lines between the '---' lines"
        return None, [*problems, Problem(shown, 2, "front matter is not a set of fields", hint)]
    values = _read_fields(data, INCIDENT_FIELDS, shown, "", problems)
    updates: list[Update] = []
    if isinstance(data.get("updates"), LinedList):
        updates = _read_updates(data["updates"], values.get("severity"), shown, problems)
    review = None
    if isinstance(values.get("review"), LinedDict):
        review = _read_review(values["review"], shown, problems)
    if problems or not updates:
        return None, problems
    incident = Incident(
        id=path.stem, path=shown, title=values["title"], clients=values["client"],
        severity=values["severity"], started=values["started"], updates=tuple(updates),
        components=values.get("components", ()), eta=values.get("eta"),
        drill=values.get("drill", False), body=body.strip("\n"), review=review,
        lines=dict(data.lines),
    )
    return incident, problems


def load_incident(path: Path, shown: str | None = None) -> tuple[Incident | None, list[Problem]]:
    """One incident file from disk."""
    shown = shown or display_path(path)
    try:
        text = read_text(path, shown)
    except InputError as exc:
        return None, check_id(path, shown) + exc.problems
    return parse_incident(path, text, shown)


def parse_clients(text: str, shown: str) -> tuple[dict[str, Client], list[Problem]]:
    """Clients and their components from the text of clients.yml."""
    try:
        data = load_yaml(text, shown)
    except InputError as exc:
        return {}, exc.problems
    if data is None:
        return {}, []
    if not isinstance(data, LinedDict):
        return {}, [Problem(shown, 1, "clients.yml must map client ids to clients",
                            "write 'dlca:' then an indented 'name:' and 'components:'")]
    clients: dict[str, Client] = {}
    problems: list[Problem] = []
    for client_id, entry in data.items():
        client = _read_client(client_id, entry, data.line_of(client_id), shown, problems)
        if client:
            clients[client.id] = client
    return clients, problems


def _read_client(client_id: Any, entry: Any, line: int, shown: str,
                 problems: list[Problem]) -> Client | None:
    if not isinstance(client_id, str) or not ID_PATTERN.match(client_id):
        problems.append(Problem(shown, line, f"client id {client_id!r} is not valid",
                                "use lowercase letters, digits and hyphens, and quote it"))
        return None
    if client_id == PUBLIC:
        problems.append(Problem(shown, line, "'public' is reserved for public incidents",
                                "choose another client id"))
        return None
    if not isinstance(entry, LinedDict) or not isinstance(entry.get("name"), str):
        problems.append(Problem(shown, line, f"client {client_id!r} needs a name",
                                f"write '  name: Full name of {client_id}' under it"))
        return None
    for key in entry:
        if key not in ("name", "components"):
            problems.append(Problem(shown, entry.line_of(key), f"unknown field {key!r} in "
                                    f"client {client_id!r}", "known fields: name, components"))
    components = entry.get("components") or {}
    if not isinstance(components, LinedDict) or not all(
        isinstance(k, str) and ID_PATTERN.match(k) and isinstance(v, str)
        for k, v in components.items()
    ):
        problems.append(Problem(shown, entry.line_of("components"),
                                f"components of {client_id!r} must map ids to names",
                                "write '    remote-access: Remote Access server'"))
        components = {}
    return Client(client_id, entry["name"].strip(), dict(components), line)


def load_clients(path: Path) -> tuple[dict[str, Client], list[Problem]]:
    """clients.yml from disk; a missing file means no clients (only public incidents)."""
    shown = display_path(path)
    if not path.exists():
        return {}, []
    try:
        text = read_text(path, shown)
    except InputError as exc:
        return {}, exc.problems
    return parse_clients(text, shown)


def incident_files(folder: Path) -> list[Path]:
    """Every incident file under ``folder`` (subfolders such as years included), sorted."""
    return sorted(p for p in folder.rglob("*.md") if p.is_file())


def load_catalogue(folder: Path, paths: list[Path] | None = None) -> Loaded:
    """Clients and incidents of ``folder`` (or just ``paths``), with every problem found."""
    clients, problems = load_clients(folder / "clients.yml")
    incidents = []
    seen: dict[str, str] = {}
    for path in paths if paths is not None else incident_files(folder):
        incident, found = load_incident(path)
        problems += found
        if incident is None:
            continue
        if incident.id in seen:
            problems.append(Problem(incident.path, 1, f"duplicate incident id {incident.id!r}",
                                    f"{seen[incident.id]} has the same file name; rename one"))
            continue
        seen[incident.id] = incident.path
        incidents.append(incident)
    return Loaded(Catalogue(clients, tuple(incidents)), problems)
