"""A self-hosted git server's post-receive: build, publish and notify after a push to main.

``hooks/post-receive`` in the bare repository hands its ``<old> <new> <ref>`` lines to
``sitrep post-receive``. Under an exclusive lock, so two pushes never interleave, it keeps a
work clone beside the bare repository up to date, builds the site into the publish folder
(swapped in whole, so readers never see half a site) and runs ``sitrep notify``, which pushes
the ledger branch back into the same bare repository.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from .errors import SitrepError

ZERO = "0" * 40
# Variables git sets for hooks; they would point git commands in the work clone at the bare repo.
_GIT_HOOK_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_QUARANTINE_PATH",
                  "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_PUSH_OPTION_COUNT")


def pushed_to(lines: Iterator[str] | list[str], branch: str) -> bool:
    """True when the pushed ``<old> <new> <ref>`` lines update ``branch`` (not delete it)."""
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and parts[2] == f"refs/heads/{branch}" and parts[1] != ZERO:
            return True
    return False


def clean_env(env: Mapping[str, str]) -> dict[str, str]:
    """The hook's environment without git's hook variables; CI=true so no secret is invented.

    A generated passphrase would be printed once, to whoever happened to push: on a
    server a missing secret must be an error, as in CI.
    """
    clean = {k: v for k, v in env.items() if k not in _GIT_HOOK_VARS}
    clean.setdefault("CI", "true")
    clean["NO_MKDOCS_2_WARNING"] = "1"
    return clean


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (the next push waits for this one)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=sys.stdout, stderr=sys.stderr)
    if done.returncode != 0:
        raise SitrepError(f"{' '.join(cmd[:4])} failed (exit {done.returncode}); see above")


def update_work_clone(bare: Path, work: Path, branch: str, env: dict[str, str]) -> None:
    """Clone the bare repository once, then bring ``branch`` to what was just pushed."""
    if not (work / ".git").exists():
        _run(["git", "clone", "--quiet", "--no-local", str(bare), str(work)], bare, env)
    _run(["git", "fetch", "--quiet", "--prune", "origin"], work, env)
    _run(["git", "checkout", "--quiet", "-B", branch, f"origin/{branch}"], work, env)
    _run(["git", "reset", "--quiet", "--hard", f"origin/{branch}"], work, env)


def publish_site(work: Path, publish: Path, env: dict[str, str]) -> None:
    """Build into a fresh folder and swap it in, so the old site stays up until the new one is whole."""
    fresh = publish.with_name(publish.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    _run([sys.executable, "-m", "mkdocs", "build", "--quiet", "-f", str(work / "mkdocs.yml"),
          "--site-dir", str(fresh)], work, env)
    old = publish.with_name(publish.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if publish.exists():
        publish.rename(old)
    fresh.rename(publish)
    shutil.rmtree(old, ignore_errors=True)


def post_receive(bare: Path, lines: list[str], env: Mapping[str, str]) -> int:
    """Build, publish and notify for a push to the main branch; other refs do nothing."""
    branch = env.get("SITREP_BRANCH", "main")
    # The ledger push from notify re-enters this hook for another ref: return before the lock.
    if not pushed_to(lines, branch):
        return 0
    clean = clean_env(env)
    work = Path(clean.get("SITREP_WORK_DIR", bare / "sitrep-work"))
    publish = Path(clean.get("SITREP_PUBLISH_DIR", bare / "sitrep-site"))
    with locked(bare / "sitrep.lock"):
        update_work_clone(bare, work, branch, clean)
        publish_site(work, publish, clean)
        print(f"sitrep: site published to {publish}", flush=True)
        notify = subprocess.run([sys.executable, "-m", "generator.cli", "notify", "--to", branch],
                                cwd=work, env=clean, stdout=sys.stdout, stderr=sys.stderr)
    return notify.returncode


def main() -> int:
    """Entry point of ``sitrep post-receive``: stdin holds the pushed ref lines."""
    bare = Path(os.environ.get("GIT_DIR", ".")).resolve()
    try:
        return post_receive(bare, sys.stdin.read().splitlines(), os.environ)
    except SitrepError as exc:
        print(f"sitrep: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
