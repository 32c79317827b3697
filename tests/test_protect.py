"""Encryption of protected pages: real AES-GCM and PBKDF2, real builds of the example site."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT, TEST_SECRETS, copy_repo, mkdocs_build, read_page

from generator import keys, protect
from generator.config import load_settings
from generator.model import Catalogue
from generator.pages import GeneratedPage
from generator.validate import validate

SECRET = TEST_SECRETS["SITREP_SITE_SECRET"]
PASSPHRASES = {"staff": TEST_SECRETS["SITREP_STAFF_PASSPHRASE"],
               **json.loads(TEST_SECRETS["SITREP_CLIENT_PASSPHRASES"])}
HTML = "<h1>Remote Access server failure</h1>\n<p>Partners cannot connect — café \\ “quotes”.</p>"


def incident_page(incident_id: str = "a", clients: tuple[str, ...] = ("dlca",)) -> GeneratedPage:
    """A protected incident page as pages.py makes it."""
    url = keys.incident_path(SECRET, incident_id)
    return GeneratedPage(url + "index.md", "", "incident", True, incident_id, clients)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    """The example incidents."""
    found, _problems = validate(load_settings(ROOT / "mkdocs.yml"))
    return found


def built(site_dir: Path, url: str) -> dict[str, object]:
    """The payload of a built page."""
    data = protect.payload_of((site_dir / url / "index.html").read_text(encoding="utf-8"))
    assert data is not None, f"{url} is not protected"
    return data


def test_round_trip_for_staff_and_allowed_clients() -> None:
    page = incident_page(clients=("dlca", "hbs"))
    data = protect.payload(SECRET, page, HTML)
    for reader in (keys.staff_key(SECRET), keys.client_key(SECRET, "dlca"), keys.client_key(SECRET, "hbs")):
        assert protect.open_payload(data, reader) == HTML
    assert protect.open_with_page_key(data, keys.incident_key(SECRET, "a")) == HTML


def test_ciphertext_holds_no_plaintext() -> None:
    text = json.dumps(protect.payload(SECRET, incident_page(), HTML))
    assert "Remote" not in text and "Partners" not in text


def test_wrong_keys_fail() -> None:
    data = protect.payload(SECRET, incident_page("a", ("dlca",)), HTML)
    with pytest.raises(protect.ProtectError):
        protect.open_payload(data, keys.client_key(SECRET, "mwl"))
    with pytest.raises(protect.ProtectError):
        protect.open_with_page_key(data, keys.incident_key(SECRET, "b"))
    with pytest.raises(protect.ProtectError):
        protect.open_payload(data, keys.staff_key("another-site-secret-0123456789-abcdefgh"))


def flip(b64_text: str, at: int) -> str:
    """``b64_text`` with one byte of what it encodes changed."""
    raw = bytearray(protect.unb64(b64_text))
    raw[at] ^= 0x01
    return protect.b64(bytes(raw))


@pytest.mark.parametrize("at", [0, 20, -1])  # nonce, ciphertext, tag
def test_tampered_ciphertext_fails(at: int) -> None:
    data = protect.payload(SECRET, incident_page(), HTML)
    data["c"] = flip(str(data["c"]), at)
    with pytest.raises(protect.ProtectError):
        protect.open_payload(data, keys.staff_key(SECRET))
    with pytest.raises(protect.ProtectError):
        protect.open_with_page_key(data, keys.incident_key(SECRET, "a"))


def test_tampered_wraps_fail() -> None:
    data = protect.payload(SECRET, incident_page(), HTML)
    wraps = data["w"]
    assert isinstance(wraps, list)
    data["w"] = [flip(w, 30) for w in wraps]
    with pytest.raises(protect.ProtectError):
        protect.open_payload(data, keys.staff_key(SECRET))


def test_payload_moved_to_another_url_fails() -> None:
    """The URL is the associated data: a payload copied to another page's URL does not open."""
    data = protect.payload(SECRET, incident_page("a"), HTML)
    other = keys.incident_path(SECRET, "b")
    with pytest.raises(protect.ProtectError):
        protect.open_payload(data, keys.staff_key(SECRET), url=other)
    with pytest.raises(protect.ProtectError):
        protect.open_with_page_key(data, keys.incident_key(SECRET, "a"), url=other)
    # Wraps carry the URL too: moving the whole page does not help the page key either.
    with pytest.raises(protect.ProtectError):
        protect.unseal(keys.incident_key(SECRET, "a"), protect.unb64(str(data["c"])),
                       protect.page_aad(other))


