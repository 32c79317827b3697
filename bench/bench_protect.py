"""What protection costs: build time protected vs unprotected, and time to content in Chromium.

    python bench/bench_protect.py [--incidents 1000] [--repeat 3] [--keep DIR]

Builds the incidents of ``bench/incidents.py`` (N incidents over 20 clients) twice per round
with the real ``mkdocs build``: once protected (encryption, PBKDF2 of 21 passphrases, keyring,
leak gate), once as the *same pages* without protection. The unprotected build sets
``SITREP_BENCH_UNPROTECTED=1``, which the build honours only outside CI and announces with a
loud warning: pages are generated and rendered exactly as usual, but not encrypted, and
neither the passphrase keys nor the leak gate run. Rounds alternate the two so that a busy
machine slows both alike; the script prints each median, the spread (min-max) and the ratio.

Then it serves the protected site on 127.0.0.1 and measures, in headless Chromium (Debian's
``/usr/bin/chromium``), the time from navigation start to the decrypted content for a secure
link, and from pressing "Open" to the content for a passphrase (PBKDF2 600,000 in WebCrypto).
Aims: protected/unprotected <= 1.5 at 1,000 incidents (1.2 at 10,000); link < 300 ms;
passphrase < 1 s.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from incidents import BENCH_NOW, CLIENTS, client_passphrases, generate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator import keys  # noqa: E402
from generator.site import UNPROTECTED_BENCHMARK  # noqa: E402

SECRET = "bench-site-secret-0123456789-abcdefghijklmnop"
STAFF = "bench-staff-pass-phrase"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def build_env(protected: bool) -> dict[str, str]:
    """The same secrets and clock for both builds; only the benchmark switch differs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SITREP_") and k != "CI"}
    env.update(SITREP_SITE_SECRET=SECRET, SITREP_STAFF_PASSPHRASE=STAFF, SITREP_NOW=BENCH_NOW,
               SITREP_CLIENT_PASSPHRASES=client_passphrases(), NO_MKDOCS_2_WARNING="1")
    if not protected:
        env[UNPROTECTED_BENCHMARK] = "1"
    return env


def timed_build(root: Path, site_dir: Path, protected: bool) -> float:
    """Seconds for one real ``mkdocs build`` (the whole process, as CI pays it)."""
    cmd = [sys.executable, "-m", "mkdocs", "build", "--quiet", "-f", str(root / "mkdocs.yml"),
           "--site-dir", str(site_dir)]
    start = time.perf_counter()
    result = subprocess.run(cmd, env=build_env(protected), capture_output=True, text=True, cwd=root)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"build failed ({'protected' if protected else 'unprotected'}):\n"
                 f"{result.stdout}{result.stderr}")
    return elapsed


def summary(label: str, values: list[float], unit: str = "s") -> str:
    """``label: median (min-max, n=…)``."""
    return (f"{label:<34} median {statistics.median(values):8.3f} {unit}   "
            f"spread {min(values):.3f}-{max(values):.3f} {unit}   n={len(values)}")


def bench_builds(root: Path, work: Path, repeat: int) -> tuple[list[float], list[float]]:
    """Alternating protected and unprotected builds; returns both lists of seconds."""
    protected, unprotected = [], []
    for round_ in range(repeat):
        for flag, times in ((True, protected), (False, unprotected)):
            seconds = timed_build(root, work / ("site" if flag else "site-clear"), flag)
            times.append(seconds)
            print(f"  round {round_ + 1}: {'protected  ' if flag else 'unprotected'} {seconds:.2f} s",
                  flush=True)
    shutil.rmtree(work / "site-clear")  # never leave a clear copy of the pages behind
    return protected, unprotected


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
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
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


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--browser-repeat", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="sitrep-bench-"))
    root = generate(work / "repo", args.incidents)
    print(f"{args.incidents} incidents over {CLIENTS} clients in {root}; "
          f"{os.cpu_count()} CPUs; {args.repeat} rounds", flush=True)
    protected, unprotected = bench_builds(root, work, args.repeat)
    print(summary("build, protected", protected))
    print(summary("build, same pages unprotected", unprotected))
    ratio = statistics.median(protected) / statistics.median(unprotected)
    print(f"{'ratio protected/unprotected':<34} {ratio:.2f}  (aim <= 1.5 at 1,000 incidents, 1.2 at 10,000)")
    ids = sorted(p.stem for p in (root / "incidents").glob("*.md"))[: args.browser_repeat]
    httpd, base = serve(work / "site")
    try:
        link_ms, pass_ms = in_browser(base, ids, args.browser_repeat)
    finally:
        httpd.shutdown()
    print(summary("secure link: navigation -> content", link_ms, "ms") + "  (aim < 300 ms)")
    print(summary("passphrase: Open -> content", pass_ms, "ms") + "  (aim < 1000 ms)")
    if not args.keep:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
