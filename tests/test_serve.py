"""``sitrep serve``, the README's main command: builds, prints the links, serves on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import TEST_SECRETS, site_env

from generator.keys import incident_path, secure_link


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, seconds: float = 120) -> bytes:
    """The body at ``url`` once the server answers."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return bytes(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_serve_builds_prints_the_links_and_serves_the_protected_site(repo: Path) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "generator.cli", "serve", "--port", str(port)],
                              cwd=repo, env=site_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        landing = wait_for(f"http://127.0.0.1:{port}/")
        page = wait_for(f"http://127.0.0.1:{port}/"
                        + incident_path(TEST_SECRETS["SITREP_SITE_SECRET"], "2017-08-14-dlca-remote-access"))
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert b"Northbridge IT Services" in landing
    assert b"sitrep-payload" in page and b"Remote Access server failure" not in page
    link = secure_link(f"http://127.0.0.1:{port}/", TEST_SECRETS["SITREP_SITE_SECRET"],
                       "2026-12-02-hbs-telephony-calls-dropping")
    assert link in output
    assert "Minor incident: HBS Some incoming calls dropping" in output  # what the SMS says
    assert (repo / ".sitrep" / "site" / "index.html").exists()
