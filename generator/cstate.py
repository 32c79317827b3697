"""cState's format, read as it is written: a Hugo site's systems, issue files and update lines.

An issue is ``content/issues/<slug>.md`` with front matter in YAML (``---``) or TOML (``+++``);
its body lists updates newest first as ``*Status* - message {{< track "time" >}}``. This
module only reads; ``cstate_import`` decides what each piece becomes in sitrep.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .errors import InputError, Problem
from .load import read_text
from .yamlsource import load_yaml

CONFIG_NAMES = ("config.yml", "config.yaml", "config.toml", "hugo.yml", "hugo.yaml", "hugo.toml")
ISSUES_DIR = Path("content", "issues")

# Emphasised status words (*x*, **x**, _x_, __x__), optionally as a list item.
_LABEL = re.compile(r"^(?:[-+*]\s+)?(?P<m>\*\*|\*|__|_)(?P<label>[^*_\n]{1,40}?)(?P=m)(?P<rest>.*)\Z", re.S)
_TRACK = re.compile(r"\{\{[<%]\s*track\s+(?:\"(?P<q>[^\"]*)\"|`(?P<b>[^`]*)`|(?P<p>[^\s>%]+))\s*[>%]\}\}")
SHORTCODE = re.compile(r"\{\{[<%].*?[>%]\}\}")
_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*[:=]")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class System:
    """A system of the site: ``name`` as ``affected`` writes it, ``label`` as the page shows it."""

    name: str
    label: str


@dataclass
class Post:
    """One issue file: its fields, the line of each field, and its body."""

    shown: str
    stem: str
    meta: dict[str, Any]
    lines: dict[str, int]
    body: str
    body_line: int

    def line_of(self, key: str) -> int:
        """The line of a front-matter field (1 when absent)."""
        return self.lines.get(key, 1)


@dataclass
class Block:
    """A paragraph of the body (a fenced code block is one block) and its first line (0-based)."""

    line: int
    lines: list[str]
    fenced: bool = False

    @property
    def text(self) -> str:
        """The paragraph as one string."""
        return "\n".join(self.lines).strip()


def parse_moment(value: Any) -> tuple[datetime, bool]:
    """An aware time (naive read as UTC, cState's rule) and whether only a date was written."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC), True
    elif isinstance(value, str) and _DATE_ONLY.match(value.strip()):
        return datetime.fromisoformat(value.strip()).replace(tzinfo=UTC), True
    elif isinstance(value, str):
        text = re.sub(r"\s*(?:UTC|GMT)$", "Z", value.strip())
        moment = datetime.fromisoformat(re.sub(r"\s+([+-]\d\d:?\d\d|Z)$", r"\1", text))
    else:
        raise ValueError(f"{value!r} is not a date")
    moment = moment.replace(microsecond=0)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), False


def _parse(text: str, shown: str, toml: bool, first_line: int = 1) -> Any:
    if not toml:
        return load_yaml(text, shown, first_line)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = first_line + int(found.group(1)) - 1 if found else first_line
        raise InputError([Problem(shown, line, f"invalid TOML: {str(exc).split(' (at ')[0]}",
                                  'check the TOML syntax, e.g. title = "API outage"')]) from exc


def read_systems(root: Path) -> tuple[list[System], list[str]]:
    """The systems of the site's config file, and notes on entries that name no system."""
    path = next((root / name for name in CONFIG_NAMES if (root / name).is_file()), None)
    if path is None:
        raise InputError([Problem(str(root), 0, "no config.yml: not a cState site",
                                  "give the folder that holds config.yml and content/issues/")])
    data = _parse(read_text(path, path.name), path.name, path.suffix == ".toml")
    params = data.get("params") if isinstance(data, dict) else None
    notes: list[str] = []
    systems = _systems(params.get("systems") if isinstance(params, dict) else None, notes, path.name)
    return systems, notes


