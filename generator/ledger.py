"""The ledger on the git branch ``sitrep-ledger``: which message went to whom, exactly once.

One JSON file per notifiable state of an incident (its content key, not a commit SHA, so a
rebase or force push with the same content finds the same file) maps each recipient (an HMAC
of the number or address with the site secret: none in clear) to a record: ``claimed`` before
sending, then ``sent``, ``failed``, ``unknown`` or ``retry``. Layout, under a namespace per
channel (``sms`` and ``email``, or ``outbox`` and ``email-outbox`` so a developer's outbox run
never hides a real message)::

    sms/r/<aa>/<state>.json   records        sms/open/<state>   states with open records
    sms/done/<aa>/<sha>       commits done   sms/horizon        the first run's time limit

Commits are made with plumbing in a private index, so the working tree and the checked-out
branch are never touched; a push rejected because another run moved the branch is re-read,
merged record by record, and pushed again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from .errors import StopRun

BRANCH = "sitrep-ledger"
OPEN = ("claimed", "unknown", "retry")
RANK = {"retry": 0, "claimed": 1, "failed": 2, "unknown": 3, "sent": 4}
CLAIMABLE = (None, "retry")  # failed is for good: a STOP or an invalid number stays so
PUSH_ATTEMPTS = 12
EMPTY_SHA = "0" * 40
_IDENTITY = {"GIT_AUTHOR_NAME": "sitrep", "GIT_AUTHOR_EMAIL": "sitrep@localhost",
             "GIT_COMMITTER_NAME": "sitrep", "GIT_COMMITTER_EMAIL": "sitrep@localhost"}


@dataclass(frozen=True)
class Entry:
    """What the ledger knows about one message to one recipient."""

    status: str
    run: str
    at: str
    commit: str = ""
    body: str = ""  # SHA-256 of the text: the text itself holds a secret link
    provider: str = ""
    lease: str = ""  # a claim is its run's until then; after that it may be settled
    ref: str = ""
    error: str = ""
    # When the provider accepted the message (UTC, ISO 8601): ``at`` of a settled record is
    # when it was settled, so the drill report reads this instead.
    accepted: str = ""

    @property
    def is_open(self) -> bool:
        """Claimed, unknown or to retry: not settled for good."""
        return self.status in OPEN

    def lease_expired(self, now: datetime) -> bool:
        """True when the claiming run may be presumed dead."""
        return not self.lease or datetime.fromisoformat(self.lease) <= now


@dataclass(frozen=True)
class Change:
    """One record to write: ``claim`` (only if free), ``outcome`` (of our own claim) or ``settle``
    (only if the record is still ``expected``)."""

    state: str
    incident: str
    recipient: str
    entry: Entry
    rule: str
    expected: Entry | None = None


def recipient_id(secret: str, identity: str) -> str:
    """A recipient's id in the ledger: HMAC of the number or address, useless without the site secret."""
    return hmac.new(secret.encode(), f"sitrep/recipient/{identity}".encode(), hashlib.sha256).hexdigest()[:24]


def now_utc() -> datetime:
    """The wall clock (never SITREP_NOW: leases and provider look-ups are real time)."""
    return datetime.now(UTC).replace(microsecond=0)


