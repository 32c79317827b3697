"""`sitrep import cstate`: a cState fixture site imported into a copy of the example repository."""

from __future__ import annotations

import contextlib
import difflib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import TEST_NOW, TEST_SECRETS, copy_repo, mkdocs_build, read_page

from generator.cli import main
from generator.clients_edit import add_components, scalar
from generator.cstate import read_systems
from generator.keys import incident_path
from generator.load import parse_clients
from generator.yamlsource import LineLoader

FIXTURE = Path(__file__).parent / "fixtures" / "cstate"
SITE = FIXTURE / "site"
EXPECTED = FIXTURE / "expected"

REPORT = """\
content/issues/2026-03-02-scanners-down.md -> incidents/2026-03-02-scanners-down.md
  line 17: kept in the body (no known status word): *Escalated* - The wireless vendor has…
content/issues/2026-04-10-email-delays.md -> incidents/2026-04-10-email-delays.md
  line 3: started moved back to the first update, 2026-04-10T13:15:00+00:00
  line 6: affected 'Customer Portal' is not a system in config.yml: imported as component 'customer-portal'
  line 10: kept in the body (no track time): *Update* - Messages are flowing again,…
content/issues/2026-05-14-vpn-firmware.md -> incidents/2026-05-14-vpn-firmware.md
  line 4: a 'completed' update added at 2026-05-15T00:30:00+00:00, the time of resolvedWhen
content/issues/2026-06-01-network-upgrade.md -> incidents/2026-06-01-network-upgrade.md
  no updates in the body: a first 'investigating' update made from the title, dated at the post's date
  line 3: date 2026-06-01 has no time: taken as 00:00 UTC
  line 4: a 'resolved' update added at 2026-06-01T09:15:00+00:00, the time of resolvedWhen
  line 7: affected 'warehouse management' is spelt differently in config.yml: taken as 'warehouse'
content/issues/2026-07-20-portal-launch.md -> incidents/2026-07-20-portal-launch.md
  no updates in the body: one 'completed' update made from the date and title
  line 4: informational post: imported as maintenance, completed at its date
  line 5: field 'description' not imported (sitrep has no such field)
content/issues/2026-08-01-depot-move.md: skipped: draft: true (cState does not publish drafts)
content/issues/2026-12-24-christmas-hours.md -> incidents/2026-12-24-christmas-hours.md
  no updates in the body: a first 'scheduled' update made from the title, dated now (the date is ahead)
  line 4: informational post: imported as maintenance, scheduled (its date is ahead)
  line 5: pin: true not imported (sitrep pins nothing; open incidents come first)
"""


@dataclass
class Run:
    """One run of the command: exit status and what it printed."""

    status: int
    out: str
    err: str


def sitrep(*argv: str) -> Run:
    """``sitrep ARGV`` in this process, its output captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return Run(status, out.getvalue(), err.getvalue())


@dataclass
class Imported:
    """The example repository after importing the fixture site, and its files before."""

    root: Path
    run: Run
    before: dict[str, str]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    """The fixture imported once for client mwl, with --write-clients, as of the test clock."""
    root = copy_repo(tmp_path_factory.mktemp("cstate") / "repo")
    before = {p.name: p.read_text(encoding="utf-8") for p in (root / "incidents").iterdir()}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setenv("SITREP_NOW", TEST_NOW)
        run = sitrep("import", "cstate", str(SITE), "--client", "mwl", "--write-clients")
    yield Imported(root, run, before)


@pytest.fixture
def in_repo(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the example repository as the working directory, at the test clock."""
    monkeypatch.chdir(repo)
    monkeypatch.setenv("SITREP_NOW", TEST_NOW)
    return repo


def new_files(repo: Path, before: set[str]) -> set[str]:
    """Names of incident files that were not there before."""
    return {p.name for p in (repo / "incidents").glob("*.md")} - before


def test_imported_files_are_the_expected_files(imported: Imported) -> None:
    assert imported.run.status == 0, imported.run.err
    expected = {p.name for p in EXPECTED.glob("*.md")}
    assert new_files(imported.root, set(imported.before)) == expected
    for name in sorted(expected):
        assert (imported.root / "incidents" / name).read_bytes() == (EXPECTED / name).read_bytes(), name


def test_report_names_what_could_not_be_mapped_file_by_file(imported: Imported) -> None:
    assert imported.run.out == REPORT
    assert "imported 6 cState issues into incidents/ for mwl, skipped 1" in imported.run.err
    assert "added 2 components to incidents/clients.yml" in imported.run.err


def test_clients_yml_gains_only_the_missing_components(imported: Imported) -> None:
    after = (imported.root / "incidents" / "clients.yml").read_text(encoding="utf-8")
    changes = [line for line in difflib.ndiff(imported.before["clients.yml"].splitlines(),
                                              after.splitlines()) if line[:1] in "+-"]
    assert changes == ["+     handheld-scanners: Handheld Scanners", "+     customer-portal: Customer Portal"]
    clients, problems = parse_clients(after, "clients.yml")
    assert problems == []
    assert list(clients["mwl"].components)[-2:] == ["handheld-scanners", "customer-portal"]


