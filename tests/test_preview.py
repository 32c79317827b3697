"""``sitrep preview`` in a pull request's job: no secrets, no recipients, still the exact text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.cli import main


def test_preview_without_secrets_shows_the_text_with_a_link_of_the_real_length(
        repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("SITREP_SITE_SECRET", "SITREP_STAFF_PASSPHRASE", "SITREP_CLIENT_PASSPHRASES",
                 "SITREP_RECIPIENTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CI", "true")
    monkeypatch.chdir(repo)
    assert main(["preview", "2017-08-14-dlca-remote-access"]) == 0
    out, err = capsys.readouterr()
    text = out.splitlines()[0]
    assert text.startswith("Major incident: DLCA Remote Access server failure. Resolved. ")
    assert re.search(r"https://status\.example\.com/i/[a-z2-7]{10}/#[A-Za-z0-9_-]{22}$", text)
    assert "encoding: GSM-7, 124 septets, 1 segment" in out
    assert "recipients: unknown (SITREP_RECIPIENTS is not set" in out
    assert "placeholder key" in err
    assert not (repo / ".sitrep").exists(), "CI never generates secrets"