def test_every_encryption_uses_a_fresh_nonce() -> None:
    first = protect.payload(SECRET, incident_page(), HTML)
    second = protect.payload(SECRET, incident_page(), HTML)
    assert first["c"] != second["c"] and first["w"] != second["w"]


def test_link_key_opens_only_its_incident(example_site: Path, catalogue: Catalogue) -> None:
    protected = [i for i in catalogue.incidents if not i.is_public]
    assert len(protected) >= 2
    for incident in protected:
        link_key = keys.incident_key(SECRET, incident.id)
        for other in protected:
            data = built(example_site, keys.incident_path(SECRET, other.id))
            if other.id == incident.id:
                assert incident.title in protect.open_with_page_key(data, link_key)
            else:
                with pytest.raises(protect.ProtectError):
                    protect.open_with_page_key(data, link_key)
        # Nor any overview page.
        for overview in [keys.staff_path(SECRET), *(keys.client_path(SECRET, c) for c in catalogue.clients)]:
            with pytest.raises(protect.ProtectError):
                protect.open_with_page_key(built(example_site, overview), link_key)


def test_client_key_opens_only_its_clients_pages(example_site: Path, catalogue: Catalogue) -> None:
    for client_id in catalogue.clients:
        reader = keys.client_key(SECRET, client_id)
        for incident in (i for i in catalogue.incidents if not i.is_public):
            data = built(example_site, keys.incident_path(SECRET, incident.id))
            if client_id in incident.clients:
                assert incident.title in protect.open_payload(data, reader)
            else:
                with pytest.raises(protect.ProtectError):
                    protect.open_payload(data, reader)
        for other in catalogue.clients:
            data = built(example_site, keys.client_path(SECRET, other))
            if other == client_id:
                assert catalogue.clients[other].name in protect.open_payload(data, reader)
            else:
                with pytest.raises(protect.ProtectError):
                    protect.open_payload(data, reader)
        with pytest.raises(protect.ProtectError):
            protect.open_payload(built(example_site, keys.staff_path(SECRET)), reader)


def test_every_page_is_protected_unless_public_and_staff_opens_them_all(
        example_site: Path, catalogue: Catalogue) -> None:
    public = {"", "404.html", *(keys.incident_path(SECRET, i.id) for i in catalogue.incidents if i.is_public)}
    protected = 0
    for path in example_site.rglob("*.html"):
        url = str(path.relative_to(example_site)).removesuffix("index.html")
        data = protect.payload_of(path.read_text(encoding="utf-8"))
        assert (data is None) == (url in public), url
        if data is not None:
            protected += 1
            assert data["u"] == url
            assert "<h1" in protect.open_payload(data, keys.staff_key(SECRET))
    assert protected >= 1 + len(catalogue.clients) + sum(not i.is_public for i in catalogue.incidents)


def test_public_pages_stay_in_clear(example_site: Path, catalogue: Catalogue) -> None:
    landing = (example_site / "index.html").read_text(encoding="utf-8")
    assert protect.payload_of(landing) is None
    for incident in (i for i in catalogue.incidents if i.is_public):
        html = (example_site / keys.incident_path(SECRET, incident.id) / "index.html").read_text("utf-8")
        assert protect.payload_of(html) is None and incident.title in html
        assert protect.reveal(html, SECRET) == html


def test_reveal_puts_the_body_back_in_place(example_site: Path, catalogue: Catalogue) -> None:
    incident = next(i for i in catalogue.incidents if not i.is_public)
    html = read_page(example_site, keys.incident_path(SECRET, incident.id))
    assert incident.title in html and 'id="sitrep-payload"' not in html
    assert html.index("data-sitrep-content") < html.index(incident.title)


def test_keyring_leads_each_passphrase_to_its_own_overview(example_site: Path) -> None:
    ring = json.loads((example_site / protect.KEYRING_FILE).read_text(encoding="utf-8"))
    assert ring["i"] == keys.PBKDF2_ITERATIONS == 600_000
    salt = protect.unb64(ring["s"])
    for owner, passphrase in PASSPHRASES.items():
        pkey = keys.passphrase_key(passphrase, salt)
        opened = []
        for entry in ring["e"]:
            try:
                reader = protect.unseal(pkey, protect.unb64(entry["p"]), protect.KEYRING_AAD)
            except protect.ProtectError:
                continue
            opened.append(protect.unseal(reader, protect.unb64(entry["u"]), protect.OVERVIEW_AAD).decode())
        expected = keys.staff_path(SECRET) if owner == "staff" else keys.client_path(SECRET, owner)
        assert opened == [expected]
    wrong = keys.passphrase_key("not-a-pass-phrase", salt)
    for entry in ring["e"]:
        with pytest.raises(protect.ProtectError):
            protect.unseal(wrong, protect.unb64(entry["p"]), protect.KEYRING_AAD)


