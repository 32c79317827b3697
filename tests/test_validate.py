"""Golden tests of ``sitrep validate``: one tiny repository per mistake, the exact output beside it.

Each folder of ``tests/fixtures/validate/`` is named after what is wrong in it and holds
``mkdocs.yml``, ``incidents/`` and ``expected.txt``: the lines validate must print, exactly.
An optional ``args.txt`` holds extra command-line arguments, one per line. A fixture whose
expected lines are all warnings (or none) must exit 0; any other must exit 1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
CASES = sorted(p.parent.name for p in FIXTURES.glob("*/expected.txt"))


def expected_lines(case: Path) -> list[str]:
    """The lines of ``expected.txt``."""
    return case.joinpath("expected.txt").read_text(encoding="utf-8").splitlines()


def extra_args(case: Path) -> list[str]:
    """The arguments of ``args.txt``, if any."""
    args = case / "args.txt"
    return args.read_text(encoding="utf-8").splitlines() if args.exists() else []


@pytest.mark.parametrize("name", CASES)
def test_fixture(name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    case = FIXTURES / name
    monkeypatch.chdir(case)
    status = main(["-f", str(case / "mkdocs.yml"), "validate", *extra_args(case)])
    out, err = capsys.readouterr()
    expected = expected_lines(case)
    assert out.splitlines() == expected
    assert status == (1 if any(": warning: " not in line for line in expected) else 0)
    assert "Traceback" not in err


def test_every_case_of_the_issue_has_a_fixture() -> None:
    required = {
        "invalid-yaml", "missing-file", "empty-file", "missing-front-matter", "front-matter-not-closed",
        "missing-required-field", "unknown-field-did-you-mean", "wrong-type-components", "unknown-severity",
        "unknown-status", "naive-time", "unparsable-time", "update-in-future", "updates-out-of-order",
        "eta-before-start", "resolved-then-later-update", "unknown-client", "unknown-component",
        "duplicate-id", "title-too-long", "title-line-break", "file-name-not-an-id", "not-utf8",
        "duplicate-yaml-key", "update-not-a-mapping", "clients-invalid-yaml", "clients-client-without-name",
        "clients-bad-client-id", "clients-components-not-a-mapping", "clients-public-as-id",
        "drill-with-empty-prefix", "valid-incident",
    }
    assert required <= set(CASES)


def test_every_message_says_where_what_and_how_to_fix() -> None:
    for name in CASES:
        for line in expected_lines(FIXTURES / name):
            where, _, rest = line.partition(": ")
            assert where.split(":")[0].endswith((".md", ".yml")), line
            assert rest and rest.endswith(")") and " (" in rest, line


def test_all_problems_of_a_repository_in_one_run(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Every bad incident of every fixture in one folder: each message still appears, in one run.
    root = tmp_path / "repo"
    (root / "incidents").mkdir(parents=True)
    (root / "mkdocs.yml").write_text("site_name: all\nextra:\n  status: {}\n", encoding="utf-8")
    (root / "incidents" / "clients.yml").write_bytes(
        (FIXTURES / "valid-incident" / "incidents" / "clients.yml").read_bytes())
    wanted = []
    for name in ("unknown-severity", "naive-time", "not-utf8", "update-in-future", "title-too-long"):
        source = FIXTURES / name / "incidents" / "2017-08-14-dlca-remote-access.md"
        (root / "incidents" / f"2017-08-14-{name}.md").write_bytes(source.read_bytes())
        wanted += [line.replace("2017-08-14-dlca-remote-access", f"2017-08-14-{name}")
                   for line in expected_lines(FIXTURES / name)]
    monkeypatch.chdir(root)
    assert main(["validate"]) == 1
    out, err = capsys.readouterr()
    assert sorted(out.splitlines()) == sorted(wanted)
    assert err == f"{len(wanted)} problems in 5 files\n"


def test_the_example_incidents_are_valid(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                         repo: Path) -> None:
    monkeypatch.chdir(repo)
    assert main(["validate"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.endswith(" incidents OK\n")
