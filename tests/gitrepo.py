"""Real git repositories for notifier tests: a status repository, its bare remote, dated commits."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

MKDOCS_YML = """\
site_name: Service status
site_url: https://status.example.com/
extra:
  status:
    organisation: Northbridge IT Services
    timezone: Europe/London
    update_every: 30
    drill_prefix: "EXERCISE: "
    sms_rate: 50
"""

CLIENTS_YML = """\
dlca:
  name: Drummond Laurie Chartered Accountants
  components:
    remote-access: Remote Access server
hbs:
  name: Harbour Bay Surgery
  components:
    telephony: Telephone system
mwl:
  name: Mercer Wright Logistics
"""

_IDENTITY = {"GIT_AUTHOR_NAME": "Priya Shah", "GIT_AUTHOR_EMAIL": "priya@example.com",
             "GIT_COMMITTER_NAME": "Priya Shah", "GIT_COMMITTER_EMAIL": "priya@example.com"}


def now() -> datetime:
    """The wall clock, to the second, in UTC."""
    return datetime.now(UTC).replace(microsecond=0)


def git(cwd: Path, *args: str, when: datetime | None = None, stdin: str | None = None) -> str:
    """Run git in ``cwd``; commits get ``when`` as author and committer date."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | _IDENTITY
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
    result = subprocess.run(["git", *args], cwd=cwd, env=env, input=stdin, text=True,
                            capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip()


def init_repo(base: Path, when: datetime | None = None) -> Path:
    """A status repository at ``base/work`` with a bare remote ``base/remote.git`` as origin."""
    remote, work = base / "remote.git", base / "work"
    git(base, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    git(base, "init", "--quiet", "--initial-branch=main", str(work))
    (work / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    (work / "incidents").mkdir()
    (work / "incidents" / "clients.yml").write_text(CLIENTS_YML, encoding="utf-8")
    (work / ".gitignore").write_text("/.sitrep/\n", encoding="utf-8")
    git(work, "remote", "add", "origin", str(remote))
    commit(work, "Set up the status repository", when or now() - timedelta(hours=2), paths=["."])
    push(work)
    return work


def incident_text(title: str, updates: Sequence[tuple[datetime, str, str]], *, client: str = "dlca",
                  severity: str = "major", started: datetime | None = None, eta: datetime | None = None,
                  drill: bool = False, body: str = "Staff cannot connect from home.") -> str:
    """The text of an incident file with these updates (at, status, message)."""
    lines = ["---", f"title: {title}", f"client: {client}", f"severity: {severity}",
             f"started: {(started or updates[0][0]).isoformat()}"]
    if eta is not None:
        lines.append(f"eta: {eta.isoformat()}")
    if drill:
        lines.append("drill: true")
    lines.append("updates:")
    for at, status, message in updates:
        lines += [f"  - at: {at.isoformat()}", f"    status: {status}", f"    message: {message}"]
    return "\n".join([*lines, "---", body, ""])


def write_incident(repo: Path, incident_id: str, text: str) -> Path:
    """Write ``incidents/<id>.md``."""
    path = repo / "incidents" / f"{incident_id}.md"
    path.write_text(text, encoding="utf-8")
    return path


def commit(repo: Path, message: str, when: datetime, paths: Sequence[str] = ("incidents",)) -> str:
    """Stage ``paths`` and commit them dated ``when``; returns the SHA."""
    git(repo, "add", "--all", *paths)
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message, when=when)
    return git(repo, "rev-parse", "HEAD")


def push(repo: Path, force: bool = False) -> None:
    """Push main to origin."""
    git(repo, "push", "--quiet", *(["--force"] if force else []), "origin", "main")


def clone(remote: Path, dest: Path) -> Path:
    """A fresh full clone of ``remote``."""
    git(remote.parent, "clone", "--quiet", str(remote), str(dest))
    return dest


def ledger_files(repo: Path) -> list[str]:
    """Every file on the remote's ledger branch."""
    remote = Path(git(repo, "remote", "get-url", "origin"))
    out = git(remote, "ls-tree", "-r", "--name-only", "sitrep-ledger")
    return out.splitlines()