class Ledger:
    """The ledger branch of one repository, as fetched from its remote."""

    def __init__(self, root: Path, namespace: str = "sms", remote: str = "origin") -> None:
        self.root, self.ns, self.remote = root, namespace, remote
        self.run = uuid.uuid4().hex[:12]
        self.tip: str | None = None
        self.tracking = f"refs/remotes/{remote}/{BRANCH}"

    def _git(self, *args: str, stdin: str | None = None, env: Mapping[str, str] | None = None,
             check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["git", "-C", str(self.root), *args], input=stdin, text=True,
                                capture_output=True, env=dict(env) if env else None, check=False)
        if check and result.returncode != 0:
            raise StopRun(f"git {args[0]} failed for the ledger: {_first_line(result.stderr)}")
        return result

    def fetch(self) -> None:
        """Read the branch from the remote; StopRun when the remote cannot be reached."""
        listed = self._git("ls-remote", "--exit-code", self.remote, f"refs/heads/{BRANCH}", check=False)
        if listed.returncode == 2:
            self.tip = None
            return
        if listed.returncode != 0:
            raise StopRun(f"the ledger at {self.remote!r} is unreachable: {_first_line(listed.stderr)} "
                          "(check the remote and that CI may push: permissions: contents: write)")
        remote_tip = listed.stdout.split()[0]
        if self._rev(self.tracking) != remote_tip:
            self._git("fetch", "--quiet", "--no-tags", self.remote,
                      f"+refs/heads/{BRANCH}:{self.tracking}")
        self.tip = remote_tip

    def use_local(self) -> None:
        """Read the last fetched copy (for a dry run without the network)."""
        self.tip = self._rev(self.tracking)

    def _rev(self, ref: str) -> str | None:
        found = self._git("rev-parse", "--verify", "--quiet", ref, check=False)
        return found.stdout.strip() or None

    def _names(self, folder: str) -> list[str]:
        if self.tip is None:
            return []
        out = self._git("ls-tree", "-r", "--name-only", self.tip, f"{self.ns}/{folder}/").stdout
        return [line.rsplit("/", 1)[-1] for line in out.splitlines()]

    def done(self) -> set[str]:
        """Commits whose messages have all been handled."""
        return set(self._names("done"))

    def horizon(self) -> datetime | None:
        """Commits older than this were history when sitrep was adopted: never notified."""
        blob = self._read([f"{self.ns}/horizon"]).get(f"{self.ns}/horizon")
        return datetime.fromisoformat(json.loads(blob)["since"]) if blob else None

    def _read(self, paths: Iterable[str], tip: str | None = None) -> dict[str, str]:
        tip = tip or self.tip
        paths = list(paths)
        if tip is None or not paths:
            return {}
        out = subprocess.run(["git", "-C", str(self.root), "cat-file", "--batch"], check=True,
                             input="".join(f"{tip}:{p}\n" for p in paths).encode(),
                             capture_output=True).stdout
        return dict(_parse_batch(out, paths))

    def _path(self, state: str) -> str:
        return f"{self.ns}/r/{state[:2]}/{state}.json"

    def records(self, states: Iterable[str], tip: str | None = None) -> dict[str, dict[str, Entry]]:
        """The records of each state: recipient id → entry."""
        states = list(dict.fromkeys(states))
        blobs = self._read([self._path(s) for s in states], tip)
        return {s: _entries(blobs.get(self._path(s))) for s in states}

    def open_records(self) -> list[tuple[str, str, str, Entry]]:
        """(state, incident, recipient, entry) for every record not settled for good."""
        states = self._names("open")
        blobs = self._read([self._path(s) for s in states])
        found = []
        for state in states:
            data = json.loads(blobs.get(self._path(state)) or "{}")
            for rcpt, entry in _entries(blobs.get(self._path(state))).items():
                if entry.is_open:
                    found.append((state, str(data.get("incident", "")), rcpt, entry))
        return found

    def write(self, changes: list[Change], done: Iterable[str] = (), horizon: datetime | None = None,
              note: str = "sitrep notify") -> set[tuple[str, str]]:
        """Commit and push ``changes``; returns the (state, recipient) whose claim another run holds."""
        # A lost claim is returned, never pushed over: whoever pushed first sends.
        done = list(done)
        if not changes and not done and horizon is None:
            return set()
        for attempt in range(PUSH_ATTEMPTS):
            files, lost = self._merge(changes)
            commit = self._commit(files, done, horizon, note)
            if commit is None or self._push(commit):
                return lost
            # Another run moved the branch: read it and merge our records into it again.
            time.sleep(random.uniform(0.02, 0.1) * (attempt + 1))
            self.fetch()
        raise StopRun(f"the ledger branch kept moving: {PUSH_ATTEMPTS} pushes were rejected "
                      "(another sitrep notify is running; try again)")

    def _merge(self, changes: list[Change]) -> tuple[dict[str, str | None], set[tuple[str, str]]]:
        current = self.records([c.state for c in changes])
        incidents = {c.state: c.incident for c in changes}
        lost: set[tuple[str, str]] = set()
        for change in changes:
            records = current[change.state]
            if _applies(change, records.get(change.recipient), self.run):
                records[change.recipient] = change.entry
            elif change.rule == "claim":
                lost.add((change.state, change.recipient))
        files: dict[str, str | None] = {}
        for state, records in current.items():
            body = {"incident": incidents[state],
                    "recipients": {k: _compact(v) for k, v in sorted(records.items())}}
            files[self._path(state)] = json.dumps(body, indent=1, sort_keys=True) + "\n"
            is_open = any(e.is_open for e in records.values())
            files[f"{self.ns}/open/{state}"] = incidents[state] + "\n" if is_open else None
        return files, lost

    def _commit(self, files: dict[str, str | None], done: list[str], horizon: datetime | None,
                note: str) -> str | None:
        files = dict(files)
        for sha in done:
            files[f"{self.ns}/done/{sha[:2]}/{sha}"] = ""
        if horizon is not None and self.horizon() is None:
            files[f"{self.ns}/horizon"] = json.dumps({"since": horizon.isoformat()}) + "\n"
        if self.tip is None:
            files["README.md"] = ("Written by `sitrep notify`: which SMS and emails went to whom (numbers "
                                  "and addresses as HMACs). Do not edit by hand.\n")
        env = {k: v for k, v in os.environ.items() if not k.endswith("_DATE")} | _IDENTITY
        with tempfile.TemporaryDirectory(prefix="sitrep-ledger-") as tmp:
            env["GIT_INDEX_FILE"] = str(Path(tmp) / "index")
            self._git("read-tree", *([self.tip] if self.tip else ["--empty"]), env=env)
            lines = [self._index_line(path, text) for path, text in files.items()]
            self._git("update-index", "--index-info", stdin="".join(lines), env=env)
            tree = self._git("write-tree", env=env).stdout.strip()
        if self.tip and tree == self._rev(f"{self.tip}^{{tree}}"):
            return None  # nothing new to say
        parents = ["-p", self.tip] if self.tip else []
        return self._git("commit-tree", tree, *parents, "-m", note, env=env).stdout.strip()

    def _index_line(self, path: str, text: str | None) -> str:
        if text is None:
            return f"0 {EMPTY_SHA}\t{path}\n"
        blob = self._git("hash-object", "-w", "--stdin", stdin=text).stdout.strip()
        return f"100644 {blob}\t{path}\n"

    def _push(self, commit: str) -> bool:
        pushed = self._git("push", "--porcelain", "--quiet", self.remote,
                           f"{commit}:refs/heads/{BRANCH}", check=False)
        if pushed.returncode != 0:
            if _lost_race(pushed.stdout + pushed.stderr):
                return False
            raise StopRun(f"cannot push the ledger to {self.remote!r}: "
                          f"{_first_line(pushed.stderr or pushed.stdout)} (CI needs permissions: "
                          "contents: write)")
        self.tip = commit
        self._git("update-ref", self.tracking, commit)
        head = self._git("symbolic-ref", "-q", "HEAD", check=False).stdout.strip()
        if head != f"refs/heads/{BRANCH}":
            self._git("update-ref", f"refs/heads/{BRANCH}", commit)
        return True


