"""Screenshots of the example site on a phone (390x844) for the README: a script, not a test.

Builds the example repository with the test secrets and clock, serves it on 127.0.0.1 and
drives Debian's chromium (never a downloaded browser) with the page clock set to the build's,
so relative times read as they did at build time. Run: ``python tests/screenshots.py``.
"""

from __future__ import annotations

import functools
import http.server
import json
import sys
import tempfile
import threading
from datetime import datetime
from pathlib import Path

from conftest import ROOT, TEST_NOW, TEST_SECRETS, copy_repo, mkdocs_build
from playwright.sync_api import Browser, Page, sync_playwright

from generator import keys

OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SECRET = TEST_SECRETS["SITREP_SITE_SECRET"]
CLIENT = "dlca"
INCIDENT = "2017-08-14-dlca-remote-access"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Requests are not news."""


def serve(site_dir: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """The built site on 127.0.0.1, on a free port, in a background thread."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def unlock_if_asked(page: Page, passphrase: str) -> None:
    """Type the client passphrase when the page asks for one (once protection is in place)."""
    box = page.locator("input[type=password]")
    if box.count() and box.first.is_visible():
        box.first.fill(passphrase)
        box.first.press("Enter")
    page.wait_for_selector(".sitrep-banner, .sitrep-facts", timeout=15000)


def shoot(browser: Browser, url: str, out: Path, passphrase: str) -> None:
    """Open ``url`` in a fresh phone-sized tab (nothing unlocked yet) and save what its screen shows."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        page = context.new_page()
        # The browser's clock is the build's, so relative times read as the build wrote them.
        page.clock.set_fixed_time(datetime.fromisoformat(TEST_NOW))
        page.goto(url)
        page.wait_for_load_state("networkidle")
        unlock_if_asked(page, passphrase)
        page.screenshot(path=str(out))
    finally:
        context.close()
    print(f"wrote {out.relative_to(ROOT)}")


def main() -> int:
    """Build, serve, and save docs/screenshots/overview.png and incident.png."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_repo(Path(tmp) / "repo")
        result = mkdocs_build(root)
        if result.returncode:
            print(result.stderr, file=sys.stderr)
            return 1
        server, base = serve(root / "site")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                passphrase = json.loads(TEST_SECRETS["SITREP_CLIENT_PASSPHRASES"])[CLIENT]
                shoot(browser, base + keys.client_path(SECRET, CLIENT), OUT / "overview.png", passphrase)
                # The secure link of the SMS: the incident's key travels in its fragment.
                shoot(browser, keys.secure_link(base, SECRET, INCIDENT), OUT / "incident.png", passphrase)
                browser.close()
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
