"""Validation benchmarks: ``sitrep validate`` of N incidents, and the pre-commit hook at that size.

    python bench/bench_validate.py [--incidents 10000] [--runs 3]

Both run as a person pays them: a whole ``sitrep validate`` process, and a real ``git commit``
of one changed incident with sitrep's pre-commit hook installed, beside ``sitrep validate
--staged`` alone. Aims: 10,000 incidents validated in under 3 s; the hook on one changed file
in a repository of 10,000 incidents in under 1 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_build import build_env
from common import Row, run_measured, table

from incidents import generate

GIT = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.com", "-c", "gc.auto=0"]


def sitrep(*args: str) -> list[str]:
    """The command line of ``sitrep ARGS`` with this Python."""
    return [sys.executable, "-m", "generator.cli", *args]


def validate_rows(repo: Path, n: int, runs: int) -> list[Row]:
    """``sitrep validate`` of the whole repository, ``runs`` times."""
    env = build_env(True)
    measured = [run_measured(sitrep("validate"), env=env, cwd=repo) for _ in range(runs)]
    assert all(f"{n} incidents OK" in m.output for m in measured), measured[0].output[-500:]
    aim, limit = ("< 3 s", 3.0) if n >= 10_000 else ("", None)
    row = Row("validate", "sitrep validate, every incident", [m.seconds for m in measured], "s", n, aim,
              per_incident=True)
    return [row.meets(limit) if limit else row]


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo``; its output."""
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def hooked_repository(repo: Path) -> None:
    """``repo`` under git with everything committed and sitrep's pre-commit hook installed."""
    if not (repo / ".git").exists():
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--no-verify", "-m", "incidents")
    subprocess.run(sitrep("install-hooks", "--force"), cwd=repo, check=True, capture_output=True,
                   env=build_env(True))


def _change_one(repo: Path, run: int) -> None:
    """Stage a new line in one incident's body: a valid change the hook must check."""
    path = sorted((repo / "incidents").glob("*.md"))[run]
    with path.open("a", encoding="utf-8") as file:
        file.write(f"\nNote {run} added for the benchmark.\n")
    git(repo, "add", str(path))


def precommit_rows(repo: Path, n: int, runs: int) -> list[Row]:
    """One changed incident: ``sitrep validate --staged`` alone, and ``git commit`` with the hook."""
    hooked_repository(repo)
    env = build_env(True)
    staged, commit = [], []
    for run in range(runs):
        _change_one(repo, run)
        staged.append(run_measured(sitrep("validate", "--staged"), env=env, cwd=repo).seconds)
        commit.append(run_measured([*GIT, "commit", "-q", "-m", f"bench {run}"], env=env, cwd=repo).seconds)
    aim, limit = ("< 1 s", 1.0) if n >= 10_000 else ("", None)
    rows = [Row("validate", "sitrep validate --staged, one changed incident", staged, "s", n),
            Row("validate", "git commit of one changed incident, with the hook", commit, "s", n, aim)]
    if limit:
        rows[1].meets(limit)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the validation benchmarks and print their table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sitrep-bench-") as tmp:
        repo = generate(Path(tmp) / "repo", args.incidents)
        rows = validate_rows(repo, args.incidents, args.runs)
        rows += precommit_rows(repo, args.incidents, args.runs)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
