"""The leak gate: passes on the example site, stops builds that leak, and says where."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, TEST_NOW, TEST_SECRETS, copy_repo, mkdocs_build, site_env

from generator import keys, leakgate, site
from generator.config import load_settings
from generator.secrets import Secrets
from generator.times import parse_time
from generator.validate import validate

SECRET = TEST_SECRETS["SITREP_SITE_SECRET"]
TITLE = "Remote Access server failure"  # a protected (dlca) incident's title
SHOWN_TITLE = "'Remote Access server fa…'"
INCIDENT = "2017-08-14-dlca-remote-access"


def example_build(root: Path = ROOT) -> site.SiteBuild:
    """A SiteBuild of a repository, with the test secrets and clock (no MkDocs run)."""
    settings = load_settings(root / "mkdocs.yml")
    now = parse_time(TEST_NOW)
    catalogue, _problems = validate(settings, now=now)
    secrets = Secrets(SECRET, TEST_SECRETS["SITREP_STAFF_PASSPHRASE"],
                      json.loads(TEST_SECRETS["SITREP_CLIENT_PASSPHRASES"]))
    return site.SiteBuild(settings, secrets, catalogue, now, public_sources=["Service status"])


def add_to_main_html(repo: Path, blocks: str) -> None:
    """A theme override in the copied repository, as a careless customisation would add it."""
    main = repo / "overrides" / "main.html"
    main.write_text(main.read_text(encoding="utf-8") + "\n" + blocks + "\n", encoding="utf-8")


def failed_build(repo: Path) -> str:
    """Build ``repo``, expect the leak gate to stop it, and return what it said."""
    result = mkdocs_build(repo)
    said = result.stdout + result.stderr  # MkDocs prints an Abort's message on stdout
    assert result.returncode != 0, "the build should have been stopped"
    assert "leak gate" in said, said
    assert "Traceback" not in said
    return said


def test_example_site_passes(example_site: Path) -> None:
    """The session build ran the gate (the fixture asserts success); run it again directly."""
    leakgate.check_for_leaks(example_build(), example_site)
    assert (example_site / "keyring.json").is_file()


def test_override_printing_page_markdown_is_caught(repo: Path) -> None:
    add_to_main_html(repo, "{% block announce %}{{ page.markdown if page else '' }}{% endblock %}")
    said = failed_build(repo)
    pages = len(list((repo / "site").rglob("*.html")))
    # Every protected page is named: the first file, the others counted.
    protected = pages - 3  # the landing page, the 404 page and the public incident are in clear
    assert f"index.html and {protected - 1} other files: 'sitrepcanary" in said, said
    # page.markdown holds the engineer's prose (sitrep's own HTML rides beside it): caught too.
    assert "'Test with two partners …'" in said, said


def test_title_in_every_page_is_caught_with_file_and_string(repo: Path) -> None:
    add_to_main_html(repo, "{% block announce %}" + TITLE + "{% endblock %}")
    said = failed_build(repo)
    # Every page has it: the first file is named, the others counted.
    others = len(list((repo / "site").rglob("*.html"))) - 1
    expected = f"site/404.html and {others} other files: {SHOWN_TITLE} (title of {INCIDENT})"
    assert expected in said
    assert TITLE not in said  # truncated: the log shows enough to find it, no more


def test_generated_page_bug_is_caught(repo: Path) -> None:
    """A page generator that lets a client name onto the public landing page."""
    (repo / "hooks" / "bug.py").write_text(
        "def on_page_markdown(markdown, page, config, files):\n"
        "    if page.file.src_uri == 'index.md':\n"
        "        return markdown + '\\n\\nToday: Harbour Bay Surgery\\n'\n"
        "    return markdown\n", encoding="utf-8")
    config = repo / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  - hooks/sitrep.py", "  - hooks/sitrep.py\n  - hooks/bug.py"), encoding="utf-8")
    said = failed_build(repo)
    assert "site/index.html: 'Harbour Bay Surgery' (name of client hbs)" in said, said


def test_leak_into_compressed_sitemap_is_caught(repo: Path) -> None:
    sitemap = repo / "overrides" / "sitemap.xml"
    sitemap.write_text(sitemap.read_text(encoding="utf-8").replace(
        "</urlset>", "{% for file in pages %}<!-- {{ file.page.markdown }} -->{% endfor %}</urlset>"),
        encoding="utf-8")
    said = failed_build(repo)
    assert "site/sitemap.xml and 1 other file: 'sitrepcanary" in said, said


def test_secrets_are_caught_but_never_printed(repo: Path) -> None:
    passphrase = TEST_SECRETS["SITREP_STAFF_PASSPHRASE"]
    add_to_main_html(repo, "{% block announce %}" + passphrase + "{% endblock %}")
    said = failed_build(repo)
    assert "SITREP_STAFF_PASSPHRASE" in said and passphrase not in said


def test_secure_link_written_into_a_page_is_caught(repo: Path) -> None:
    link = keys.secure_link("https://status.example.com/", SECRET, "2026-11-24-dlca-email-delays")
    add_to_main_html(repo, '{% block announce %}<a href="' + link + '">x</a>{% endblock %}')
    said = failed_build(repo)
    assert "the secure-link secret of 2026-11-24-dlca-email-delays" in said
    assert link.split("#")[1] not in said


def test_text_shared_with_a_public_incident_is_not_a_leak(repo: Path) -> None:
    """Text that a public incident also publishes is public: the gate does not trip on it."""
    public_message = "Maintenance is complete and the line is working."
    path = repo / "incidents" / "2026-11-24-dlca-email-delays.md"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Nothing was lost.", "Nothing was lost.\n  - at: 2026-11-24T14:10:00+00:00\n"
        f"    status: resolved\n    message: {public_message}"), encoding="utf-8")
    build = example_build(repo)
    public = leakgate.public_text(build.catalogue, build.public_sources)
    texts = {n.text for n in leakgate.text_needles(build.catalogue, public)}
    assert leakgate.normalise(public_message) not in texts
    assert leakgate.normalise("Inbound email delayed by up to 40 minutes") in texts
    result = mkdocs_build(repo)
    assert result.returncode == 0, result.stderr


def test_matching_sees_through_case_spacing_and_escaping(tmp_path: Path) -> None:
    build = example_build()
    index = leakgate.build_index(build, "sitrepcanary0123")
    cases = {
        "a.html": "<h1>REMOTE   ACCESS\n server FAILURE</h1>",
        "b.html": "<p>The server&#x27;s system disk has failed</p>",
        "c.html": "<p>The server&#39;s system disk has failed</p>",
        "d.json": json.dumps({"m": "Staff cannot connect to the Remote Access server from home"}),
        "e.txt": "https://x.example/?q=Drummond%20Laurie%20Chartered%20Accountants",
        "f.html": "<!-- sitrepcanary0123 -->",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "g.xml.gz").write_bytes(gzip.compress(b"<t>Harbour Bay Surgery</t>"))
    (tmp_path / "clean.html").write_text("<p>Service status: all good. Remote Access.</p>", encoding="utf-8")
    hits = {path.name for path, _needle in leakgate.find_leaks(tmp_path, index)}
    assert hits == {*cases, "g.xml.gz"}


def test_message_names_the_first_file_and_counts_the_others(tmp_path: Path) -> None:
    for n in range(30):
        (tmp_path / f"p{n:02d}.html").write_text(TITLE, encoding="utf-8")
    with pytest.raises(leakgate.LeakError) as caught:
        leakgate.check_for_leaks(example_build(), tmp_path)
    said = str(caught.value)
    assert "p00.html and 29 other files: " + SHOWN_TITLE in said


@pytest.mark.parametrize("missing", ["SITREP_SITE_SECRET", "SITREP_STAFF_PASSPHRASE",
                                     "SITREP_CLIENT_PASSPHRASES"])
def test_ci_build_without_a_secret_stops_naming_it(repo: Path, missing: str) -> None:
    env = site_env()
    del env[missing]
    result = mkdocs_build(repo, env)
    assert result.returncode != 0
    said = result.stdout + result.stderr
    assert missing in said and "Traceback" not in said
    assert not (repo / "site").exists() or not any((repo / "site").iterdir())
    assert not (repo / ".sitrep").exists()


def test_ci_refuses_the_unprotected_benchmark_switch(repo: Path) -> None:
    result = mkdocs_build(repo, site_env(**{site.UNPROTECTED_BENCHMARK: "1"}))
    assert result.returncode != 0 and site.UNPROTECTED_BENCHMARK in result.stdout + result.stderr


def test_unprotected_benchmark_build_warns_loudly(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo")
    env = site_env(**{site.UNPROTECTED_BENCHMARK: "1"})
    del env["CI"]
    result = mkdocs_build(repo, env)
    assert result.returncode == 0, result.stderr
    assert "NOT PROTECTED" in result.stderr
    assert TITLE in (repo / "site" / keys.incident_path(SECRET, "2017-08-14-dlca-remote-access")
                     / "index.html").read_text(encoding="utf-8")
    shutil.rmtree(repo / "site")  # never leave a clear copy lying around
