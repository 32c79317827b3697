"""What a reader sees, in real headless Chromium against the built site on 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, TEST_NOW, TEST_SECRETS, copy_repo, mkdocs_build
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from generator import keys, protect
from generator.config import load_settings
from generator.model import Catalogue, Incident
from generator.times import parse_time
from generator.validate import validate

SECRET = TEST_SECRETS["SITREP_SITE_SECRET"]
STAFF = TEST_SECRETS["SITREP_STAFF_PASSPHRASE"]
CLIENTS: dict[str, str] = json.loads(TEST_SECRETS["SITREP_CLIENT_PASSPHRASES"])
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CONTENT = "[data-sitrep-content]"
MESSAGE = "[data-sitrep-message]"
TIMEOUT = 15_000  # ms: PBKDF2 in the browser on a busy 2-core runner


class Server:
    """The site on 127.0.0.1 (a real http.server in a thread) that logs every request."""

    def __init__(self, site_dir: Path) -> None:
        self.log: list[str] = []
        handler = functools.partial(_LoggingHandler, self.log, directory=str(site_dir))
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A tab closed mid-download is no failure of the site."""


class _LoggingHandler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, log: list[str], *args: Any, **kwargs: Any) -> None:
        self._log = log
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:
        # Everything a server would see: the request line and every header (Referer too).
        self._log.append(f"{self.requestline}\n{self.headers}")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    """The example incidents."""
    found, _problems = validate(load_settings(ROOT / "mkdocs.yml"), now=parse_time(TEST_NOW))
    return found


@pytest.fixture(scope="module")
def server(example_site: Path) -> Iterator[Server]:
    """The example site, served."""
    running = Server(example_site)
    yield running
    running.close()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """The Playwright driver (one per module: the sync API cannot nest)."""
    with sync_playwright() as p:
        yield p


def launch(playwright: Playwright, *extra: str) -> Browser:
    """Debian's Chromium, headless; never a downloaded browser."""
    return playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[*CHROMIUM_ARGS, *extra])


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One browser for the module; each test gets its own context."""
    launched = launch(playwright)
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile: empty sessionStorage, no history."""
    ctx = browser.new_context()
    ctx.set_default_timeout(TIMEOUT)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """One tab."""
    return context.new_page()


def protected(catalogue: Catalogue) -> list[Incident]:
    """The example's protected incidents."""
    return [i for i in catalogue.incidents if not i.is_public]


def url_of(server: Server, incident: Incident) -> str:
    """An incident page's URL, no key."""
    return server.url + keys.incident_path(SECRET, incident.id)


def assert_opened(page: Page, incident: Incident) -> None:
    """The incident is shown; the locked state is gone."""
    expect(page.locator(CONTENT)).to_be_visible()
    expect(page.locator(CONTENT)).to_contain_text(incident.title)
    expect(page.locator("[data-sitrep-locked]")).to_be_hidden()


def assert_shut(page: Page, incident: Incident) -> None:
    """Nothing of the incident is on screen or in the DOM."""
    expect(page.locator(CONTENT)).to_be_hidden()
    assert incident.title not in page.content()
    assert incident.title not in page.locator("body").inner_text()


def unlock(page: Page, passphrase: str) -> None:
    """Type a passphrase into the page's form and submit it."""
    form = page.locator("form[data-sitrep-form]")
    form.locator("input").fill(passphrase)
    form.locator("button[type=submit]").click()


def test_secure_link_opens_its_incident_and_leaves_the_address_bar(
        page: Page, server: Server, catalogue: Catalogue) -> None:
    incident = protected(catalogue)[0]
    link = keys.secure_link(server.url, SECRET, incident.id)
    page.goto(link)
    assert_opened(page, incident)
    fragment = link.split("#")[1]
    assert page.url == url_of(server, incident)
    assert fragment not in page.evaluate("location.href") and not page.evaluate("location.hash")
    # Neutral tab title: the browser's history never stores what the incident is.
    assert incident.title not in page.title()
    expect(page.get_by_role("button", name="Lock")).to_be_visible()


def test_one_incidents_link_does_not_open_another(page: Page, server: Server, catalogue: Catalogue) -> None:
    first, second = protected(catalogue)[:2]
    key = keys.b64url(keys.link_secret(SECRET, first.id))
    page.goto(url_of(server, second) + "#" + key)
    expect(page.locator(MESSAGE)).to_contain_text("This link does not open this page")
    assert_shut(page, second)
    assert key not in page.url