def _systems(items: Any, notes: list[str], shown: str) -> list[System]:
    found: list[System] = []
    for item in items if isinstance(items, list) else [] if items is None else [items]:
        if isinstance(item, str):  # cState 3 and older: a list of names
            found.append(System(item, item))
        elif isinstance(item, dict) and "systems" in item:  # systems grouped under a category
            found += _systems(item["systems"], notes, shown)
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            label = item.get("displayName")
            found.append(System(item["name"], label if isinstance(label, str) else item["name"]))
        else:
            notes.append(f"{shown}: a system without a name was ignored: {item!r}")
    return found


def issue_files(root: Path) -> list[Path]:
    """The issue files of the site, sorted; Hugo's section page ``_index.md`` is not an issue."""
    folder = root / ISSUES_DIR
    if not folder.is_dir():
        raise InputError([Problem(str(root), 0, f"no {ISSUES_DIR.as_posix()}/ folder: not a cState site",
                                  "give the folder that holds config.yml and content/issues/")])
    return sorted(p for p in folder.glob("*.md") if p.is_file() and p.name != "_index.md")


def read_post(path: Path, shown: str) -> Post:
    """Front matter (YAML or TOML) and body of one issue."""
    lines = read_text(path, shown).removeprefix("\ufeff").split("\n")
    fence = lines[0].rstrip()
    if fence not in ("---", "+++"):
        raise InputError([Problem(shown, 1, "no front matter",
                                  "a cState issue starts with '---' (YAML) or '+++' (TOML)")])
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == fence), None)
    if end is None:
        raise InputError([Problem(shown, 1, "front matter is not closed", f"end it with '{fence}'")])
    meta = _parse("\n".join(lines[1:end]), shown, fence == "+++", first_line=2)
    if not isinstance(meta, dict):
        raise InputError([Problem(shown, 2, "front matter is not a set of fields",
                                  "write title, date, severity … as fields")])
    key_lines = {m.group(1): i + 2 for i, line in enumerate(lines[1:end]) if (m := _KEY.match(line))}
    return Post(shown, path.stem, dict(meta), key_lines, "\n".join(lines[end + 1 :]), end + 2)


def label_of(text: str) -> str | None:
    """The emphasised word a paragraph starts with (``*Just began* -`` → ``just began``)."""
    found = _LABEL.match(text.strip())
    if not found:
        return None
    return re.sub(r"[\s_-]+", " ", found.group("label").strip().rstrip(":").strip()).lower()


def message_of(text: str) -> str:
    """The words after the status label and its dash, on one line, without track shortcodes."""
    found = _LABEL.match(text.strip())
    rest = _TRACK.sub(" ", found.group("rest") if found else text)
    return " ".join(re.sub(r"^\s*[-\u2013\u2014:]\s*", "", rest).split())


def track_times(text: str) -> list[str]:
    """The time of each ``{{< track "…" >}}`` in a paragraph, as written."""
    return [m.group("q") or m.group("b") or m.group("p") or "" for m in _TRACK.finditer(text)]


def readable_tracks(text: str) -> str:
    """Track shortcodes kept in the body, written as readable UTC times (MkDocs has no shortcodes)."""
    def readable(found: re.Match[str]) -> str:
        try:
            at, _ = parse_moment(track_times(found.group(0))[0])
        except ValueError:
            return found.group(0)
        return f"({at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"

    return _TRACK.sub(readable, text)


def split_blocks(body: str, labels: set[str]) -> list[Block]:
    """Paragraphs; fenced code stays whole, and a line starting with one of ``labels`` starts a block."""
    blocks: list[Block] = []
    current: Block | None = None
    fence = ""
    for index, line in enumerate(body.split("\n")):
        stripped = line.strip()
        if fence and current is not None:
            current.lines.append(line)
            if stripped.startswith(fence):
                fence, current = "", None
        elif stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            current = Block(index, [line], fenced=True)
            blocks.append(current)
        elif not stripped:
            current = None
        else:
            # Updates are often written one per line, with no blank line between them.
            if current is None or label_of(line) in labels:
                current = Block(index, [])
                blocks.append(current)
            current.lines.append(line)
    return blocks
