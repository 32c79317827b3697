"""The git pre-commit check: validate what is staged, not what is in the working tree."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from .config import Settings
from .errors import Problem, SitrepError
from .load import parse_clients, parse_incident
from .model import Incident
from .validate import check_incident

HOOK_MARKER = "# sitrep pre-commit hook"


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=root, input=stdin, capture_output=True,
                              check=True)
    except FileNotFoundError as exc:
        raise SitrepError("git is not installed (install git)") from exc
    except subprocess.CalledProcessError as exc:
        raise SitrepError(f"git {args[0]} failed: {exc.stderr.decode(errors='replace').strip()} "
                          "(run this inside the status repository)") from exc
    return done.stdout


def _staged_index(root: Path, folder: str) -> dict[str, str]:
    """Every file under ``folder`` as the index holds it: name -> blob id (one ``git ls-files``)."""
    listing = _git(root, "ls-files", "-s", "-z", "--", folder).split(b"\0")
    index: dict[str, str] = {}
    for entry in filter(None, listing):
        meta, raw_name = entry.split(b"\t", 1)
        index[raw_name.decode("utf-8", "surrogateescape")] = meta.split()[1].decode()
    return index


def _staged_blobs(root: Path, index: dict[str, str], names: list[str]) -> dict[str, bytes]:
    """The staged content of ``names``: one ``git cat-file --batch`` call.

    Only what is checked is read: a repository of 10,000 incidents holds 30 MB of them.
    """
    names = [name for name in names if name in index]
    if not names:
        return {}
    batch = _git(root, "cat-file", "--batch", stdin="\n".join(index[n] for n in names).encode() + b"\n")
    blobs: dict[str, bytes] = {}
    offset = 0
    for name in names:
        header_end = batch.index(b"\n", offset)
        size = int(batch[offset:header_end].split()[2])
        blobs[name] = batch[header_end + 1 : header_end + 1 + size]
        offset = header_end + 1 + size + 1
    return blobs


def _changed(root: Path, folder: str) -> list[str]:
    out = _git(root, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR", "--", folder)
    return [n.decode("utf-8", "surrogateescape") for n in out.split(b"\0") if n]


def _decode(name: str, data: bytes) -> tuple[str | None, list[Problem]]:
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [Problem(name, line, "not UTF-8 text", "save the file as UTF-8 in your editor")]


def check_staged(settings: Settings, now: datetime | None = None) -> list[Problem]:
    """Problems in the staged incident files, with the cross-file checks of the whole index."""
    root = Path(_git(settings.root, "rev-parse", "--show-toplevel").decode().strip())
    folder = str(PurePosixPath(settings.incidents_path.resolve().relative_to(root).as_posix()))
    changed = _changed(root, folder)
    if not changed:
        return []
    now = now or datetime.now(UTC)
    index = _staged_index(root, folder)
    clients_name = f"{folder}/clients.yml"
    # A changed clients.yml can break any incident; otherwise only the staged ones need reading.
    to_check = [n for n in index if n.endswith(".md")] if clients_name in changed else [
        n for n in changed if n.endswith(".md")]
    blobs = _staged_blobs(root, index, [clients_name, *to_check])
    problems: list[Problem] = []
    clients_text, found = _decode(clients_name, blobs.get(clients_name, b""))
    problems += found
    clients, found = parse_clients(clients_text or "", clients_name)
    problems += found
    problems += _check_ids(index, to_check)
    for name in to_check:
        text, found = _decode(name, blobs[name])
        problems += found
        if text is None:
            continue
        incident, found = parse_incident(Path(name), text, name)
        problems += found
        if isinstance(incident, Incident):
            problems += check_incident(incident, clients, now)
    return sorted(set(problems))


def _check_ids(index: dict[str, str], to_check: list[str]) -> list[Problem]:
    by_id: dict[str, list[str]] = {}
    for name in index:
        if name.endswith(".md"):
            by_id.setdefault(_stem(name), []).append(name)
    problems = []
    for name in to_check:
        others = [n for n in by_id[_stem(name)] if n != name]
        if others:
            problems.append(Problem(name, 1, f"duplicate incident id {_stem(name)!r}",
                                    f"{others[0]} has the same file name; rename one"))
    return problems


def _stem(name: str) -> str:
    """``PurePosixPath(name).stem`` of a path git lists, without building 10,000 path objects."""
    base = name.rsplit("/", 1)[-1]
    dot = base.rfind(".")
    return base[:dot] if 0 < dot < len(base) - 1 else base


def hook_text(python: str) -> str:
    """``hooks/pre-commit``, bound to the Python that has sitrep installed."""
    template = Path(__file__).resolve().parent.parent / "hooks" / "pre-commit"
    fallback = (f"#!/bin/sh\n{HOOK_MARKER}\n"
                'exec "${SITREP_PYTHON:-python3}" -m generator.cli validate --staged\n')
    text = template.read_text(encoding="utf-8") if template.exists() else fallback
    return text.replace('"${SITREP_PYTHON:-python3}"', shlex.quote(python))


def install_hook(settings: Settings, force: bool = False) -> Path:
    """Write ``.git/hooks/pre-commit`` (where git looks for it) and make it executable."""
    hooks_dir = Path(_git(settings.root, "rev-parse", "--git-path", "hooks").decode().strip())
    if not hooks_dir.is_absolute():
        hooks_dir = settings.root / hooks_dir
    hooks_dir.mkdir(parents=True, exist_ok=True)
    target = hooks_dir / "pre-commit"
    if target.exists() and HOOK_MARKER not in target.read_text(errors="replace") and not force:
        raise SitrepError(f"{target} exists and is not sitrep's (add `sitrep validate --staged` "
                          "to it yourself, or rerun with --force to replace it)")
    target.write_text(hook_text(sys.executable), encoding="utf-8")
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return Path(os.path.relpath(target, Path.cwd()))
