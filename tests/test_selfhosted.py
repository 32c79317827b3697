"""A self-hosted git server: a bare repository with hooks/post-receive, pushed to for real."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from conftest import ROOT, TEST_SECRETS, copy_repo, read_page
from gitrepo import git, incident_text, now, write_incident
from notify_harness import ALAN, FIONA, HANNAH, RECIPIENTS, STAFF
from twilio_server import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

from generator.keys import incident_path
from generator.selfhosted import pushed_to

INCIDENT = "2026-12-03-dlca-printers"


def install_server(base: Path, twilio: FakeTwilio) -> tuple[Path, Path]:
    """A bare repository with the post-receive hook and its settings; returns it and the site dir."""
    bare, publish = base / "status.git", base / "www"
    git(base, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    shutil.copy2(ROOT / "hooks" / "post-receive", bare / "hooks" / "post-receive")
    (base / "recipients.yml").write_text(RECIPIENTS, encoding="utf-8")
    settings = {"SITREP_PYTHON": sys.executable, "SITREP_PUBLISH_DIR": str(publish),
                "SITREP_RECIPIENTS": str(base / "recipients.yml"), "SITREP_SMS_PROVIDER": "twilio",
                "TWILIO_API_URL": twilio.url, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM": "+14155550199", **TEST_SECRETS}
    (bare / "sitrep.env").write_text("".join(f"{k}='{v}'\n" for k, v in settings.items()))
    return bare, publish


def push(work: Path) -> str:
    """``git push`` as an engineer would; returns what the hook printed."""
    result = subprocess.run(["git", "push", "origin", "main"], cwd=work, capture_output=True,
                            text=True, env={k: v for k, v in os.environ.items()
                                            if not k.startswith(("GIT_", "SITREP_"))})
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_pushed_to_reads_the_ref_lines() -> None:
    new, old = "a" * 40, "0" * 40
    assert pushed_to([f"{old} {new} refs/heads/main"], "main")
    assert not pushed_to([f"{old} {new} refs/heads/sitrep-ledger"], "main")
    assert not pushed_to([f"{new} {old} refs/heads/main"], "main")  # a deleted branch


def test_each_push_publishes_the_site_and_texts_each_stakeholder_once(tmp_path: Path,
                                                                       twilio: FakeTwilio) -> None:
    bare, publish = install_server(tmp_path, twilio)
    work = copy_repo(tmp_path / "work")
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(work))
    git(work, "remote", "add", "origin", str(bare))
    git(work, "add", "-A")
    # Adopting sitrep on a repository of old incidents: the first push texts nobody.
    git(work, "commit", "--quiet", "-m", "Examples\n\nSitrep-Notify: no")
    push(work)
    assert (publish / "index.html").exists() and twilio.by_number() == {}

    start = now() - timedelta(minutes=30)
    updates = [(start, "investigating", "No printing at the Edinburgh office."),
               (start + timedelta(minutes=10), "identified", "A failed print server; replacing it."),
               (start + timedelta(minutes=20), "resolved", "Printing works again.")]
    page = publish / incident_path(TEST_SECRETS["SITREP_SITE_SECRET"], INCIDENT)
    for count, _ in enumerate(updates, start=1):
        text = incident_text("Printing down", updates[:count], started=start)
        write_incident(work, INCIDENT, text)
        git(work, "add", "-A")
        git(work, "commit", "--quiet", "-m", f"Printers: {updates[count - 1][1]}")
        output = push(work)
        assert "site published" in output
        shown = read_page(publish, str(page.relative_to(publish)))
        assert updates[count - 1][2] in shown  # each push's state is live

    received = twilio.by_number()
    for number in (STAFF, FIONA, ALAN):
        assert len(received[number]) == 3, received
        assert all("Printing down" in body for body in received[number])
    assert HANNAH not in received

    # Pushing again, or a push that changes no incident, sends nothing.
    (work / "README-local.txt").write_text("notes\n")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "Notes")
    push(work)
    assert twilio.by_number() == received
    assert git(bare, "rev-parse", "--verify", "sitrep-ledger")
