"""``sitrep serve``: build the protected site and serve exactly those files on 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from .config import Settings
from .errors import SitrepError
from .keys import client_path, secure_link, staff_path
from .model import PUBLIC, Catalogue
from .secrets import load_secrets
from .site import build_clock
from .validate import validate

HOST = "127.0.0.1"


def build_site(settings: Settings, site_dir: Path) -> None:
    """Run the real ``mkdocs build`` into ``site_dir``; its own messages say what failed."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    cmd = [sys.executable, "-m", "mkdocs", "build", "--quiet", "-f",
           str(settings.root / "mkdocs.yml"), "--site-dir", str(site_dir)]
    if subprocess.call(cmd, env=env, cwd=settings.root) != 0:
        raise SitrepError("the build failed; the messages above say why")


def describe(settings: Settings, catalogue: Catalogue, base: str) -> list[str]:
    """Where to look: the staff and client overviews and each open incident's secure link."""
    secrets = load_secrets(settings.state_dir, [c for c in catalogue.clients if c != PUBLIC])
    secret = secrets.site_secret
    lines = [f"  landing page      {base}",
             f"  staff overview    {base}{staff_path(secret)}  (staff passphrase)"]
    for client_id in sorted(catalogue.clients):
        lines.append(f"  {client_id:<17} {base}{client_path(secret, client_id)}  "
                     "(client passphrase)")
    for incident in sorted(catalogue.incidents, key=lambda i: i.started, reverse=True)[:5]:
        lines.append(f"  {incident.id}\n      {secure_link(base, secret, incident.id)}")
    lines.append(f"  passphrases: {settings.state_dir / 'secrets.yml'} (or your SITREP_* variables)")
    return lines


def open_incident_texts(settings: Settings, catalogue: Catalogue, secret: str, now: datetime) -> list[str]:
    """The SMS each open incident's latest change sends (what ``sitrep preview`` shows)."""
    from .message import compose
    from .preview import latest_event

    lines = []
    for incident in catalogue.incidents:
        if incident.is_active(now) or incident.is_upcoming(now):
            kind, before, _ = latest_event(settings.root, incident, Path(incident.path))
            link = secure_link(settings.site_url, secret, incident.id)
            lines.append(f"  {compose(kind, incident, before, settings, link).text}")
    return lines


def serve(settings: Settings, port: int, build: bool = True) -> int:
    """Validate, build into ``.sitrep/site``, print the links, and serve until Ctrl-C."""
    catalogue, problems = validate(settings)
    errors = [p for p in problems if not p.warning]
    if errors:
        for problem in errors:
            print(problem, file=sys.stderr)
        return 1
    site_dir = settings.state_dir / "site"
    if build:
        build_site(settings, site_dir)
    base = f"http://{HOST}:{port}/"
    print(f"sitrep: the protected site is at {base}\n" + "\n".join(describe(settings, catalogue, base)))
    secret = load_secrets(settings.state_dir, [c for c in catalogue.clients if c != PUBLIC]).site_secret
    texts = open_incident_texts(settings, catalogue, secret, build_clock())
    if texts:
        print("What stakeholders get for the open incidents (sitrep notify sends it when pushed):")
        print("\n".join(texts))
    print("Ctrl-C stops.", flush=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site_dir))
    try:
        with http.server.ThreadingHTTPServer((HOST, port), handler) as server:
            server.serve_forever()
    except OSError as exc:
        raise SitrepError(f"cannot listen on {HOST}:{port} ({exc.strerror}; try --port 8001)") from exc
    except KeyboardInterrupt:
        print("\nsitrep: stopped", file=sys.stderr)
    return 0
