"""Site-wide settings: ``extra.status`` in mkdocs.yml, with defaults for everything."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .errors import ConfigError, InputError, Problem
from .yamlsource import LinedDict, load_yaml

DEFAULT_ZONE = "Europe/London"


@dataclass(frozen=True)
class Settings:
    """What ``extra.status`` may set; every field has a default so a bare mkdocs.yml works."""

    root: Path
    site_url: str = "http://127.0.0.1:8000/"
    organisation: str = "Status"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_ZONE))
    incidents_dir: str = "incidents"
    update_every: timedelta = timedelta(minutes=30)
    review_within: timedelta = timedelta(days=5)
    history_days: int = 90
    drill_prefix: str = "EXERCISE: "
    sms_rate: float = 10.0
    templates: dict[str, str] = field(default_factory=dict)
    email_subject: str = ""  # empty: email_message.DEFAULT_SUBJECT, which names no client or title

    @property
    def incidents_path(self) -> Path:
        """The folder of incident files."""
        return self.root / self.incidents_dir

    @property
    def clients_path(self) -> Path:
        """``incidents/clients.yml``."""
        return self.incidents_path / "clients.yml"

    @property
    def state_dir(self) -> Path:
        """``.sitrep/``: local secrets and outbox, never committed."""
        return self.root / ".sitrep"


def find_config(start: Path | None = None) -> Path:
    """The nearest mkdocs.yml at or above ``start`` (the working directory by default)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "mkdocs.yml"
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"{here}: no mkdocs.yml here or above (run sitrep inside the status repository)"
    )


class _TolerantLoader(yaml.SafeLoader):
    """mkdocs.yml may hold ``!!python/name:`` and ``!ENV`` tags; they are not ours to read."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    return None


_TolerantLoader.add_multi_constructor("", _ignore_tag)


def read_mkdocs_yml(path: Path) -> dict[str, Any]:
    """The parsed mkdocs.yml, tags ignored."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TolerantLoader)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML ({exc})") from exc
    return data if isinstance(data, dict) else {}


def _positive(value: Any, path: str, line: int, name: str, unit: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InputError([Problem(path, line, f"{name} must be a positive number of {unit}",
                                  f"e.g. {name}: 30")])
    return timedelta(**{unit: value})


def settings_from(mkdocs: dict[str, Any], root: Path, path: str = "mkdocs.yml") -> Settings:
    """Settings from a parsed mkdocs.yml; unknown or wrong values are reported, not ignored."""
    extra = mkdocs.get("extra") or {}
    # MkDocs hands ``extra`` over as a Config (a Mapping), not a dict.
    status = extra.get("status") or {} if isinstance(extra, Mapping) else {}
    if not isinstance(status, dict):
        raise InputError([Problem(path, 0, "extra.status must be a mapping", "see the README")])
    line = status.line_of if isinstance(status, LinedDict) else (lambda _k: 0)
    kwargs: dict[str, Any] = {"root": root}
    site_url = mkdocs.get("site_url")
    if site_url:
        kwargs["site_url"] = str(site_url).rstrip("/") + "/"
    if "timezone" in status:
        try:
            kwargs["timezone"] = ZoneInfo(str(status["timezone"]))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InputError([Problem(path, line("timezone"),
                                      f"unknown time zone {status['timezone']!r}",
                                      "use an IANA name such as Europe/London")]) from exc
    for key in ("organisation", "incidents_dir", "drill_prefix", "email_subject"):
        if key in status:
            kwargs[key] = "" if status[key] is None else str(status[key])
    if "update_every" in status:
        kwargs["update_every"] = _positive(status["update_every"], path, line("update_every"),
                                           "update_every", "minutes")
    if "review_within" in status:
        kwargs["review_within"] = _positive(status["review_within"], path, line("review_within"),
                                            "review_within", "days")
    for key, kind in (("history_days", int), ("sms_rate", float)):
        if key in status:
            try:
                kwargs[key] = kind(status[key])
            except (TypeError, ValueError) as exc:
                raise InputError([Problem(path, line(key), f"{key} must be a number",
                                          f"e.g. {key}: 90")]) from exc
    if isinstance(status.get("templates"), dict):
        kwargs["templates"] = {str(k): str(v) for k, v in status["templates"].items()}
    return Settings(**kwargs)


def load_settings(config_file: Path | None = None) -> Settings:
    """Settings of the repository whose mkdocs.yml is ``config_file`` (or found from cwd)."""
    path = config_file or find_config()
    text = path.read_text(encoding="utf-8")
    # Line numbers for extra.status come from our own loader; unknown tags are ignored.
    try:
        lined = load_yaml(_strip_tags(text), str(path))
    except InputError:
        lined = None
    data = lined if isinstance(lined, dict) else read_mkdocs_yml(path)
    return settings_from(data, path.parent.resolve(), str(path.name))


def _strip_tags(text: str) -> str:
    # ``!!python/name:material.extensions.emoji.twemoji`` and ``!ENV`` are MkDocs' business.
    import re

    return re.sub(r"!!?[A-Za-z][\w/.:-]*", "", text)
