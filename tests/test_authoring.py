"""``sitrep new``, ``update`` and ``resolve`` on a copy of the example repository under real git.

The diff of an update must be the added update (and the eta line when one is given), nothing
else; a refused command must leave every byte as it was.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from generator.cli import main
from generator.incident_text import yaml_flow_list, yaml_scalar
from generator.load import parse_incident
from generator.yamlsource import LineLoader

PHONES = "incidents/2026-12-02-hbs-telephony-calls-dropping.md"  # open, with an eta
EMAIL = "incidents/2026-11-24-dlca-email-delays.md"  # resolved, no eta
FILE_SERVER = "incidents/2026-12-12-dlca-file-server-maintenance.md"  # scheduled maintenance

NASTY = [
    "Status: down", "key: value: more", "# not a comment", "text # with a hash", "'single'", '"double"',
    "it's", "- leading dash", "-1", "? question", "@handle", "`tick`", "!tag", "&anchor", "*alias",
    "%percent", "|pipe", ">folded", "{brace}", "[bracket]", ", comma", "yes", "no", "on", "off", "true",
    "null", "~", "123", "0o17", "0x1F", "1e3", "1:30", ".inf", "2017-08-14", "2017-08-14T08:15:00+01:00",
    "---", "...", "Ünïcödé café ✓", "emoji 😀 here", "日本語のメッセージ", "tab\there", "back\\slash",
    "line one\nline two", "a\u2028b", "a\x85b", "bell\x07", "zero\u200bwidth", "\ufeffbom", "<<",
    "trailing colon:", "x" * 300, "a  two  spaces", "= equals", "percent % sign", "ends with backslash\\",
    "[unclosed", "{unclosed", "'unclosed", '"unclosed', "& ampersand", "multiple\n\nblank\n\nlines",
]


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` and return its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.com", GIT_COMMITTER_NAME="Test",
               GIT_COMMITTER_EMAIL="test@example.com")
    result = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return result.stdout


@pytest.fixture
def work(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example repository committed to a fresh git repository, as the working directory."""
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "Example incidents")
    monkeypatch.chdir(repo)
    return repo


