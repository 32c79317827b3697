"""What makes sitrep fast at 10,000 incidents gives the same answers as the plain way."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
import yaml

from generator import catalogue, leakgate, load, needle_index, yamlsource
from generator.errors import InputError
from generator.load import incident_files

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from test_validate_robust import ODD_YAML  # noqa: E402

import incidents  # noqa: E402


def shape(value: object) -> object:
    """A value with the line of every mapping, key and item, for exact comparison."""
    if isinstance(value, yamlsource.LinedDict):
        items = [(type(k).__name__, k, value.lines[k], shape(v)) for k, v in value.items()]
        return ("map", value.line, items)
    if isinstance(value, yamlsource.LinedList):
        return ("list", value.line, value.lines, [shape(v) for v in value])
    return (type(value).__name__, repr(value))


def general_path(text: str) -> object:
    """What the event pass and PyYAML's own constructor make of ``text``, as before the shortcuts."""
    try:
        yamlsource._check_depth(text)
        return shape(yaml.load(text, Loader=yamlsource.LineLoader))
    except yaml.YAMLError as exc:
        return type(exc).__name__


def fast_path(text: str) -> object:
    """What ``load_yaml`` makes of ``text``; an error by the name of its YAML error."""
    try:
        return shape(yamlsource.load_yaml(text, "x.md"))
    except InputError as exc:
        assert isinstance(exc.__cause__, yaml.YAMLError)
        return type(exc.__cause__).__name__


def front_matters() -> list[str]:
    """Real and generated front matter, and the example with each odd YAML snippet in it."""
    texts = [p.read_text(encoding="utf-8").split("\n---\n")[0].removeprefix("---\n")
             for p in sorted((ROOT / "incidents").glob("*.md"))]
    texts += [t.split("\n---\n")[0].removeprefix("---\n") for t in incidents.incident_files(50).values()]
    lines = texts[0].split("\n")
    texts += ["\n".join([*lines[:at], snippet, *lines[at:]]) for snippet in ODD_YAML for at in (1, 6, 9)]
    return texts


def test_direct_builder_matches_pyyaml_constructor() -> None:
    for text in front_matters():
        if text.encode("utf-8", "replace").decode() == text:  # a lone surrogate is no file's text
            assert fast_path(text) == general_path(text), text[:200]


@pytest.mark.parametrize("text, shallow", [
    ("a:\n  b:\n    c: 1\n", True),
    ("title: " + "[" * 60 + "]" * 60, False),
    ("".join(" " * n + "a:\n" for n in range(30)), False),
    ("- " * 30 + "x", False),
    ("a: &x 1\nb: *x\n", False),
    ("a: 1\r  b: 2\r    c: 3", False),
    ("\ufeff" + "- " * 30 + "x", False),
])
def test_event_pass_is_skipped_only_where_nesting_cannot_be_deep(text: str, shallow: bool) -> None:
    assert yamlsource._plainly_shallow(text) is shallow


def test_parallel_loading_gives_the_same_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = incidents.generate(tmp_path, 40)
    broken = repo / "incidents" / "2020-01-01-broken.md"
    broken.write_text("---\ntitle: [\n---\n", encoding="utf-8")
    paths = incident_files(repo / "incidents")
    monkeypatch.setattr(catalogue, "PARALLEL_FROM", 10**9)
    serial = catalogue.load_incidents(paths)
    monkeypatch.setattr(catalogue, "PARALLEL_FROM", 2)
    monkeypatch.setattr(catalogue, "CHUNK", 7)
    monkeypatch.setattr(catalogue, "worker_count", lambda files: 1)
    assert catalogue.load_incidents(paths) == serial
    assert any(problems for _, problems in serial)


def test_needles_are_filed_under_a_rare_word_or_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["engineers restored the server at head office", "engineers restored srv-00042 at the depot",
             "engineers restored the phones at the clinic"]
    texts += [f"14:{minute:02d} service is partly restored at the depot" for minute in range(24)]
    needles = [needle_index.Needle(needle_index.normalise(text), "test", text) for text in texts]
    monkeypatch.setattr(needle_index, "CROWDED", 4)
    digits = frozenset(f"{n:02d}".encode() for n in range(60))  # the theme's CSS is full of them
    index = needle_index.NeedleIndex(needles, None, digits)
    assert not {b"restored", b"engineers", b"partly"} & index.keys
    assert b"00042" in index.keys and {(b"05", b"service"), (b"23", b"service")} <= index.keys
    assert [n.shown for n in index.scan("Engineers restored SRV-00042 at the depot.")] == [texts[1]]
    page = "<p>14:07 Service is partly restored at the depot</p>"
    assert [n.shown for n in index.scan(page)] == [texts[3 + 7]]


def test_public_text_holds_exactly_what_a_search_finds() -> None:
    texts = [t for text in incidents.incident_files(60).values() for t in leakgate.pieces(text)]
    public = needle_index.normalise("\n".join(texts[::3]))
    index = needle_index.PublicText(public)
    rng = random.Random(2)
    needles = [needle_index.normalise(t) for t in texts if len(t) >= leakgate.MIN_LENGTH]
    for _ in range(500):
        start = rng.randrange(len(public) - 100)
        needles.append(public[start : start + rng.randint(12, 90)])
    assert [index.holds(n) for n in needles] == [n in public for n in needles]
    assert sum(index.holds(n) for n in needles) > 500


def _lines_split(text: str) -> tuple[str, str, int] | str:
    """Front matter found line by line, as before the one-search shortcut."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return "no opening ---"
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 1
    return "no closing ---"


def test_front_matter_bounds_match_a_line_by_line_split() -> None:
    pieces = ["---", "...", "--- ", "---\t", "-- -", "----", "a: 1", "", " ", "---\r", "...\x0c",
              "\u2028", "---\u2028", " ---", "..\u00a0", "---\x85", "body text"]
    rng = random.Random(8)
    for _ in range(20_000):
        text = "\n".join(rng.choice(pieces) for _ in range(rng.randint(0, 7))) + rng.choice(["", "\n"])
        try:
            found: tuple[str, str, int] | str = load.front_matter_bounds(text)
        except ValueError as exc:
            found = str(exc)
        assert found == _lines_split(text), repr(text)


def test_incident_files_lists_what_rglob_lists(tmp_path: Path) -> None:
    root = tmp_path / "incidents"
    for name in ["a.md", "a-x.md", "a/b.md", "a/c/d.md", ".hidden/e.md", ".f.md", ".md", "g.txt",
                 "UPPER.MD", "2026/11/h.md", "x.md/inside.md", "elsewhere/i.md"]:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not name.startswith("x.md/"):
            path.write_text("---\n", encoding="utf-8")
    (root / "x.md" / "inside.md").write_text("---\n", encoding="utf-8")  # a folder named *.md
    (root / "link-to-dir").symlink_to(root / "a")  # rglob does not descend into it
    (root / "dir-link.md").symlink_to(root / "a")  # a link to a folder: not a file
    (root / "file-link.md").symlink_to(root / "a.md")
    (root / "broken.md").symlink_to(root / "missing.md")  # kept, and reported when read
    plain = sorted(p for p in root.rglob("*.md") if not p.is_dir())
    assert incident_files(root) == plain
    assert root / "broken.md" in plain and root / "x.md" / "inside.md" in plain
