"""The site secret and passphrases: from the environment, or generated once on a developer's machine."""

from __future__ import annotations

import json
import os
import secrets as random_source
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from .errors import ConfigError
from .keys import passphrase_form

MIN_SITE_SECRET = 32
# No 0/o, 1/l/i: passphrases are read off a screen and typed on a phone.
_PASS_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
LOCAL_FILE = "secrets.yml"


@dataclass(frozen=True)
class Secrets:
    """What the build and the notifier need; ``repr`` never shows a value."""

    site_secret: str
    staff_passphrase: str
    client_passphrases: Mapping[str, str]

    def __repr__(self) -> str:
        return f"Secrets(<{len(self.client_passphrases)} client passphrases hidden>)"


def new_passphrase() -> str:
    """Sixteen random characters in four groups: about 79 bits, easy to type on a phone."""
    chars = "".join(random_source.choice(_PASS_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def is_ci(env: Mapping[str, str]) -> bool:
    """True on a CI runner, where a missing secret is an error and never a default."""
    return env.get("CI", "").lower() in ("true", "1", "yes")


def parse_client_passphrases(text: str) -> dict[str, str]:
    """``SITREP_CLIENT_PASSPHRASES``: a YAML or JSON mapping of client id to passphrase."""
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        # The value is secret: say where it is wrong, never echo it.
        raise ConfigError("SITREP_CLIENT_PASSPHRASES is not valid YAML or JSON "
                          "(write a mapping such as {dlca: '…'})") from exc
    if not isinstance(data, dict) or not all(isinstance(v, str | int) for v in data.values()):
        raise ConfigError("SITREP_CLIENT_PASSPHRASES must map client ids to passphrases "
                          "(write a mapping such as {dlca: '…'})")
    return {str(k): str(v) for k, v in data.items()}


def _read_local(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read local secrets (delete it to make new ones)") from exc
    return data if isinstance(data, dict) else {}


def _write_local(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.parent / ".gitignore").write_text("*\n", encoding="utf-8")
    # Owner-only from the first byte: the file holds every passphrase.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("# sitrep local secrets: generated on this machine, never commit them.\n")
        yaml.safe_dump(data, out, sort_keys=True)


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if env.get("SITREP_SITE_SECRET"):
        found["site_secret"] = env["SITREP_SITE_SECRET"]
    if env.get("SITREP_STAFF_PASSPHRASE"):
        found["staff_passphrase"] = env["SITREP_STAFF_PASSPHRASE"]
    if env.get("SITREP_CLIENT_PASSPHRASES"):
        found["client_passphrases"] = parse_client_passphrases(env["SITREP_CLIENT_PASSPHRASES"])
    return found


def _missing_in_ci(found: dict[str, Any], client_ids: Iterable[str]) -> list[str]:
    missing = [name for key, name in (("site_secret", "SITREP_SITE_SECRET"),
                                      ("staff_passphrase", "SITREP_STAFF_PASSPHRASE"))
               if key not in found]
    absent = sorted(set(client_ids) - set(found.get("client_passphrases", {})))
    if absent:
        missing.append("SITREP_CLIENT_PASSPHRASES (no passphrase for " + ", ".join(absent) + ")")
    return missing


def load_secrets(state_dir: Path, client_ids: Iterable[str],
                 env: Mapping[str, str] | None = None, announce: TextIO | None = None) -> Secrets:
    """Secrets from the environment; on a developer machine, fill gaps from ``.sitrep/``.

    A value generated here is printed once, to ``announce`` (stderr by default), and
    never again: later runs read it back from the git-ignored file.
    """
    env = os.environ if env is None else env
    client_ids = sorted(set(client_ids))
    found = _from_env(env)
    if is_ci(env):
        missing = _missing_in_ci(found, client_ids)
        if missing:
            raise ConfigError("missing secret " + "; ".join(missing)
                              + " (set it in the CI environment's secrets; CI never makes defaults)")
        return _checked(found)
    path = state_dir / LOCAL_FILE
    local = _read_local(path)
    # Only what neither the environment nor the file has is made (and shown, this once).
    made = _fill_gaps(local, client_ids, found)
    if made:
        _write_local(path, local)
        _announce(made, path, announce or sys.stderr)
    merged = {**local, **found,
              "client_passphrases": {**local.get("client_passphrases", {}),
                                     **found.get("client_passphrases", {})}}
    return _checked(merged)


def _fill_gaps(local: dict[str, Any], client_ids: list[str], env: dict[str, Any]) -> dict[str, str]:
    made: dict[str, str] = {}
    if not local.get("site_secret") and not env.get("site_secret"):
        local["site_secret"] = random_source.token_urlsafe(32)
        made["site secret"] = "(kept in the file; it never needs typing)"
    if not local.get("staff_passphrase") and not env.get("staff_passphrase"):
        local["staff_passphrase"] = made["staff"] = new_passphrase()
    passes = local.setdefault("client_passphrases", {})
    from_env = env.get("client_passphrases", {})
    for client_id in client_ids:
        if not passes.get(client_id) and not from_env.get(client_id):
            passes[client_id] = made[f"client {client_id}"] = new_passphrase()
    return made


def _announce(made: dict[str, str], path: Path, out: TextIO) -> None:
    out.write(f"sitrep: generated local secrets in {path} (shown this once):\n")
    for name, value in made.items():
        out.write(f"  {name:<24} {value}\n")
    out.write("  For CI, set SITREP_SITE_SECRET, SITREP_STAFF_PASSPHRASE and "
              "SITREP_CLIENT_PASSPHRASES instead.\n")


def _checked(data: dict[str, Any]) -> Secrets:
    site_secret = str(data.get("site_secret", ""))
    if len(site_secret) < MIN_SITE_SECRET:
        raise ConfigError(f"SITREP_SITE_SECRET is shorter than {MIN_SITE_SECRET} characters "
                          "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    secrets = Secrets(site_secret, str(data.get("staff_passphrase", "")),
                      dict(data.get("client_passphrases", {})))
    _check_distinct(secrets)
    return secrets


def _check_distinct(secrets: Secrets) -> None:
    """Each passphrase opens one reader's pages: a shared one would open either at random."""
    owners: dict[str, list[str]] = {}
    readers = [("staff", secrets.staff_passphrase), *sorted(secrets.client_passphrases.items())]
    for owner, passphrase in readers:
        owners.setdefault(passphrase_form(passphrase), []).append(owner)
    shared = [names for names in owners.values() if len(names) > 1]
    if shared:
        # Name who shares, never the passphrase.
        raise ConfigError("SITREP_STAFF_PASSPHRASE / SITREP_CLIENT_PASSPHRASES: "
                          + "; ".join(" and ".join(names) for names in shared)
                          + " have the same passphrase (give each client and staff their own)")


def passphrases_json(secrets: Secrets) -> str:
    """The client passphrases as JSON, for pasting into a CI secret."""
    return json.dumps(dict(secrets.client_passphrases), sort_keys=True)
