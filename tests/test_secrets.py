"""Secrets: from the environment, generated once on a developer machine, never shown twice."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import TEST_SECRETS

from generator.errors import ConfigError
from generator.secrets import load_secrets

CLIENTS = ["dlca", "hbs", "mwl"]


def test_developer_machine_generates_once_and_shows_once(tmp_path: Path) -> None:
    first, second = io.StringIO(), io.StringIO()
    made = load_secrets(tmp_path, CLIENTS, env={}, announce=first)
    again = load_secrets(tmp_path, CLIENTS, env={}, announce=second)
    assert made == again
    assert made.staff_passphrase in first.getvalue() and second.getvalue() == ""
    assert made.site_secret not in first.getvalue()  # never needs typing, so never shown
    assert (tmp_path / "secrets.yml").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / ".gitignore").read_text() == "*\n"


def test_values_from_the_environment_are_not_generated_again(tmp_path: Path) -> None:
    shown = io.StringIO()
    secrets = load_secrets(tmp_path, CLIENTS, env=dict(TEST_SECRETS), announce=shown)
    assert secrets.site_secret == TEST_SECRETS["SITREP_SITE_SECRET"]
    assert shown.getvalue() == "" and not (tmp_path / "secrets.yml").exists()


@pytest.mark.parametrize("missing", ["SITREP_SITE_SECRET", "SITREP_STAFF_PASSPHRASE",
                                     "SITREP_CLIENT_PASSPHRASES"])
def test_ci_names_the_missing_variable_and_writes_nothing(tmp_path: Path, missing: str) -> None:
    env = {**TEST_SECRETS, "CI": "true"}
    del env[missing]
    with pytest.raises(ConfigError, match=missing):
        load_secrets(tmp_path, CLIENTS, env=env)
    assert not any(tmp_path.iterdir())


def test_a_shared_passphrase_is_refused_without_showing_it(tmp_path: Path) -> None:
    env = {**TEST_SECRETS, "CI": "true", "SITREP_CLIENT_PASSPHRASES": json.dumps(
        {"dlca": "one-pass-phrase", "hbs": " one-pass-phrase ", "mwl": "staff-pass-phrase"})}
    with pytest.raises(ConfigError) as caught:
        load_secrets(tmp_path, CLIENTS, env=env)
    said = str(caught.value)
    assert "dlca and hbs" in said and "staff and mwl" in said
    assert "one-pass-phrase" not in said and "staff-pass-phrase" not in said