def test_client_passphrase_opens_its_incidents_and_no_others(
        page: Page, server: Server, catalogue: Catalogue) -> None:
    page.goto(server.url + keys.client_path(SECRET, "dlca"))
    unlock(page, CLIENTS["dlca"])
    expect(page.locator(CONTENT)).to_contain_text(catalogue.clients["dlca"].name)
    for incident in protected(catalogue):
        page.goto(url_of(server, incident))
        if "dlca" in incident.clients:
            assert_opened(page, incident)  # remembered: no second prompt
        else:
            expect(page.locator("form[data-sitrep-form]")).to_be_visible()
            assert_shut(page, incident)
    for other in ("hbs", "mwl"):
        page.goto(server.url + keys.client_path(SECRET, other))
        expect(page.locator("form[data-sitrep-form]")).to_be_visible()
        assert catalogue.clients[other].name not in page.content()


def test_staff_passphrase_on_the_landing_page_opens_everything(
        page: Page, server: Server, catalogue: Catalogue) -> None:
    page.goto(server.url)
    unlock(page, STAFF)
    page.wait_for_url(server.url + keys.staff_path(SECRET))
    expect(page.locator(CONTENT)).to_be_visible()
    for incident in protected(catalogue):
        page.goto(url_of(server, incident))
        assert_opened(page, incident)
    for client_id, client in catalogue.clients.items():
        page.goto(server.url + keys.client_path(SECRET, client_id))
        expect(page.locator(CONTENT)).to_contain_text(client.name)


def test_client_passphrase_on_the_landing_page_leads_to_its_overview(page: Page, server: Server) -> None:
    page.goto(server.url)
    unlock(page, CLIENTS["hbs"])
    page.wait_for_url(server.url + keys.client_path(SECRET, "hbs"))
    expect(page.locator(CONTENT)).to_contain_text("Harbour Bay Surgery")
    # Back on the landing page, it offers the way straight there, and Lock.
    page.goto(server.url)
    expect(page.locator("[data-sitrep-overview]")).to_have_attribute(
        "href", server.url + keys.client_path(SECRET, "hbs"))


def test_wrong_passphrase_says_so_and_shows_nothing(page: Page, server: Server, catalogue: Catalogue) -> None:
    incident = protected(catalogue)[0]
    page.goto(url_of(server, incident))
    unlock(page, "not-the-pass-phrase")
    expect(page.locator(MESSAGE)).to_have_text(
        "Wrong passphrase: it does not open this page. Nothing is shown.")
    assert_shut(page, incident)
    # Another client's (real) passphrase is just as wrong here.
    other = next(c for c in CLIENTS if c not in incident.clients)
    unlock(page, CLIENTS[other])
    expect(page.locator(MESSAGE)).to_contain_text("Wrong passphrase")
    assert_shut(page, incident)
    assert page.evaluate("sessionStorage.length") == 0
    page.goto(server.url)
    unlock(page, "not-the-pass-phrase")
    expect(page.locator(MESSAGE)).to_have_text("Wrong passphrase. Check it and try again.")
    assert page.url == server.url


def test_session_remembers_across_pages_and_lock_forgets(
        page: Page, server: Server, catalogue: Catalogue) -> None:
    mine = [i for i in protected(catalogue) if "dlca" in i.clients]
    page.goto(url_of(server, mine[0]))
    unlock(page, CLIENTS["dlca"])
    assert_opened(page, mine[0])
    page.goto(url_of(server, mine[1]))
    assert_opened(page, mine[1])
    page.get_by_role("button", name="Lock").click()
    expect(page.locator("form[data-sitrep-form]")).to_be_visible()
    assert_shut(page, mine[1])
    assert page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('sitrep'))") == []
    page.goto(url_of(server, mine[0]))
    expect(page.locator("form[data-sitrep-form]")).to_be_visible()


def test_a_link_survives_a_reload_in_the_same_tab(page: Page, server: Server, catalogue: Catalogue) -> None:
    incident = protected(catalogue)[1]
    page.goto(keys.secure_link(server.url, SECRET, incident.id))
    assert_opened(page, incident)
    page.reload()
    assert_opened(page, incident)


