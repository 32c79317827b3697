"""What protection costs: build time protected vs unprotected, and time to content in Chromium.

    python bench/bench_protect.py [--incidents 1000] [--rounds 3] [--browser-repeat 7]

The builds are those of ``bench_build.py`` (protected, the same pages unprotected, and Hugo as
the floor), each round alternating them so that a busy machine slows all alike. Then the
protected site is served on 127.0.0.1 and headless Chromium (Debian's ``/usr/bin/chromium``)
measures the time from navigation start to the decrypted content for a secure link, and from
pressing "Open" to the content for a passphrase (PBKDF2 600,000 in WebCrypto).
Aims: protected/unprotected <= 1.5 at 1,000 incidents (1.2 at 10,000); link < 300 ms;
passphrase < 1 s.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_build import SECRET, STAFF, build_rows
from common import Row, table

from generator import keys

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def protected_ids(repo: Path, count: int) -> list[str]:
    """The first ``count`` incidents that are not public (a public page has nothing to decrypt)."""
    ids = []
    for path in sorted((repo / "incidents").glob("*.md")):
        if "\nclient: public\n" not in path.read_text(encoding="utf-8"):
            ids.append(path.stem)
        if len(ids) == count:
            break
    return ids


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site without a line per request."""

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged here (the tests check the log)."""


class QuietServer(http.server.ThreadingHTTPServer):
    """A tab closed mid-download is no failure of the site."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignored (see the class)."""


def serve(site_dir: Path) -> tuple[QuietServer, str]:
    """The site on 127.0.0.1, in a thread."""
    httpd = QuietServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site_dir)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/"


def in_browser(base: str, incident_ids: list[str], repeat: int) -> tuple[list[float], list[float]]:
    """Milliseconds to content: secure link (from navigation start), passphrase (from 'Open')."""
    from playwright.sync_api import sync_playwright

    link_ms, pass_ms = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for n in range(repeat):
            incident = incident_ids[n % len(incident_ids)]
            link_ms.append(measure(browser, lambda tab, i=incident: open_link(tab, base, i)))
            pass_ms.append(measure(browser, lambda tab, i=incident: open_passphrase(tab, base, i)))
        browser.close()
    return link_ms, pass_ms


def measure(browser: Any, run: Callable[[Any], float]) -> float:
    """``run`` in a fresh context (empty cache and sessionStorage)."""
    context = browser.new_context()
    try:
        return run(context.new_page())
    finally:
        context.close()


def open_link(tab: Any, base: str, incident_id: str) -> float:
    """Navigation start to decrypted content, for a secure link."""
    tab.goto(keys.secure_link(base, SECRET, incident_id))
    tab.wait_for_selector("[data-sitrep-content]:not([hidden])", timeout=30_000)
    return float(tab.evaluate("performance.getEntriesByName('sitrep-unlocked')[0].startTime"))


def open_passphrase(tab: Any, base: str, incident_id: str) -> float:
    """'Open' pressed to decrypted content, for the staff passphrase (PBKDF2 in the browser)."""
    tab.goto(base + keys.incident_path(SECRET, incident_id))
    tab.wait_for_selector("form[data-sitrep-form]:not([hidden])")
    tab.fill("#sitrep-passphrase", STAFF)
    tab.click("form[data-sitrep-form] button[type=submit]")
    tab.wait_for_selector("[data-sitrep-content]:not([hidden])", timeout=30_000)
    return float(tab.evaluate("performance.getEntriesByName('sitrep-unlocked')[0].startTime"
                              " - performance.getEntriesByName('sitrep-passphrase')[0].startTime"))


def browser_rows(site_dir: Path, repo: Path, repeat: int, incidents: int | None = None) -> list[Row]:
    """Secure link and passphrase, each ``repeat`` times on a different incident, as rows."""
    httpd, base = serve(site_dir)
    try:
        link_ms, pass_ms = in_browser(base, protected_ids(repo, repeat), repeat)
    finally:
        httpd.shutdown()
    link = Row("browser", "secure link: navigation to content", link_ms, "ms", incidents, "< 300 ms")
    passphrase = Row("browser", "passphrase: Open to content", pass_ms, "ms", incidents, "< 1000 ms")
    return [link.meets(300), passphrase.meets(1000)]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--browser-repeat", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sitrep-bench-") as tmp:
        work = Path(tmp)
        rows = build_rows(work, args.incidents, args.rounds)
        rows += browser_rows(work / f"site-{args.incidents}", work / f"repo-{args.incidents}",
                             args.browser_repeat, args.incidents)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
