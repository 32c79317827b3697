"""The leak gate in a child process: the same answer as in one process, and it fails closed."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest
from test_leakgate import TITLE, example_build

from generator import leakgate, leakgate_child, needle_index
from generator.errors import SitrepError
from generator.leakgate_child import GateChild

CANARY = "sitrepcanary" + "0" * 32


@pytest.fixture
def site_copy(example_site: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(example_site, tmp_path / "site"))


def in_one_process(site_dir: Path) -> str:
    """What the plain gate says about ``site_dir`` ("" when it passes)."""
    try:
        leakgate.check_for_leaks(example_build(), site_dir, CANARY)
    except leakgate.LeakError as exc:
        return str(exc)
    return ""


def in_child(site_dir: Path) -> str:
    gate = GateChild(example_build())
    gate.theme_written(site_dir, CANARY)
    try:
        gate.check(site_dir, CANARY)
    except leakgate.LeakError as exc:
        return str(exc)
    return ""


def test_clean_site_passes_in_the_child(site_copy: Path) -> None:
    assert in_child(site_copy) == in_one_process(site_copy) == ""


def test_leaks_are_reported_as_in_one_process(site_copy: Path) -> None:
    (site_copy / "404.html").write_text(f"<p>{TITLE}</p><!-- {CANARY} -->", encoding="utf-8")
    (site_copy / "extra.txt").write_text(TITLE.upper(), encoding="utf-8")
    said = in_child(site_copy)
    assert said == in_one_process(site_copy)
    assert "404.html: 'sitrepcanary" in said
    assert "404.html and 1 other file: 'Remote Access server fa…'" in said


def test_a_failing_child_stops_the_build(site_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(build: object) -> list[needle_index.Needle]:
        raise RuntimeError("needles unavailable")

    monkeypatch.setattr(leakgate_child, "gather_needles", broken)  # the fork inherits it
    gate = GateChild(example_build())
    with pytest.raises(SitrepError, match=r"the leak gate failed(?s:.)*needles unavailable"):
        gate.check(site_copy, CANARY)


def test_a_killed_child_stops_the_build(site_copy: Path) -> None:
    gate = GateChild(example_build())
    assert gate._process.pid is not None
    os.kill(gate._process.pid, signal.SIGKILL)
    gate._process.join()
    with pytest.raises(SitrepError, match="ended without an answer"):
        gate.check(site_copy, CANARY)


def test_two_cores_find_what_one_finds(tmp_path: Path) -> None:
    texts = [f"protected sentence number {n} ends" for n in range(50)]
    needles = [needle_index.Needle(needle_index.normalise(t), "test", t) for t in texts]
    index = needle_index.NeedleIndex(needles, CANARY)
    for n in range(300):  # enough files for the helper to be forked
        text = f"page {n}: protected sentence number {n % 60} ends" + (f" {CANARY}" if n == 123 else "")
        (tmp_path / f"p{n:03}.html").write_text(text, encoding="utf-8")
    both = leakgate_child.scan_on_two_cores(tmp_path, index)
    one = leakgate.find_leaks(tmp_path, index)
    assert both == one
    assert len(one) == 250 + 1  # files 0-49 of each 60, and the canary
