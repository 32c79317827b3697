"""A stage for notifier scenarios: a status repository with a bare remote, recipients, a Twilio
server on 127.0.0.1, and ``sitrep notify`` run in this process or in a child process."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from conftest import ROOT, TEST_SECRETS
from gitrepo import commit, incident_text, init_repo, now, push, write_incident
from twilio_server import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

from generator.cli import main
from generator.keys import secure_link

STAFF = "+447911123456"  # Priya, staff: every message
FIONA = "+14155550100"  # a DLCA stakeholder
ALAN = "+447911123457"  # another DLCA stakeholder
HANNAH = "+447911123458"  # HBS only: never texted about DLCA
BAD = "+447700900123"  # Ofcom's drama range: not a valid number
DLCA = (STAFF, FIONA, ALAN)

RECIPIENTS = f"""\
staff:
  - {{name: Priya Shah, phone: "{STAFF}"}}
clients:
  dlca:
    - {{name: Fiona Drummond, phone: "{FIONA}"}}
    - {{name: Alan Reid, phone: "{ALAN}"}}
    - {{name: Priya Shah, phone: "{STAFF}"}}
  hbs:
    - {{name: Hannah Bay, phone: "{HANNAH}"}}
"""
INCIDENT = "2026-12-03-dlca-remote-access"
TITLE = "VPN down"


def link(incident_id: str = INCIDENT) -> str:
    """The secure link the SMS carries, with the test site secret."""
    return secure_link("https://status.example.com/", TEST_SECRETS["SITREP_SITE_SECRET"], incident_id)


@contextlib.contextmanager
def environ(env: dict[str, str]) -> Iterator[None]:
    """This process's environment replaced by ``env`` for the duration."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@dataclass
class Result:
    """What one notify run printed and returned."""

    code: int
    out: str
    err: str


@dataclass
class Stage:
    """One scenario's world."""

    base: Path
    twilio: FakeTwilio
    repo: Path = field(init=False)
    recipients: Path = field(init=False)
    updates: dict[str, list[tuple[datetime, str, str]]] = field(default_factory=dict)
    clock: datetime = field(default_factory=lambda: now() - timedelta(minutes=90))

    def __post_init__(self) -> None:
        self.repo = init_repo(self.base)
        self.recipients = self.base / "recipients.yml"
        self.recipients.write_text(RECIPIENTS, encoding="utf-8")

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a CI run against the Twilio server."""
        keep = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
        return {**keep, **TEST_SECRETS, "CI": "true", "SITREP_RECIPIENTS": str(self.recipients),
                "SITREP_SMS_PROVIDER": "twilio", "TWILIO_API_URL": self.twilio.url,
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_FROM": "+14155550199", "PYTHONPATH": str(ROOT), **extra}

    def tick(self, minutes: int = 10) -> datetime:
        """Move the scenario's clock on; commits and updates are dated by it."""
        self.clock += timedelta(minutes=minutes)
        return self.clock

    def change(self, status: str, message: str, incident_id: str = INCIDENT, title: str = TITLE,
               commit_message: str = "", **fields: object) -> str:
        """Add an update to an incident (declaring it if new) and commit; returns the SHA."""
        at = self.tick()
        updates = self.updates.setdefault(incident_id, [])
        updates.append((at, status, message))
        write_incident(self.repo, incident_id, incident_text(title, updates, **fields))  # type: ignore[arg-type]
        return commit(self.repo, commit_message or f"{incident_id}: {status}", at)

    def edit(self, text: str, commit_message: str, incident_id: str = INCIDENT) -> str:
        """Replace an incident file's text and commit."""
        write_incident(self.repo, incident_id, text)
        return commit(self.repo, commit_message, self.tick(1))

    def push(self, force: bool = False) -> None:
        """Push main to the remote."""
        push(self.repo, force)

    def notify(self, *args: str, **extra: str) -> Result:
        """``sitrep notify`` in this process (fast), with this stage's environment."""
        out, err = io.StringIO(), io.StringIO()
        with environ(self.env(**extra)), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["-f", str(self.repo / "mkdocs.yml"), "notify", *args])
        return Result(code, out.getvalue(), err.getvalue())

    def spawn(self, *args: str, **extra: str) -> subprocess.Popen[str]:
        """``sitrep notify`` as a child process, for killing it or racing two of them."""
        cmd = [sys.executable, "-m", "generator.cli", "-f", str(self.repo / "mkdocs.yml"), "notify", *args]
        return subprocess.Popen(cmd, cwd=self.repo, env=self.env(**extra), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def received(self) -> dict[str, list[str]]:
        """Every body each number received, in order."""
        return self.twilio.by_number()
