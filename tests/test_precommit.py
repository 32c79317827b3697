"""The pre-commit hook, through real `git commit` in a temporary repository."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main

GOOD = """---
title: VPN down at the Leith depot
client: mwl
severity: major
components: [vpn]
started: 2026-11-20T09:00:00+00:00
updates:
  - at: 2026-11-20T09:10:00+00:00
    status: investigating
    message: The depot cannot reach head office.
---
"""


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run git in ``root`` with a fixed identity."""
    return subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=t@example.com", *args],
                          cwd=root, capture_output=True, text=True)


@pytest.fixture
def hooked(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example repository under git, everything committed, the hook installed."""
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    assert git(repo, "commit", "-qm", "examples").returncode == 0
    monkeypatch.chdir(repo)
    monkeypatch.setenv("SITREP_PYTHON", sys.executable)
    assert main(["install-hooks"]) == 0
    return repo


def test_hook_refuses_a_bad_incident_with_the_validate_message(hooked: Path) -> None:
    bad = hooked / "incidents" / "2026-11-20-mwl-vpn.md"
    bad.write_text(GOOD.replace("severity: major", "severity: huge"), encoding="utf-8")
    git(hooked, "add", str(bad))
    result = git(hooked, "commit", "-qm", "declare")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert re.search(r"^incidents/2026-11-20-mwl-vpn\.md:4: .*unknown severity 'huge'", output, re.M)
    assert "Traceback" not in result.stdout + result.stderr
    assert git(hooked, "rev-list", "--count", "HEAD").stdout.strip() == "1"


def test_hook_accepts_a_good_incident(hooked: Path) -> None:
    (hooked / "incidents" / "2026-11-20-mwl-vpn.md").write_text(GOOD, encoding="utf-8")
    git(hooked, "add", "-A")
    result = git(hooked, "commit", "-qm", "declare")
    assert result.returncode == 0, result.stdout + result.stderr
    assert git(hooked, "rev-list", "--count", "HEAD").stdout.strip() == "2"


def test_hook_checks_the_staged_text_not_the_working_tree(hooked: Path) -> None:
    path = hooked / "incidents" / "2026-11-20-mwl-vpn.md"
    path.write_text(GOOD.replace("client: mwl", "client: nobody"), encoding="utf-8")
    git(hooked, "add", str(path))
    path.write_text(GOOD, encoding="utf-8")  # fixed on disk, but not staged
    result = git(hooked, "commit", "-qm", "declare")
    assert result.returncode != 0
    assert "unknown client 'nobody'" in result.stdout + result.stderr


def test_a_changed_clients_file_rechecks_every_incident(hooked: Path) -> None:
    clients = hooked / "incidents" / "clients.yml"
    clients.write_text(clients.read_text().replace("    remote-access: Remote Access server\n", ""))
    git(hooked, "add", str(clients))
    result = git(hooked, "commit", "-qm", "drop a component")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "2017-08-14-dlca-remote-access.md:5: unknown component 'remote-access'" in output


def test_install_hooks_does_not_overwrite_another_tools_hook(repo: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    git(repo, "init", "-q")
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\necho other tool\n")
    monkeypatch.chdir(repo)
    assert main(["install-hooks"]) == 1
    assert "--force" in capsys.readouterr().err
    assert hook.read_text() == "#!/bin/sh\necho other tool\n"