def sitrep(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run a sitrep command; its exit status, stdout and stderr."""
    status = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def changed_lines(repo: Path) -> list[str]:
    """The ``+``/``-`` lines of ``git diff``, without file headers."""
    diff = git(repo, "diff", "--unified=0", "--no-color")
    return [line for line in diff.splitlines()
            if line[:1] in "+-" and not line.startswith(("+++ ", "--- "))]


def messages(path: Path) -> list[str]:
    """The messages of an incident file's updates, as the loader reads them."""
    incident, problems = parse_incident(path, path.read_text(encoding="utf-8"), path.name)
    assert incident is not None, problems
    return [u.message for u in incident.updates]


# --- new -----------------------------------------------------------------------------------


def test_new_writes_the_file_it_should(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = sitrep(capsys, "new", "--client", "mwl", "--title", "Site-to-site VPN down at Leith",
                            "--severity", "major", "--component", "vpn", "--component", "warehouse",
                            "--at", "2026-11-20T09:15:00+00:00", "--started", "2026-11-20T09:02:00+00:00",
                            "--eta", "11:00",
                            "--message", "Leith cannot reach the warehouse system: use paper.")
    assert status == 0
    path = "incidents/2026-11-20-mwl-site-to-site-vpn-down-at-leith.md"
    assert out == (f"wrote {path}\n"
                   "then: add a summary and a '## Plan of action' below the front matter\n"
                   f"next: git add {path} && git commit -m 'Declare incident: Site-to-site VPN down at Leith'"
                   " && git push\n")
    assert (work / path).read_text(encoding="utf-8") == """\
---
title: Site-to-site VPN down at Leith
client: mwl
severity: major
components: [vpn, warehouse]
started: 2026-11-20T09:02:00+00:00
eta: 2026-11-20T11:00:00+00:00
updates:
  - at: 2026-11-20T09:15:00+00:00
    status: investigating
    message: 'Leith cannot reach the warehouse system: use paper.'
---
"""
    assert sitrep(capsys, "validate")[0] == 0


def test_new_default_message_and_id(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("new", "--client", "dlca", "--title", "Email delayed", "--severity", "minor",
            "--at", "2026-07-01T09:15:00+01:00", "--eta", "+2h")
    assert sitrep(capsys, *args)[0] == 0
    path = work / "incidents/2026-07-01-dlca-email-delayed.md"
    assert messages(path) == ["We are investigating: Email delayed. Estimated fix 11:15 BST. "
                              "Next update by 09:45 BST."]
    assert "drill" not in path.read_text(encoding="utf-8")
    # The same title again gets the next free id.
    assert sitrep(capsys, *args, "--drill")[0] == 0
    second = work / "incidents/2026-07-01-dlca-email-delayed-2.md"
    assert "\ndrill: true\n" in second.read_text(encoding="utf-8")
    assert sitrep(capsys, "validate")[0] == 0


def test_new_maintenance_announces_its_window(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = sitrep(capsys, "new", "--client", "hbs", "--title", "Wi-Fi controller upgrade",
                            "--severity", "maintenance", "--component", "wifi", "--at",
                            "2026-11-02T10:00:00+00:00", "--started", "2026-11-07T08:00", "--eta", "+4h")
    assert status == 0
    assert "git commit -m 'Schedule maintenance: Wi-Fi controller upgrade'" in out
    text = (work / "incidents/2026-11-07-hbs-wi-fi-controller-upgrade.md").read_text(encoding="utf-8")
    assert "started: 2026-11-07T08:00:00+00:00\neta: 2026-11-07T12:00:00+00:00\n" in text
    assert ("    status: scheduled\n    message: 'Scheduled maintenance: Wi-Fi controller upgrade, "
            "Sat 7 Nov 2026, 08:00 GMT to 12:00 GMT.'\n") in text


def test_new_several_clients_and_a_long_title(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    title = "Internet connection lost at every site served by the Edinburgh data centre after a power cut"
    assert sitrep(capsys, "new", "--client", "dlca", "--client", "mwl", "--title", title, "--severity",
                  "critical", "--at", "2026-11-21T06:00:00+00:00")[0] == 0
    [path] = (work / "incidents").glob("2026-11-21-*.md")
    assert path.stem == "2026-11-21-dlca-internet-connection-lost-at-every-site-served-by-the-edinburgh"
    assert len(path.stem) <= 80
    assert "\nclient: [dlca, mwl]\n" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "error"), [
    (["--client", "dlcaa"], "unknown client 'dlcaa' (did you mean 'dlca'?)"),
    (["--client", "dlca", "--component", "vpn"], "unknown component 'vpn' (add it under dlca's components"),
    (["--client", "dlca", "--title", "x" * 101], "title is 101 characters long"),
    (["--client", "dlca", "--title", "two\nlines"], "title has a line break"),
    (["--client", "dlca", "--at", "2999-01-01T00:00:00+00:00"], "update at 2999-01-01T00:00:00+00:00 is in "
                                                                 "the future"),
    (["--client", "dlca", "--at", "yesterday"],
     "sitrep: --at 'yesterday' is not a valid time (write HH:MM or"),
    (["--client", "dlca", "--eta", "soon"], "sitrep: --eta 'soon' is not an ETA (write HH:MM, +90m, +2h or"),
    (["--client", "dlca", "--status", "fixed"], "update 1: unknown status 'fixed' (use investigating, "
                                                "identified, monitoring or resolved)"),
    (["--client", "dlca", "--id", "Bad Id"], "sitrep: --id 'Bad Id' is not a valid incident id"),
    (["--client", "dlca", "--id", "2026-11-24-dlca-email-delays"],
     "sitrep: incident '2026-11-24-dlca-email-delays' already exists"),
    (["--client", "dlca", "--title", " "], "sitrep: --title is empty"),
])
def test_new_refuses_and_writes_nothing(work: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                        error: str) -> None:
    base = ["new", "--severity", "major", "--title", "VPN down", "--at", "2026-11-20T09:15:00+00:00"]
    status, out, err = sitrep(capsys, *base, *args)
    assert status == 1
    assert out == ""
    assert error in err
    assert all(line.startswith(("sitrep: ", "incidents/")) for line in err.splitlines()), err
    assert git(work, "status", "--porcelain", "--untracked-files=all") == ""


def test_refusal_lists_every_problem_then_that_nothing_was_written(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = sitrep(capsys, "new", "--client", "dlca", "--severity", "major", "--title", "x" * 120,
                            "--status", "fixd", "--at", "2026-11-20T09:15:00+00:00", "--id", "too-long")
    assert status == 1
    assert err.splitlines() == [
        "incidents/too-long.md:2: title is 120 characters long "
        "(shorten it to 100; put the detail in the body)",
        "incidents/too-long.md:8: update 1: unknown status 'fixd' (use investigating, identified, "
        "monitoring or resolved)",
        "incidents/too-long.md: the new incident is not valid; nothing was written (fix the problems above, "
        "then run the command again)",
    ]


# --- update --------------------------------------------------------------------------------


def test_update_diff_is_exactly_the_added_update(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = sitrep(capsys, "update", "2026-12-02-hbs-telephony-calls-dropping", "--status",
                            "monitoring", "--message", "The trunk is replaced; calls stay up.",
                            "--at", "2026-12-02T15:30:00+00:00")
    assert status == 0
    assert out == (f"wrote {PHONES}\nnext: git add {PHONES} && git commit -m "
                   "'Update 2026-12-02-hbs-telephony-calls-dropping: monitoring' && git push\n")
    assert changed_lines(work) == [
        "+  - at: 2026-12-02T15:30:00+00:00",
        "+    status: monitoring",
        "+    message: The trunk is replaced; calls stay up.",
    ]
    assert sitrep(capsys, "validate")[0] == 0


def test_update_with_eta_changes_only_the_eta_line(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sitrep(capsys, "update", PHONES, "--status", "identified", "--message", "Carrier on site.",
                  "--at", "2026-12-02T15:30:00+00:00", "--eta", "+90m")[0] == 0
    assert changed_lines(work) == [
        "-eta: 2026-12-04T12:00:00+00:00",
        "+eta: 2026-12-02T17:00:00+00:00",
        "+  - at: 2026-12-02T15:30:00+00:00",
        "+    status: identified",
        "+    message: Carrier on site.",
    ]


def test_update_inserts_an_eta_where_there_was_none(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    email = work / EMAIL
    email.write_text(email.read_text(encoding="utf-8").replace(
        "  - at: 2026-11-24T14:05:00+00:00\n    status: resolved\n    message: The mail filter's queue has "
        "cleared and email arrives normally again. Nothing was lost.\n", ""), encoding="utf-8")
    git(work, "commit", "--quiet", "-am", "Email delays still open")
    assert sitrep(capsys, "update", "2026-11-24-dlca-email-delays", "--status", "identified", "--message",
                  "A filter rule holds mail.", "--at", "2026-11-24T13:50:00+00:00", "--eta", "14:30")[0] == 0
    assert changed_lines(work) == [
        "+eta: 2026-11-24T14:30:00+00:00",
        "+  - at: 2026-11-24T13:50:00+00:00",
        "+    status: identified",
        "+    message: A filter rule holds mail.",
    ]
    assert git(work, "diff", "--unified=0").count("@@ -6,0 +7 @@") == 1  # right after started:


@pytest.mark.parametrize(("eta", "written"), [
    ("16:30", "2026-12-02T16:30:00+00:00"),
    ("09:00", "2026-12-03T09:00:00+00:00"),  # already past at 15:30: tomorrow
    ("+90m", "2026-12-02T17:00:00+00:00"),
    ("+2h", "2026-12-02T17:30:00+00:00"),
    ("2026-12-03T12:00:00+01:00", "2026-12-03T11:00:00+00:00"),  # shown in the configured zone
    ("2026-12-03T12:00", "2026-12-03T12:00:00+00:00"),  # no offset on the command line: the zone's
    ("2026-12-03T12:00:00Z", "2026-12-03T12:00:00+00:00"),
])
def test_eta_forms(work: Path, capsys: pytest.CaptureFixture[str], eta: str, written: str) -> None:
    assert sitrep(capsys, "update", PHONES, "--status", "identified", "--message", "Carrier on site.",
                  "--at", "2026-12-02T15:30:00+00:00", "--eta", eta)[0] == 0
    assert f"\neta: {written}\n" in (work / PHONES).read_text(encoding="utf-8")


def test_times_follow_summer_time(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sitrep(capsys, "new", "--client", "dlca", "--title", "Printer queue stuck", "--severity", "minor",
                  "--at", "2026-07-01T08:15:00Z", "--eta", "11:00")[0] == 0
    text = (work / "incidents/2026-07-01-dlca-printer-queue-stuck.md").read_text(encoding="utf-8")
    assert "\nstarted: 2026-07-01T09:15:00+01:00\neta: 2026-07-01T11:00:00+01:00\n" in text


def test_at_defaults_to_now_in_the_configured_zone(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    assert sitrep(capsys, "update", PHONES, "--status", "identified", "--message", "Still on it.")[0] == 0
    after = datetime.now(UTC)
    line = changed_lines(work)[0]
    written = datetime.fromisoformat(line.removeprefix("+  - at: "))
    assert before <= written <= after
    assert written.utcoffset() == written.astimezone(ZoneInfo("Europe/London")).utcoffset()
    assert len(line.removeprefix("+  - at: ")) == len("2026-12-02T15:30:00+00:00")  # to the second


def test_tricky_messages_round_trip(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for minute, message in enumerate(NASTY):
        at = f"2026-12-02T{12 + minute // 60:02d}:{minute % 60:02d}:00+00:00"
        # --message=… : a message may start with '-', which argparse would take for an option.
        status, _, err = sitrep(capsys, "update", PHONES, "--status", "identified", f"--message={message}",
                                "--at", at)
        assert status == 0, (message, err)
    assert messages(work / PHONES)[2:] == [m.strip() for m in NASTY]
    assert sitrep(capsys, "validate")[0] == 0
    added = [line for line in changed_lines(work) if line.startswith("+    message: ")]
    assert len(added) == len(NASTY)  # each message on one line


@pytest.mark.parametrize("text", NASTY)
def test_yaml_values_read_back_exactly(text: str, tmp_path: Path) -> None:
    value = yaml_scalar(text)
    assert not any(b in value for b in "\n\r\x85\u2028\u2029")
    assert yaml.load(f"k: {value}", Loader=LineLoader) == {"k": text}
    assert yaml.load(f"k: {yaml_flow_list([text, 'b'])}", Loader=LineLoader) == {"k": [text, "b"]}
    document = ("---\ntitle: T\nclient: public\nseverity: minor\nstarted: 2017-08-14T08:15:00+01:00\n"
                "updates:\n  - at: 2017-08-14T08:20:00+01:00\n    status: investigating\n"
                f"    message: {value}\n---\n")
    incident, problems = parse_incident(tmp_path / "x.md", document, "x.md")
    assert incident is not None, problems
    assert incident.updates[0].message == text.strip()


def test_update_keeps_comments_quoting_and_odd_layout(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = work / "incidents/2026-11-30-mwl-odd-layout.md"
    odd.write_bytes(
        b"\xef\xbb\xbf---\r\n"
        b"# Written by hand, with comments\r\n"
        b"title: 'Scanners offline'   # quoted on purpose\r\n"
        b"client: mwl\r\n"
        b"severity: minor\r\n"
        b"started: 2026-11-30T06:00:00Z\r\n"
        b"eta: \"2026-11-30T09:00:00Z\"  # carrier's estimate\r\n"
        b"updates:\r\n"
        b"-   at: 2026-11-30T06:10:00Z\r\n"
        b"    status: investigating\r\n"
        b"    message: >-\r\n"
        b"      Scanners at Leith cannot\r\n"
        b"      reach the server.\r\n"
        b"\r\n"
        b"# the review follows\r\n"
        b"review:\r\n"
        b"  attendees: [Alan Reid]\r\n"
        b"---\r\n"
        b"Body text.\r\n"
        b"---\r\n"
        b"A horizontal rule above.\r\n")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "Odd layout")
    before = odd.read_bytes()
    assert sitrep(capsys, "update", odd.stem, "--status", "monitoring", "--message",
                  "Scanners back: watching.", "--at", "2026-11-30T07:00:00Z", "--eta", "08:00")[0] == 0
    after = odd.read_bytes()
    assert after == before.replace(
        b"eta: \"2026-11-30T09:00:00Z\"  # carrier's estimate\r\n",
        b"eta: 2026-11-30T08:00:00+00:00  # carrier's estimate\r\n").replace(
        b"      reach the server.\r\n",
        b"      reach the server.\r\n"
        b"-   at: 2026-11-30T07:00:00+00:00\r\n"
        b"    status: monitoring\r\n"
        b"    message: 'Scanners back: watching.'\r\n")
    assert messages(odd)[-1] == "Scanners back: watching."


def test_update_refuses_a_list_it_cannot_extend_line_by_line(work: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    flow = work / "incidents/2026-11-30-mwl-flow.md"
    flow.write_text("---\ntitle: Flow\nclient: mwl\nseverity: minor\nstarted: 2026-11-30T06:00:00Z\n"
                    "updates: [{at: 2026-11-30T06:10:00Z, status: investigating, message: Looking.}]\n---\n",
                    encoding="utf-8")
    before = flow.read_bytes()
    status, _, err = sitrep(capsys, "update", "2026-11-30-mwl-flow", "--status", "identified", "--message",
                            "Found it.", "--at", "2026-11-30T06:20:00Z")
    assert status == 1
    assert err == ("sitrep: incidents/2026-11-30-mwl-flow.md:6: updates is not a list of '- at: …' items, "
                   "one per block (write it that way to use sitrep update)\n")
    assert flow.read_bytes() == before


@pytest.mark.parametrize(("args", "error"), [
    (["--status", "fixed"],
     "incidents/2026-12-02-hbs-telephony-calls-dropping.md:16: update 3: unknown status 'fixed' (use "
     "investigating, identified, monitoring or resolved)"),
    (["--status", "identified", "--at", "2999-01-01T00:00:00Z"], "update at 2999-01-01T00:00:00+00:00 is in "
                                                                 "the future"),
    (["--status", "identified", "--at", "2026-12-02T09:00:00Z"], "is earlier than the update at line 12"),
    (["--status", "identified", "--eta", "2026-12-01T12:00:00Z"], "eta is before started"),
    (["--status", "identified", "--eta", "later"], "sitrep: --eta 'later' is not an ETA"),
    (["--status", "identified", "--message", ""], "sitrep: --message is empty"),
    (["--status", "completed"], "status 'completed' is for maintenance (this is severity: minor; use "),
])
def test_update_refuses_and_leaves_the_file_alone(work: Path, capsys: pytest.CaptureFixture[str],
                                                  args: list[str], error: str) -> None:
    before = (work / PHONES).read_bytes()
    argv = ["update", "2026-12-02-hbs-telephony-calls-dropping", "--message", "Carrier on site.", *args]
    status, out, err = sitrep(capsys, *argv)
    assert (status, out) == (1, "")
    assert error in err
    assert (work / PHONES).read_bytes() == before
    assert git(work, "status", "--porcelain", "--untracked-files=all") == ""


def test_update_after_resolution_is_refused(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (work / EMAIL).read_bytes()
    status, _, err = sitrep(capsys, "update", "2026-11-24-dlca-email-delays", "--status", "investigating",
                            "--message", "It is back.", "--at", "2026-11-24T15:00:00Z")
    assert status == 1
    assert err.splitlines() == [
        f"{EMAIL}:14: update 'investigating' comes after the 'resolved' update at line 11 (remove the "
        "'resolved' update, or declare a new incident with sitrep new)",
        f"{EMAIL}: the update is not valid; nothing was written (fix the problems above, then run the "
        "command again)",
    ]
    assert (work / EMAIL).read_bytes() == before


def test_update_of_a_file_with_problems_is_refused(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = work / PHONES
    path.write_text(path.read_text(encoding="utf-8").replace("severity: minor", "severity: small"),
                    encoding="utf-8")
    before = path.read_bytes()
    status, _, err = sitrep(capsys, "update", PHONES, "--status", "identified", "--message", "x")
    assert status == 1
    assert err.splitlines() == [
        f"{PHONES}:4: unknown severity 'small' (use critical, major, minor or maintenance)",
        f"{PHONES}: the file has problems already; nothing was written (fix the problems above, then run the "
        "command again)",
    ]
    assert path.read_bytes() == before


@pytest.mark.parametrize(("ident", "error"), [
    ("2026-12-02-hbs-telephony-call-dropping", "sitrep: no incident '2026-12-02-hbs-telephony-call-dropping' "
                                               "in incidents/ (did you mean '2026-12-02-hbs-telephony-calls-"
                                               "dropping'?)\n"),
    ("telephony", "sitrep: no incident 'telephony' in incidents/ (did you mean "
                  "'2026-12-02-hbs-telephony-calls-dropping'?)\n"),
    ("zzz", "sitrep: no incident 'zzz' in incidents/ (ls incidents/ lists them)\n"),
    ("incidents/nope.md",
     "sitrep: incidents/nope.md: no such incident file (check the path, or give the id)\n"),
])
def test_unknown_id(work: Path, capsys: pytest.CaptureFixture[str], ident: str, error: str) -> None:
    assert sitrep(capsys, "update", ident, "--status", "identified", "--message", "x") == (1, "", error)
    assert sitrep(capsys, "resolve", ident, "--message", "x") == (1, "", error)


def test_update_keeps_the_file_mode_and_a_symbolic_link(work: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    target = work / "archive" / "phones.md"
    target.parent.mkdir()
    (work / PHONES).rename(target)
    (work / PHONES).symlink_to(Path("..") / "archive" / "phones.md")
    target.chmod(0o640)
    assert sitrep(capsys, "update", PHONES, "--status", "identified", "--message", "x")[0] == 0
    assert (work / PHONES).is_symlink()
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)
    assert messages(target)[-1] == "x"
    assert not [p for p in (work / "incidents").iterdir() if p.name.endswith(".tmp")]


# --- resolve -------------------------------------------------------------------------------


def test_resolve_an_incident(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = sitrep(capsys, "resolve", "2026-12-02-hbs-telephony-calls-dropping", "--message",
                            "Calls are normal again.", "--at", "2026-12-02T16:00:00+00:00")
    assert status == 0
    assert "git commit -m 'Resolve 2026-12-02-hbs-telephony-calls-dropping'" in out
    assert changed_lines(work) == ["+  - at: 2026-12-02T16:00:00+00:00", "+    status: resolved",
                                   "+    message: Calls are normal again."]


def test_resolve_a_maintenance_completes_it(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = sitrep(capsys, "resolve", "2026-12-12-dlca-file-server-maintenance", "--message",
                            "The upgrade is finished.", "--at", "2026-12-01T10:00:00+00:00")
    assert status == 0
    assert out == (f"wrote {FILE_SERVER}\nnext: git add {FILE_SERVER} && git commit -m "
                   "'Complete 2026-12-12-dlca-file-server-maintenance' && git push\n")
    assert changed_lines(work) == ["+  - at: 2026-12-01T10:00:00+00:00", "+    status: completed",
                                   "+    message: The upgrade is finished."]


def test_resolve_twice_is_refused(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = sitrep(capsys, "resolve", "2026-11-24-dlca-email-delays", "--message", "Again.")
    assert (status, out) == (1, "")
    assert err == ("sitrep: 2026-11-24-dlca-email-delays is already resolved (at 14:05 GMT); to add a note, "
                   "use sitrep update 2026-11-24-dlca-email-delays --status resolved --message …\n")
    assert git(work, "status", "--porcelain") == ""


def test_maintenance_status_words_are_forgiving(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sitrep(capsys, "update", FILE_SERVER, "--status", "In progress", "--message", "Started early.",
                  "--at", "2026-12-01T08:00:00+00:00")[0] == 0
    assert "+    status: in_progress" in changed_lines(work)