# How a push that lost the race to another run reads: not fast-forward, or the remote's ref
# lock taken by a push landing at the same moment.
_RACE_SIGNS = ("[rejected]", "failed to update ref", "cannot lock ref", "already exists",
               "incorrect old value")


def _lost_race(output: str) -> bool:
    return any(sign in output for sign in _RACE_SIGNS)


def _applies(change: Change, current: Entry | None, run: str) -> bool:
    if change.rule == "claim":
        return current is None or current.status in CLAIMABLE
    if change.rule == "settle":
        return current == change.expected
    # An outcome of our own claim; someone who settled it after our lease wins if stronger.
    if current is None or current.run == run:
        return True
    return RANK[change.entry.status] > RANK.get(current.status, 0)


def _compact(entry: Entry) -> dict[str, str]:
    return {k: v for k, v in asdict(entry).items() if v}


def _entries(blob: str | None) -> dict[str, Entry]:
    if not blob:
        return {}
    data = json.loads(blob)
    return {rcpt: Entry(**{k: str(v) for k, v in raw.items() if k in Entry.__dataclass_fields__})
            for rcpt, raw in (data.get("recipients") or {}).items()}


def _parse_batch(out: bytes, paths: list[str]) -> Iterable[tuple[str, str]]:
    pos = 0
    for path in paths:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if header[-1] == b"missing":
            continue
        size = int(header[2])
        yield path, out[pos : pos + size].decode("utf-8")
        pos += size + 1


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no details"


def lease_until(seconds: float) -> str:
    """The end of a claim's lease, as written in its entry."""
    return datetime.fromtimestamp(time.time() + seconds, UTC).replace(microsecond=0).isoformat()


def with_status(entry: Entry, status: str, **fields: str) -> Entry:
    """``entry`` with a new status and time."""
    return replace(entry, status=status, at=now_utc().isoformat(), lease="", **fields)
