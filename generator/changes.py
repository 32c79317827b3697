"""Which commits change incidents in a way readers must hear about, and what changed.

History is read with one ``git log`` per batch of commits (raw diffs with rename detection,
blob ids included) and blobs through GitPython's persistent ``cat-file``: building
``Commit.diff()`` objects over a long history is a hundred times slower.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import git

from .errors import StopRun
from .load import parse_incident
from .model import Incident

SILENCING = ("no", "false", "off", "none")
NULL_SHA = "0" * 40
_BATCH = 500  # commits per git log call: keeps the command line short
_FORMAT = "%x1e%H%x1f%P%x1f%ct%x1f%(trailers:key=Sitrep-Notify,valueonly,separator=%x2C)%x1f%s"


@dataclass(frozen=True)
class Commit:
    """One commit of the branch as the notifier sees it."""

    sha: str
    parent: str | None
    committed: datetime
    subject: str
    silenced: bool

    @property
    def short(self) -> str:
        """The abbreviated SHA people recognise."""
        return self.sha[:7]


@dataclass(frozen=True)
class IncidentChange:
    """One incident file a commit touched: its states before and after, and what changed."""

    path: str
    incident: Incident | None
    before: Incident | None
    events: tuple[str, ...] = ()
    skipped: str = ""  # why it sends nothing; empty when it is notifiable

    @property
    def incident_id(self) -> str:
        """The incident's id (the file name without .md)."""
        return PurePosixPath(self.path).stem

    @property
    def kind(self) -> str:
        """The event that decides the template: the most important one."""
        return self.events[0] if self.events else ""


@dataclass(frozen=True)
class CommitChanges:
    """A commit and the incident files it changed."""

    commit: Commit
    changes: tuple[IncidentChange, ...]

    @property
    def notifiable(self) -> list[IncidentChange]:
        """The changes that send messages."""
        return [c for c in self.changes if not c.skipped]


def open_repo(root: Path) -> git.Repo:
    """The git repository holding ``root``; a shallow clone stops the run (no history to diff)."""
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise StopRun(f"{root}: not a git repository (sitrep notify reads the history of "
                      "incidents/; clone the status repository)") from exc
    if repo.git.rev_parse("--is-shallow-repository") == "true":
        raise StopRun("this is a shallow clone, so earlier states of incidents cannot be read "
                      "(set fetch-depth: 0 on actions/checkout, or run git fetch --unshallow)")
    return repo


def resolve(repo: git.Repo, rev: str) -> str:
    """The full SHA of ``rev``, or an error naming it."""
    try:
        return str(repo.git.rev_parse("--verify", "--quiet", f"{rev}^{{commit}}"))
    except git.GitCommandError as exc:
        raise StopRun(f"no commit {rev!r} in this repository (check the revision, "
                      "and that the clone has full history: fetch-depth: 0)") from exc


def first_parent_history(repo: git.Repo, to: str) -> list[tuple[str, datetime]]:
    """Every first-parent commit of ``to`` with its commit time, newest first."""
    out = repo.git.log("--first-parent", "--format=%H %ct", to)
    return [(sha, datetime.fromtimestamp(int(ts), UTC))
            for sha, ts in (line.split() for line in out.splitlines())]


def commits_since(repo: git.Repo, since: str, to: str) -> list[str]:
    """The first-parent commits of ``to`` not reachable from ``since``, newest first."""
    return str(repo.git.rev_list("--first-parent", to, f"^{since}")).split()


def select(history: Sequence[tuple[str, datetime]], done: set[str], cutoff: datetime,
           ) -> tuple[list[str], bool]:
    """Commits after the newest notified one, not older than ``cutoff``, oldest first; and if one was."""
    # Whether a notified commit was found matters: after a force push that rewrote
    # everything none is, and the caller tightens the cutoff.
    pending: list[str] = []
    for sha, committed in history:
        if sha in done:
            return pending[::-1], True
        if committed >= cutoff:
            pending.append(sha)
    return pending[::-1], False


def _parse_log(out: str) -> Iterable[tuple[Commit, list[list[str]]]]:
    for chunk in out.split("\x1e")[1:]:
        header, _, raw = chunk.partition("\0")
        sha, parents, ts, trailer, subject = header.split("\x1f", 4)
        silenced = any(v.strip().lower() in SILENCING for v in trailer.split(",") if v.strip())
        commit = Commit(sha, parents.split()[0] if parents else None,
                        datetime.fromtimestamp(int(ts), UTC), subject.strip(), silenced)
        entries: list[list[str]] = []
        for token in raw.lstrip("\n").split("\0"):
            if token.startswith(":"):
                entries.append(token[1:].split())
            elif token and entries:
                entries[-1].append(token)
        yield commit, entries


