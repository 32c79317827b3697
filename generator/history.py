"""Each incident file as every commit on the branch left it: when it was first committed, and when
each update and ETA reached the branch.

One ``git log`` pass over the incidents folder (first-parent, so a merged pull request counts
when it landed), blobs read through GitPython's persistent ``cat-file``. Git records when a
commit was made (committer time), not when it was pushed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import git

from .load import parse_incident
from .model import Incident

_FORMAT = "%x1e%H%x1f%ct"


@dataclass(frozen=True)
class Version:
    """One incident file as one commit left it."""

    sha: str
    committed: datetime  # committer time
    path: str  # relative to the top of the repository
    incident: Incident | None  # None when the file was not valid at that commit

    @property
    def short(self) -> str:
        """The abbreviated SHA people recognise."""
        return self.sha[:7]


@dataclass(frozen=True)
class History:
    """The versions of each incident file (oldest first, by incident id) and the repository's top."""

    root: Path
    versions: dict[str, list[Version]]

    def of(self, incident_id: str) -> list[Version]:
        """The versions of one incident, oldest first (none when it was never committed)."""
        return self.versions.get(incident_id, [])


def read_history(root: Path, folder: Path, only: Path | None = None) -> History | None:
    """Versions of the incident files under ``folder`` (or of the file ``only``); None without history."""
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    with repo:
        top = Path(repo.working_tree_dir or root)
        try:
            # A shallow clone's oldest commit would look like the one that added every file.
            if repo.git.rev_parse("--is-shallow-repository") == "true":
                return None
            target = os.path.relpath(os.path.realpath(only or folder), os.path.realpath(top))
            out = repo.git.log("--first-parent", "--diff-merges=first-parent", "--root", "--raw",
                               "--no-renames", "--no-abbrev", "-z", "--reverse", f"--format={_FORMAT}",
                               "--", target)
        except git.GitCommandError:
            return None  # no commit yet
        return History(top, _versions(repo, out))


def _versions(repo: git.Repo, out: str) -> dict[str, list[Version]]:
    found: dict[str, list[Version]] = {}
    parsed: dict[tuple[str, str], Incident | None] = {}
    for sha, committed, entries in _parse(out):
        for blob, status, path in entries:
            if status.startswith("D") or not path.endswith(".md"):
                continue
            if (path, blob) not in parsed:
                parsed[(path, blob)] = _read(repo, path, blob)
            found.setdefault(PurePosixPath(path).stem, []).append(
                Version(sha, committed, path, parsed[(path, blob)]))
    return found


def _parse(out: str) -> list[tuple[str, datetime, list[tuple[str, str, str]]]]:
    """(sha, commit time, [(new blob, status, path)]) for each commit of a ``-z --raw`` log."""
    commits = []
    for chunk in out.split("\x1e")[1:]:
        header, _, raw = chunk.partition("\0")
        sha, stamp = header.strip().split("\x1f")
        entries: list[tuple[str, str, str]] = []
        tokens = raw.lstrip("\n").split("\0")
        for meta, path in zip(tokens[::2], tokens[1::2], strict=False):
            # meta: ":old-mode new-mode old-blob new-blob status"
            _, _, _, blob, status = meta.lstrip("\n:").split()
            entries.append((blob, status, path))
        commits.append((sha, datetime.fromtimestamp(int(stamp), UTC), entries))
    return commits


def _read(repo: git.Repo, path: str, blob: str) -> Incident | None:
    data = repo.odb.stream(bytes.fromhex(blob)).read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return parse_incident(Path(path), text, path)[0]
