"""Shared fixtures: a copy of the status repository in tmp_path, fixed secrets, real builds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from twilio_server import FakeTwilio

ROOT = Path(__file__).resolve().parent.parent
SITE_INPUTS = ("mkdocs.yml", "incidents", "docs", "overrides", "hooks")

# Fixed secrets so slugs, keys and links are the same in every test run.
TEST_SECRETS = {
    "SITREP_SITE_SECRET": "test-site-secret-0123456789-abcdefghijklmnop",
    "SITREP_STAFF_PASSPHRASE": "staff-pass-phrase",
    "SITREP_CLIENT_PASSPHRASES": '{"dlca": "dlca-pass-phrase", "hbs": "hbs-pass-phrase", '
    '"mwl": "mwl-pass-phrase"}',
}
# The examples tell their story as of this moment (the hbs telephony incident is active).
TEST_NOW = "2026-12-03T09:00:00+00:00"


def copy_repo(dest: Path) -> Path:
    """A copy of everything a site build reads, at ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in SITE_INPUTS:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, dest / name)
    return dest


def site_env(**extra: str) -> dict[str, str]:
    """The environment of a build with the test secrets and clock."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SITREP_")}
    env.update(TEST_SECRETS, SITREP_NOW=TEST_NOW, NO_MKDOCS_2_WARNING="1", CI="true")
    env.update(extra)
    return env


def mkdocs_build(root: Path, env: dict[str, str] | None = None,
                 site_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``mkdocs build`` in ``root``; the result keeps stdout and stderr."""
    cmd = [sys.executable, "-m", "mkdocs", "build", "-f", str(root / "mkdocs.yml")]
    if site_dir is not None:
        cmd += ["--site-dir", str(site_dir)]
    return subprocess.run(cmd, cwd=root, env=env or site_env(), capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    """A Twilio-speaking server on 127.0.0.1 for one test."""
    server = FakeTwilio().start()
    yield server
    server.stop()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh copy of the example status repository."""
    return copy_repo(tmp_path / "repo")


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The test secrets and clock in this process's environment."""
    env = site_env()
    for key in [k for k in os.environ if k.startswith("SITREP_")]:
        monkeypatch.delenv(key)
    for key in (*TEST_SECRETS, "SITREP_NOW", "CI"):
        monkeypatch.setenv(key, env[key])
    yield env


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example repository built once with the real mkdocs build; returns the site dir."""
    root = copy_repo(tmp_path_factory.mktemp("example") / "repo")
    result = mkdocs_build(root)
    assert result.returncode == 0, result.stderr
    return root / "site"


def read_page(site_dir: Path, url: str) -> str:
    """The HTML of a built page as staff read it once unlocked (protected pages decrypted)."""
    from generator import protect

    html = (site_dir / url / "index.html").read_text(encoding="utf-8")
    return protect.reveal(html, TEST_SECRETS["SITREP_SITE_SECRET"])