def test_keyring_names_no_client(example_site: Path, catalogue: Catalogue) -> None:
    text = (example_site / protect.KEYRING_FILE).read_text(encoding="utf-8")
    for client in catalogue.clients.values():
        assert client.name not in text and keys.client_slug(SECRET, client.id) not in text
    assert keys.staff_slug(SECRET) not in text and "staff" not in text
    data = json.loads(text)
    assert set(data) == {"v", "s", "i", "e"} and len(data["e"]) == len(PASSPHRASES)
    assert all(set(entry) == {"p", "u"} for entry in data["e"])


def test_passphrase_key_ignores_surrounding_spaces_and_unicode_form() -> None:
    salt = keys.passphrase_salt(SECRET)
    assert keys.passphrase_key(" café-pass \n", salt) == keys.passphrase_key("cafe\u0301-pass", salt)
    assert keys.passphrase_key("café-pass", salt) != keys.passphrase_key("cafe-pass", salt)


def test_passphrase_keys_derive_each_passphrase_once(secrets_env: dict[str, str]) -> None:
    from generator.secrets import Secrets

    # A client called "staff" is still a client, not the staff.
    shared = Secrets(SECRET, "same-pass-phrase", {"dlca": "same-pass-phrase", "hbs": "hbs-pass-phrase",
                                                  "staff": "other-pass-phrase"})
    derivations = protect.PassphraseKeys(shared)
    assert len(derivations._futures) == 3
    got = derivations.get()
    salt = keys.passphrase_salt(SECRET)
    assert got[protect.STAFF] == got["dlca"] == keys.passphrase_key("same-pass-phrase", salt)
    assert got["hbs"] == keys.passphrase_key("hbs-pass-phrase", salt)
    assert got["staff"] == keys.passphrase_key("other-pass-phrase", salt) != got[protect.STAFF]


def test_derived_values_are_stable() -> None:
    """Slugs and links in SMS already sent depend on these: they never change."""
    assert keys.incident_slug(SECRET, "2017-08-14-dlca-remote-access") == keys.incident_slug(
        SECRET, "2017-08-14-dlca-remote-access")
    link = keys.secure_link("https://status.example.com", SECRET, "x")
    assert link == ("https://status.example.com/" + keys.incident_path(SECRET, "x") + "#"
                    + keys.b64url(keys.link_secret(SECRET, "x")))
    assert len(keys.b64url(keys.link_secret(SECRET, "x"))) == 22  # short enough for one SMS
    assert keys.key_from_link_secret(keys.link_secret(SECRET, "x")) == keys.incident_key(SECRET, "x")
    assert len(keys.incident_key(SECRET, "x")) == 32
    assert len({keys.incident_key(SECRET, "x"), keys.client_key(SECRET, "x"),
                keys.page_key(SECRET, "x"), keys.staff_key(SECRET)}) == 4


def test_protected_pages_show_nothing_of_themselves(example_site: Path, catalogue: Catalogue) -> None:
    """<title>, meta description, TOC and header hold only neutral words."""
    for incident in (i for i in catalogue.incidents if not i.is_public):
        html = (example_site / keys.incident_path(SECRET, incident.id) / "index.html").read_text("utf-8")
        title = re.search(r"<title>(.*?)</title>", html, re.S)
        assert title is not None and incident.title not in title.group(1)
        assert 'name="description"' not in html
        assert 'data-md-component="toc"' not in html  # no TOC list rendered in clear
        assert 'name="robots" content="noindex' in html
        assert "<noscript>" in html and "JavaScript is needed" in html


def test_sitemap_lists_only_public_pages(example_site: Path, catalogue: Catalogue) -> None:
    sitemap = (example_site / "sitemap.xml").read_text(encoding="utf-8")
    for incident in catalogue.incidents:
        listed = keys.incident_path(SECRET, incident.id) in sitemap
        assert listed == incident.is_public
    assert "/c/" not in sitemap and "/s/" not in sitemap


def test_a_build_writes_no_secret_to_disk(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo")
    assert mkdocs_build(repo).returncode == 0
    everything = b"".join(p.read_bytes() for p in repo.rglob("*") if p.is_file())
    for value in (SECRET, *PASSPHRASES.values()):
        assert value.encode() not in everything
    assert keys.b64url(keys.staff_key(SECRET)).encode() not in everything
    assert not (repo / ".sitrep").exists()