def test_server_never_sees_a_key(browser: Browser, example_site: Path, catalogue: Catalogue) -> None:
    server = Server(example_site)
    try:
        ctx = browser.new_context()
        ctx.set_default_timeout(TIMEOUT)
        tab = ctx.new_page()
        links = [keys.secure_link(server.url, SECRET, i.id) for i in protected(catalogue)]
        for link in links:
            tab.goto(link)
            expect(tab.locator(CONTENT)).to_be_visible()
            tab.locator("a[href]").first.click()  # a Referer from an unlocked page
        tab.goto(server.url)
        unlock(tab, STAFF)
        tab.wait_for_url("**/s/**")
        ctx.close()
    finally:
        server.close()
    log = "\n".join(server.log)
    assert "GET /" + keys.incident_path(SECRET, protected(catalogue)[0].id) in log
    secrets = [link.split("#")[1] for link in links] + [STAFF, SECRET, *CLIENTS.values()]
    secrets += [keys.b64url(keys.staff_key(SECRET)), protect.b64(keys.staff_key(SECRET))]
    for value in secrets:
        assert value not in log


def test_tampered_page_shows_an_error_and_nothing(
        browser: Browser, example_site: Path, tmp_path: Path, catalogue: Catalogue) -> None:
    site = tmp_path / "site"
    shutil.copytree(example_site, site)
    incident = protected(catalogue)[0]
    path = site / keys.incident_path(SECRET, incident.id) / "index.html"
    html = path.read_text(encoding="utf-8")
    data = protect.payload_of(html)
    assert data is not None
    raw = bytearray(protect.unb64(str(data["c"])))
    raw[40] ^= 0x01
    path.write_text(html.replace(str(data["c"]), protect.b64(bytes(raw))), encoding="utf-8")
    server = Server(site)
    try:
        ctx = browser.new_context()
        ctx.set_default_timeout(TIMEOUT)
        tab = ctx.new_page()
        tab.goto(keys.secure_link(server.url, SECRET, incident.id))
        expect(tab.locator(MESSAGE)).to_be_visible()
        assert_shut(tab, incident)
        unlock(tab, STAFF)  # the key unwraps, the content does not open
        expect(tab.locator(MESSAGE)).to_contain_text("encrypted content was changed or damaged")
        assert_shut(tab, incident)
        ctx.close()
    finally:
        server.close()


def test_without_javascript_the_page_says_it_is_needed(
        playwright: Playwright, server: Server, catalogue: Catalogue) -> None:
    # Playwright's java_script_enabled=False still parses <noscript> as if scripts ran;
    # Chromium's own setting turns scripting off the way a reader's browser does.
    no_js = launch(playwright, "--blink-settings=scriptEnabled=false")
    try:
        tab = no_js.new_page()
        tab.goto(url_of(server, protected(catalogue)[0]))
        text = tab.locator("body").inner_text()
        assert "JavaScript is needed" in text and "This page is encrypted" in text
        assert protected(catalogue)[0].title not in tab.content()
    finally:
        no_js.close()


def test_link_from_an_earlier_build_still_opens_after_a_rebuild(browser: Browser, tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo")
    old_id = "2026-11-24-dlca-email-delays"
    assert mkdocs_build(repo).returncode == 0
    (repo / "incidents" / "2026-12-03-dlca-printing.md").write_text(
        "---\ntitle: Printing unavailable at head office\nclient: dlca\nseverity: minor\n"
        "started: 2026-12-03T08:10:00+00:00\nupdates:\n  - at: 2026-12-03T08:20:00+00:00\n"
        "    status: investigating\n    message: Printers at head office are not responding.\n---\n"
        "Printing is unavailable.\n", encoding="utf-8")
    result = mkdocs_build(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    server = Server(repo / "site")
    try:
        ctx = browser.new_context()
        ctx.set_default_timeout(TIMEOUT)
        tab = ctx.new_page()
        tab.goto(keys.secure_link(server.url, SECRET, old_id))
        expect(tab.locator(CONTENT)).to_contain_text("Inbound email delayed by up to 40 minutes")
        tab.goto(keys.secure_link(server.url, SECRET, "2026-12-03-dlca-printing"))
        expect(tab.locator(CONTENT)).to_contain_text("Printing unavailable at head office")
        ctx.close()
    finally:
        server.close()