def test_imported_repository_validates(imported: Imported, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(imported.root)
    run = sitrep("validate")
    assert run.status == 0, run.out
    assert run.out == ""


def test_imported_repository_builds_with_mkdocs(imported: Imported) -> None:
    result = mkdocs_build(imported.root)
    assert result.returncode == 0, result.stderr
    page = read_page(imported.root / "site",
                     incident_path(TEST_SECRETS["SITREP_SITE_SECRET"], "2026-03-02-scanners-down"))
    assert "picking has caught up" in page
    assert "The wireless vendor has sent an engineer to the depot. (2026-03-02 08:55 UTC)" in page


def test_existing_files_are_kept_unless_forced(in_repo: Path) -> None:
    assert sitrep("import", "cstate", str(SITE), "--client", "mwl", "--write-clients").status == 0
    target = in_repo / "incidents" / "2026-04-10-email-delays.md"
    target.write_text(target.read_text(encoding="utf-8") + "Edited after the import.\n", encoding="utf-8")
    refused = sitrep("import", "cstate", str(SITE), "--client", "mwl")
    assert refused.status == 1
    assert refused.err.startswith("sitrep: 6 incident files exist already: incidents/2026-03-02-")
    assert refused.err.rstrip().endswith("(run again with --force to replace them)")
    assert "Edited after the import." in target.read_text(encoding="utf-8")
    assert sitrep("import", "cstate", str(SITE), "--client", "mwl", "--force").status == 0
    assert target.read_bytes() == (EXPECTED / target.name).read_bytes()


def test_missing_components_without_write_clients_write_nothing(in_repo: Path) -> None:
    clients_before = (in_repo / "incidents" / "clients.yml").read_bytes()
    before = {p.name for p in (in_repo / "incidents").iterdir()}
    run = sitrep("import", "cstate", str(SITE), "--client", "mwl")
    assert run.status == 1
    assert run.out.endswith("components of 'mwl' to add to incidents/clients.yml:\n"
                            "    handheld-scanners: Handheld Scanners\n"
                            "    customer-portal: Customer Portal\n")
    assert run.err == ("sitrep: incidents/clients.yml lacks 2 components that the imported incidents use "
                       "(add the lines above under the components of 'mwl', or run again with "
                       "--write-clients)\n")
    assert {p.name for p in (in_repo / "incidents").iterdir()} == before
    assert (in_repo / "incidents" / "clients.yml").read_bytes() == clients_before


def test_dry_run_reports_and_writes_nothing(in_repo: Path) -> None:
    before = {p.name for p in (in_repo / "incidents").iterdir()}
    run = sitrep("import", "cstate", str(SITE), "--client", "mwl", "--dry-run", "--write-clients")
    assert run.status == 0
    assert run.out == REPORT
    assert "dry run: nothing written" in run.err
    assert {p.name for p in (in_repo / "incidents").iterdir()} == before


@pytest.mark.parametrize(("argv", "message"), [
    (["--client", "mwx"], "sitrep: unknown client 'mwx' (did you mean 'mwl'?)\n"),
    (["--client", "acme"], "sitrep: unknown client 'acme' (add it to incidents/clients.yml with its "
                           "name first, or use --client public)\n"),
])
def test_unknown_client_is_one_line(in_repo: Path, argv: list[str], message: str) -> None:
    run = sitrep("import", "cstate", str(SITE), *argv)
    assert (run.status, run.out, run.err) == (1, "", message)


def test_a_folder_that_is_not_a_cstate_site_is_one_line(in_repo: Path, tmp_path: Path) -> None:
    run = sitrep("import", "cstate", str(tmp_path), "--client", "public")
    assert (run.status, run.out) == (1, "")
    assert run.err == f"{tmp_path}: no config.yml: not a cState site (give the folder that holds " \
                      "config.yml and content/issues/)\n"


def write_site(root: Path, issues: dict[str, str]) -> Path:
    """A small cState site with one system, API, and these issue files."""
    (root / "content" / "issues").mkdir(parents=True)
    (root / "config.yml").write_text("params:\n  systems:\n    - name: API\n      category: Main\n",
                                     encoding="utf-8")
    for name, text in issues.items():
        (root / "content" / "issues" / name).write_text(text, encoding="utf-8")
    return root


def test_every_unreadable_issue_is_reported_at_once_and_nothing_written(in_repo: Path,
                                                                         tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {
        "a.md": "---\ntitle: Outage\ndate: 2017-02-30 14:30:00\nseverity: huge\n---\n",
        "b.md": '+++\ntitle = "Outage"\ndate = 2030-01-01T00:00:00Z\nseverity = "down"\n+++\n',
        "c.md": "no front matter\n",
        "d.md": "---\ntitle: Fine\ndate: 2026-01-05 10:00:00\nresolved: true\nseverity: down\n---\n",
    })
    before = {p.name for p in (in_repo / "incidents").iterdir()}
    run = sitrep("import", "cstate", str(site), "--client", "public")
    assert run.status == 1
    assert run.err.splitlines() == [
        "content/issues/a.md:3: date '2017-02-30 14:30:00' is not a date "
        "(write date: 2018-06-13 14:14:00, which is read as UTC)",
        "content/issues/a.md:4: unknown severity 'huge' (use down, disrupted or notice)",
        "content/issues/b.md:3: date 2030-01-01T00:00:00+00:00 is in the future "
        "(only maintenance, severity: notice, may start later; correct the date)",
        "content/issues/c.md:1: no front matter (a cState issue starts with '---' (YAML) or '+++' (TOML))",
    ]
    assert {p.name for p in (in_repo / "incidents").iterdir()} == before


def test_twins_get_distinct_ids_and_public_incidents_list_systems_in_the_body(in_repo: Path,
                                                                               tmp_path: Path) -> None:
    issue = ("---\ntitle: API errors\ndate: 2026-01-05 10:00:00\nresolved: true\nseverity: down\n"
             "affected: [API]\nsection: issue\n---\n\n"
             "*Resolved* - Fixed. {{< track \"2026-01-05 10:30:00\" >}}\n"
             "*Investigating* - Errors. {{< track \"2026-01-05 10:00:00\" >}}\n")
    site = write_site(tmp_path / "site", {"2026-01-05-api-errors.md": issue, "api-errors.md": issue})
    run = sitrep("import", "cstate", str(site), "--client", "public")
    assert run.status == 0, run.err
    assert "  id '2026-01-05-api-errors' is taken by another issue: written as '2026-01-05-api-errors-2'" \
        in run.out
    first = (in_repo / "incidents" / "2026-01-05-api-errors.md").read_text(encoding="utf-8")
    assert (in_repo / "incidents" / "2026-01-05-api-errors-2.md").read_text(encoding="utf-8") == first
    assert first.endswith("    status: resolved\n    message: Fixed.\n---\nAffected: API.\n")
    assert "components" not in first
    assert sitrep("validate").status == 0


CLIENTS = """\
# Our clients.
acme:
  name: Acme  # the short name
  components:
    # the web shop
    shop: Web shop

zeta:
  name: Zeta Ltd
"""


def test_add_components_keeps_every_other_line() -> None:
    text = add_components(CLIENTS, "acme", {"api": "API", "on": "On call: 24/7"}, "clients.yml")
    added = 'shop: Web shop\n    api: API\n    "on": "On call: 24/7"\n'
    assert text == CLIENTS.replace("shop: Web shop\n", added)
    text = add_components(text, "zeta", {"vpn": "VPN"}, "clients.yml")
    assert text.endswith("zeta:\n  name: Zeta Ltd\n  components:\n    vpn: VPN\n")
    clients, problems = parse_clients(text, "clients.yml")
    assert problems == []
    assert clients["acme"].components == {"shop": "Web shop", "api": "API", "on": "On call: 24/7"}


@pytest.mark.parametrize(("text", "written"), [
    ("Plain words", "Plain words"), ("We're back", "We're back"), ('a "quote"', 'a "quote"'),
    ("404", '"404"'), ("yes", '"yes"'), ("*Resolved* - done", '"*Resolved* - done"'),
    ("Fix: restart", '"Fix: restart"'), ("ends with a colon:", '"ends with a colon:"'),
    ("#hashtag", '"#hashtag"'), ("   padded ", '"   padded "'), ("Café, 24/7", "Café, 24/7"),
])
def test_scalar_is_plain_only_where_yaml_reads_it_back_unchanged(text: str, written: str) -> None:
    assert scalar(text) == written
    assert yaml.load(f"key: {written}", Loader=LineLoader) == {"key": text}


@pytest.mark.parametrize(("name", "config"), [
    ("config.yml", "params:\n  systems:\n    - API\n    - Media Proxy\n"),
    ("config.yml", "params:\n  systems:\n    - name: Core\n      systems:\n        - name: API\n"
                   "          displayName: Public API\n    - name: Media Proxy\n      category: Core\n"),
    ("config.toml", '[params]\n[[params.systems]]\nname = "API"\ndisplayName = "Public API"\n'
                    '[[params.systems]]\nname = "Media Proxy"\ncategory = "Core"\n'),
])
def test_systems_are_read_in_each_shape_cstate_has_used(tmp_path: Path, name: str, config: str) -> None:
    (tmp_path / name).write_text(config, encoding="utf-8")
    systems, notes = read_systems(tmp_path)
    assert [s.name for s in systems] == ["API", "Media Proxy"]
    assert systems[0].label in ("API", "Public API")
    assert notes == []
