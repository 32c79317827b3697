"""Nothing a user can put in a file makes ``sitrep validate`` print a traceback.

A real incident file is broken in many ways (cut short, sprinkled with bytes, tabs and odd YAML,
nested deep, made huge or binary) and each variant goes through ``cli.main``. Every variant
must end with exit status 0 or 1, no exception, and only ``path:line: problem (fix)`` lines.
The random variants use a fixed seed, so a failure reproduces.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from generator.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / "incidents" / "2017-08-14-dlca-remote-access.md").read_bytes()
CLIENTS = (ROOT / "incidents" / "clients.yml").read_bytes()
NAME = "2017-08-14-dlca-remote-access.md"
PROBLEM_LINE = re.compile(r"^(incidents/[^:]+|mkdocs\.yml)(:\d+)?: \S.*$")

ODD_YAML = [
    "title: [", "title: {", "title: '", 'title: "', "updates: 5", "updates:", "- at:", "  - at:",
    "    at:", "\t", "\tstatus: resolved", "&a x: 1", "x: *a", "x: *nowhere", "<<: *a", "<<: 5",
    "updates: &u [*u]", "title: &t Remote\nclient: *t", "x: !!python/object:os.system ls",
    "x: !!python/object/apply:os.system [ls]", "x: !!binary '@@@'", "x: !!int x", "x: !!float x",
    "x: !!bool maybe", "x: !!map x", "x: !!seq x", "x: !!timestamp yesterday", "x: !custom y",
    "? [a, b]\n: c", "? {a: 1}\n: c", ": :", "- - -", "---", "...", "%YAML 1.1", "%TAG ! tag:x,2000:",
    "client: no", "client: [no, yes]", "client: []", "client: [[dlca]]", "client: ~", "drill: yes",
    "drill: maybe", "title: 2017", "title: 1:30", "title: 0o17", "title: .inf", "title: ~",
    "severity: [major]", "components: [[]]", "components: {a: b}", "components: 5",
    "started: 9999-12-31T23:59:59-14:00", "eta: 0001-01-01T00:00:00+14:00",
    "started: 2017-13-45T99:99:99+01:00", "started: 2017-08-14", "eta: +2h", "eta: 11:00",
    "at: " + "9" * 5000, "title: " + "9" * 5000, "title: 1e999999", "title: " + "x" * 20000,
    "review: 5", "review:\n  actions: 5", "review:\n  actions: [x, 5]", "review:\n  held_on: 5",
    "review:\n  actions:\n    - action: [x]\n      due: nope\n      done: maybe\n      extra: 1",
    "\x00", "\x07", "\ufeff", "\r", "\r\n", "\u2028", "\x85", "\udcff", "key with no value",
    "# comment", "title: |\n  two\n  lines", "title: >-\n  folded", "updates:\n- x\n- 5\n- [a]\n- {at: 1}",
    "updates:\n  - at: 2017-08-14T08:20:00+01:00\n    status: resolved\n    message: ok\n    message: dup",
]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A minimal status repository, the working directory of the test."""
    (tmp_path / "incidents").mkdir()
    mkdocs = "site_name: robust\nextra:\n  status:\n    timezone: Europe/London\n"
    (tmp_path / "mkdocs.yml").write_text(mkdocs, encoding="utf-8")
    (tmp_path / "incidents" / "clients.yml").write_bytes(CLIENTS)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``sitrep validate`` in ``repo``; an escaping exception is returned as the error text."""
    try:
        status = main(["-f", str(repo / "mkdocs.yml"), "validate", *args])
    except Exception as exc:  # the very thing this test hunts for
        out, err = capsys.readouterr()
        return -1, out, f"{type(exc).__name__}: {exc}"
    out, err = capsys.readouterr()
    return status, out, err


def failures(repo: Path, capsys: pytest.CaptureFixture[str],
             variants: Iterable[tuple[str, bytes]], target: str = f"incidents/{NAME}") -> list[str]:
    """Each variant written to ``target`` and validated; a description of every misbehaviour."""
    found = []
    for label, data in variants:
        (repo / target).write_bytes(data)
        status, out, err = run(repo, capsys)
        bad_lines = [line for line in out.splitlines() if not PROBLEM_LINE.match(line)]
        if status not in (0, 1) or "Traceback" in out + err or bad_lines:
            found.append(f"{label}: status {status}, {err.strip()[:200]!r}, {bad_lines[:2]}")
    return found


def test_cut_at_every_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = EXAMPLE.splitlines(keepends=True)
    variants = [(f"first {n} lines", b"".join(lines[:n])) for n in range(len(lines) + 1)]
    assert failures(repo, capsys, variants) == []
    # A cut inside the front matter is an error; the whole file is valid.
    assert run(repo, capsys)[0] == 0
    (repo / "incidents" / NAME).write_bytes(b"".join(lines[:10]))
    assert run(repo, capsys)[0] == 1


def test_cut_at_many_byte_offsets(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    variants = [(f"first {n} bytes", EXAMPLE[:n]) for n in range(0, len(EXAMPLE), 7)]
    assert failures(repo, capsys, variants) == []


def test_random_bytes_inserted(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(20261203)
    variants = []
    for n in range(200):
        at = rng.randrange(len(EXAMPLE))
        junk = rng.randbytes(rng.randint(1, 12)) if n % 2 else rng.choice([b"\t", b":", b"- ", b"\n  ",
                                                                           b"'", b'"', b"#", b"[", b"{"])
        variants.append((f"{junk!r} at byte {at}", EXAMPLE[:at] + junk + EXAMPLE[at:]))
    assert failures(repo, capsys, variants) == []


def test_odd_yaml_inserted_and_replacing_lines(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(14082017)
    lines = EXAMPLE.decode("utf-8").split("\n")
    variants = []
    for snippet in ODD_YAML:
        for _ in range(4):
            at = rng.randrange(1, len(lines))
            inserted = [*lines[:at], snippet, *lines[at:]]
            replaced = [*lines[:at], snippet, *lines[at + 1 :]]
            for how, result in (("inserted", inserted), ("replacing", replaced)):
                data = "\n".join(result).encode("utf-8", "surrogateescape")
                variants.append((f"{snippet[:30]!r} {how} line {at + 1}", data))
    assert failures(repo, capsys, variants) == []


@pytest.mark.parametrize("depth", [60, 1_000, 100_000])
def test_very_deep_nesting(repo: Path, capsys: pytest.CaptureFixture[str], depth: int) -> None:
    flow = "---\ntitle: " + "[" * depth + "]" * depth + "\n---\n"
    block = "---\n" + "".join(" " * n + "a:\n" for n in range(min(depth, 5_000))) + "---\n"
    mixed = "---\ntitle: " + "{a: [" * depth + "\n---\n"
    for text in (flow, block, mixed):
        (repo / "incidents" / NAME).write_text(text, encoding="utf-8")
        status, out, err = run(repo, capsys)
        assert status == 1, err
        assert "invalid YAML: nested more than 50 levels deep" in out, out


def test_huge_numbers_and_values(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    values = ("9" * 100_000, "1e999999", "-" + "9" * 4_301, "0x" + "f" * 10_000, "x" * 1_000_000)
    variants = [(f"title {value[:20]}", EXAMPLE.replace(b"title: Remote Access server failure",
                                                        b"title: " + value.encode()))
                for value in values]
    assert failures(repo, capsys, variants) == []
    (repo / "incidents" / NAME).write_bytes(variants[0][1])
    status, out, _ = run(repo, capsys)
    assert status == 1
    assert "cannot read '999999999999999999999999999...' as !!int" in out


def test_binary_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(7)
    variants = [(f"binary {n}", rng.randbytes(4096)) for n in range(20)]
    variants += [("png header", b"\x89PNG\r\n\x1a\n" + bytes(range(256))), ("nul bytes", b"\x00" * 100),
                 ("utf-16", EXAMPLE.decode().encode("utf-16")), ("bom", b"\xef\xbb\xbf" + EXAMPLE)]
    assert failures(repo, capsys, variants) == []
    (repo / "incidents" / NAME).write_bytes(b"\x89PNG\r\n\x1a\n")
    assert run(repo, capsys)[1] == f"incidents/{NAME}:1: not UTF-8 text (byte 0x89) " \
                                   "(save the file as UTF-8 in your editor)\n"


def test_clients_yml_cut_and_broken(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "incidents" / NAME).write_bytes(EXAMPLE)
    lines = CLIENTS.splitlines(keepends=True)
    variants = [(f"clients.yml first {n} lines", b"".join(lines[:n])) for n in range(len(lines) + 1)]
    variants += [(f"clients.yml with {s[:20]!r}", CLIENTS + s.encode("utf-8", "surrogateescape") + b"\n")
                 for s in ODD_YAML]
    assert failures(repo, capsys, variants, target="incidents/clients.yml") == []


def test_a_folder_named_like_an_incident(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "incidents" / NAME).write_bytes(EXAMPLE)
    (repo / "incidents" / "x.md").mkdir()
    assert run(repo, capsys)[:2] == (0, "")
    assert run(repo, capsys, "incidents/x.md")[:2] == (0, "")


def test_symbolic_link_loop_and_broken_link(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    incidents = repo / "incidents"
    (incidents / NAME).write_bytes(EXAMPLE)
    (incidents / "2017-09-01-loop.md").symlink_to("2017-09-01-loop.md")
    (incidents / "2017-09-02-gone.md").symlink_to("2017-09-02-nowhere.md")
    (incidents / "up").symlink_to("..")  # a folder loop: must not be followed for ever
    status, out, err = run(repo, capsys)
    assert status == 1
    assert out.splitlines() == [
        "incidents/2017-09-01-loop.md: a symbolic link that points back to itself (replace it with the file)",
        "incidents/2017-09-02-gone.md: a symbolic link to a file that does not exist "
        "(point it at an incident file, or delete it)",
    ]
    assert err == "2 problems in 2 files\n"


def test_pipes_and_devices_are_not_read(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "incidents" / NAME).write_bytes(EXAMPLE)
    os.mkfifo(repo / "incidents" / "2017-09-03-pipe.md")  # reading it would wait for a writer for ever
    assert run(repo, capsys) == (1, "incidents/2017-09-03-pipe.md: not a regular file "
                                    "(give the path of an incident file)\n", "1 problem in 1 file\n")
    assert run(repo, capsys, "/dev/zero")[:2] == (1, "/dev/zero: not a regular file "
                                                     "(give the path of an incident file)\n")


@pytest.mark.parametrize(("line", "status", "message"), [
    ("client: no", 1, "client is read as false, not a client id"),
    ("client: off", 1, "client is read as false, not a client id"),
    ("title: 2017", 1, "title is read as a number, not text"),
    ("title: 1:30", 1, "title is read as a number, not text"),  # YAML 1.1 reads 1:30 as 90
    ("drill: yes", 0, ""),  # YAML 1.1 reads yes as true, which is what the writer meant
])
def test_yaml_1_1_surprises(repo: Path, capsys: pytest.CaptureFixture[str], line: str, status: int,
                            message: str) -> None:
    key = line.split(":")[0]
    text = EXAMPLE.decode()
    text = re.sub(rf"(?m)^{key}: .*$", line, text) if f"\n{key}:" in text else text.replace(
        "\nupdates:", f"\n{line}\nupdates:")
    (repo / "incidents" / NAME).write_text(text, encoding="utf-8")
    got, out, _ = run(repo, capsys)
    assert got == status
    assert message in out
    if message:
        assert out.startswith(f"incidents/{NAME}:")