def read_changes(repo: git.Repo, shas: Sequence[str], incidents_dir: str) -> list[CommitChanges]:
    """Each commit in ``shas`` (in that order) with the incident files it added, changed or renamed."""
    found: dict[str, CommitChanges] = {}
    for start in range(0, len(shas), _BATCH):
        # --root diffs a root commit against the empty tree; first-parent diffs for merges.
        out = repo.git.log("--no-walk=unsorted", "--diff-merges=first-parent", "--root", "-M",
                           "--raw", "--no-abbrev", "-z", f"--format={_FORMAT}",
                           *shas[start : start + _BATCH])
        for commit, entries in _parse_log(out):
            changes = [_change(repo, entry, incidents_dir) for entry in entries]
            kept = tuple(c for c in changes if c is not None)
            if commit.silenced:
                kept = tuple(_silence(c) for c in kept)
            found[commit.sha] = CommitChanges(commit, kept)
    return [found[sha] for sha in shas if sha in found]


def _silence(change: IncidentChange) -> IncidentChange:
    if change.skipped:
        return change
    return IncidentChange(change.path, change.incident, change.before, change.events,
                          "silenced by the trailer Sitrep-Notify: no")


def is_incident_path(path: str, incidents_dir: str) -> bool:
    """True for ``incidents/…/<id>.md``."""
    return path.startswith(incidents_dir.rstrip("/") + "/") and path.endswith(".md")


def _change(repo: git.Repo, entry: list[str], incidents_dir: str) -> IncidentChange | None:
    # entry: old mode, new mode, old blob, new blob, status, path (and new path for R).
    _, _, old_blob, new_blob, status, *paths = entry
    old_path, new_path = paths[0], paths[-1]
    if not is_incident_path(new_path, incidents_dir):
        return None
    if status.startswith("D"):
        return IncidentChange(new_path, None, None, (), "deleted: nothing to tell")
    after, problem = _read_incident(repo, new_path, new_blob)
    if after is None:
        return IncidentChange(new_path, None, None, (), f"not valid at this commit: {problem}")
    before = None
    if old_blob != NULL_SHA and is_incident_path(old_path, incidents_dir):
        before, _ = _read_incident(repo, old_path, old_blob)
        if before is None:  # it was broken; it now speaks as if it were new, or updated
            return IncidentChange(new_path, after, None, ("new" if len(after.updates) == 1 else "update",))
    events = events_between(before, after)
    if not events:
        return IncidentChange(new_path, after, before, (), "no change that matters to readers")
    return IncidentChange(new_path, after, before, events)


def _read_incident(repo: git.Repo, path: str, blob: str) -> tuple[Incident | None, str]:
    data = repo.odb.stream(bytes.fromhex(blob)).read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    incident, problems = parse_incident(Path(path), text, path)
    return incident, (str(problems[0]) if problems else "")


def events_between(before: Incident | None, after: Incident) -> tuple[str, ...]:
    """What a reader must hear about, most important first; empty when nothing that matters changed."""
    if before is None:
        return ("new",)
    found = []
    if after.is_resolved and not before.is_resolved:
        found.append("resolved")
    if after.severity != before.severity:
        found.append("severity")
    if after.status != before.status and "resolved" not in found:
        found.append("status")
    if after.eta != before.eta:
        found.append("eta")
    if len(after.updates) > len(before.updates):
        found.append("update")
    return tuple(found)


def notifiable_state(incident: Incident) -> str:
    """A content key for what readers were told: the same after a rebase or a force push."""
    state = [incident.id, incident.severity, incident.status,
             incident.eta.astimezone(UTC).isoformat() if incident.eta else None,
             [[u.at.astimezone(UTC).isoformat(), u.status] for u in incident.updates]]
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()[:32]


def read_incident_at(repo: git.Repo, rev: str, path: str) -> Incident | None:
    """The incident at ``path`` as of ``rev``, or None when it is absent or invalid there."""
    try:
        blob = repo.git.rev_parse("--verify", "--quiet", f"{rev}:{path}")
    except git.GitCommandError:
        return None
    return _read_incident(repo, path, blob)[0]
