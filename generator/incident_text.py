"""The text of incident files: values quoted to read back exactly, new files, updates added in place.

An update is inserted after the last update, found by the line numbers the loader records,
so that comments, quoting, order and the body stay byte for byte as they were.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

import yaml

from .errors import SitrepError
from .model import Update
from .times import iso
from .yamlsource import LinedDict, LinedList, LineLoader, load_yaml

# Plain scalars longer than PyYAML's default width are folded onto several lines.
_NO_WRAP = 2**31 - 1
_LINE_BREAKS = ("\n", "\r", "\x85", "\u2028", "\u2029")
_DASH = re.compile(r"^(?P<indent>[ ]*)-(?P<gap>[ ]+)\S")
_PLAIN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def new_incident_text(title: str, clients: list[str], severity: str, components: list[str],
                      started: datetime, eta: datetime | None, drill: bool, first: Update) -> str:
    """The whole file of a new incident: front matter in the documented order, an empty body."""
    lines = ["---", f"title: {yaml_scalar(title)}",
             f"client: {yaml_scalar(clients[0]) if len(clients) == 1 else yaml_flow_list(clients)}",
             f"severity: {yaml_scalar(severity)}"]
    if components:
        lines.append(f"components: {yaml_flow_list(components)}")
    lines.append(f"started: {iso(started)}")
    if eta is not None:
        lines.append(f"eta: {iso(eta)}")
    if drill:
        lines.append("drill: true")
    lines += ["updates:", *update_item(first, "  - ", "    "), "---", ""]
    return "\n".join(lines)


def yaml_scalar(text: str) -> str:
    """``text`` as a one-line YAML value that reads back exactly: plain if it can be, else quoted."""
    for style in (None, '"'):
        dumped = yaml.dump(text, Dumper=yaml.SafeDumper, default_style=style, allow_unicode=True,
                           width=_NO_WRAP)
        value = dumped.removesuffix("\n").removesuffix("\n...")
        if not any(b in value for b in _LINE_BREAKS) and _reads_back(value, text):
            return value
    raise SitrepError(f"cannot write {text[:40]!r} as YAML (remove unusual characters and try again)")


def yaml_flow_list(items: list[str]) -> str:
    """``[a, b]``: ids plain, anything else double-quoted (commas and brackets end a plain item)."""
    quoted = [item if _PLAIN_ID.match(item) and _reads_back(item, item) else _double_quoted(item)
              for item in items]
    listed = f"[{', '.join(quoted)}]"
    if not _reads_back(listed, items):
        raise SitrepError(f"cannot write {items!r} as a YAML list (use plain ids)")
    return listed


def _double_quoted(text: str) -> str:
    return yaml.dump(text, Dumper=yaml.SafeDumper, default_style='"', allow_unicode=True,
                     width=_NO_WRAP).removesuffix("\n")


def _reads_back(value: str, expected: object) -> bool:
    try:
        return bool(yaml.load(f"k: {value}\n", Loader=LineLoader) == {"k": expected})
    except yaml.YAMLError:
        return False


def update_item(update: Update, dash: str, keys: str) -> list[str]:
    """The lines of one update: ``dash`` (``  - ``) before ``at:``, ``keys`` before the others."""
    return [f"{dash}at: {iso(update.at)}", f"{keys}status: {yaml_scalar(update.status)}",
            f"{keys}message: {yaml_scalar(update.message)}"]


class CannotEdit(SitrepError):
    """The file is laid out in a way the line editor does not handle."""


def add_update(text: str, shown: str, update: Update, eta: datetime | None) -> str:
    """``text`` with ``update`` after the last update (and ``eta:`` set), every other line kept."""
    lines = text.split("\n")
    newline = "\r" if lines[0].endswith("\r") else ""
    data, closing = _front_matter(lines, shown)
    edits = [_update_insertion(lines, data, closing, update, shown)]
    if eta is not None:
        edits.append(_eta_edit(lines, data, eta, shown))
    # From the bottom up, so that an insertion does not move the line of the next edit.
    for index, replace, new in sorted(edits, key=lambda e: e[0], reverse=True):
        lines[index : index + replace] = [line + newline for line in new]
    return "\n".join(lines)


Edit = tuple[int, int, list[str]]  # index of the first line, how many lines it replaces, new lines


def _front_matter(lines: list[str], shown: str) -> tuple[LinedDict, int]:
    """The fields with their lines, and the line of the closing ``---``."""
    closing = next((n for n, line in enumerate(lines) if n and line.rstrip() in ("---", "...")), None)
    if closing is None or lines[0].lstrip("\ufeff").rstrip() != "---":
        raise CannotEdit(f"{shown}: cannot find the front matter between '---' lines")
    data = load_yaml("\n".join(lines[1:closing]), shown, first_line=2)
    if not isinstance(data, LinedDict):
        raise CannotEdit(f"{shown}: the front matter is not a set of fields")
    return data, closing + 1


def _update_insertion(lines: list[str], data: LinedDict, closing: int, update: Update,
                      shown: str) -> Edit:
    updates, key_line = data["updates"], data.lines["updates"]
    last = updates.lines[-1] if isinstance(updates, LinedList) and updates.lines else key_line
    dash = _DASH.match(lines[last - 1]) if last != key_line else None
    if dash is None:
        raise CannotEdit(f"{shown}:{key_line}: updates is not a list of '- at: …' items, one per "
                          "block (write it that way to use sitrep update)")
    end = min((line for line in data.lines.values() if line > key_line), default=closing)
    indent = len(dash["indent"])
    # Blank lines and comments that follow the last item belong to what comes next.
    while end - 1 > last and _belongs_after(lines[end - 2], indent):
        end -= 1
    prefix = f"{dash['indent']}-{dash['gap']}"
    return end - 1, 0, update_item(update, prefix, " " * len(prefix))


def _belongs_after(line: str, indent: int) -> bool:
    stripped = line.strip()
    return not stripped or (stripped.startswith("#") and len(line) - len(line.lstrip()) <= indent)


def _eta_edit(lines: list[str], data: LinedDict, eta: datetime, shown: str) -> Edit:
    if "eta" in data.lines:
        index = data.lines["eta"] - 1
        match = re.match(r"^(\s*eta\s*:\s*)(.*?)(\s+#.*)?$", lines[index].rstrip("\r"))
        if match is None:
            raise CannotEdit(f"{shown}:{index + 1}: cannot read the eta: line (set eta: by hand)")
        return index, 1, [f"{match[1]}{iso(eta)}{match[3] or ''}"]
    after = data.lines.get("started", 1)
    indent = re.match(r"^\s*", lines[after - 1])
    return after, 0, [f"{indent[0] if indent else ''}eta: {iso(eta)}"]


def write_atomically(path: Path, text: str, mode: int) -> None:
    """Write ``text`` to ``path`` all at once: a reader sees the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(text.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
