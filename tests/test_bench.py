"""The benchmark code paths at N = 20, so that ``bench/run`` cannot rot: structure, never times."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import bench_build  # noqa: E402
import bench_notify  # noqa: E402
import bench_protect  # noqa: E402
import bench_validate  # noqa: E402
import common  # noqa: E402

import incidents  # noqa: E402
from generator.cli import main  # noqa: E402

N = 20


def bench_run() -> ModuleType:
    """``bench/run`` (a script without .py) as a module."""
    loader = importlib.machinery.SourceFileLoader("bench_run", str(ROOT / "bench" / "run"))
    spec = importlib.util.spec_from_loader("bench_run", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # its dataclasses look their module up there
    loader.exec_module(module)
    return module


def assert_rows(rows: list[common.Row], groups: set[str]) -> None:
    """Rows of the expected groups, each with positive runs."""
    assert {row.group for row in rows} == groups
    for row in rows:
        assert row.runs and all(value > 0 for value in row.runs), row


def test_generator_is_deterministic_and_has_the_issues_mix() -> None:
    files = incidents.incident_files(400, seed=3)
    assert files == incidents.incident_files(400, seed=3)
    assert files != incidents.incident_files(400, seed=4)
    texts = list(files.values())
    assert all(2048 <= len(text.encode()) <= 4096 for text in texts)
    assert all(3 <= text.count("\n  - at: ") <= 8 for text in texts)
    last = [re.findall(r"^    status: (\w+)$", text, re.M)[-1] for text in texts]
    assert {"resolved", "completed", "monitoring", "scheduled"} <= set(last)
    for marker in ("severity: maintenance", "drill: true", "client: public", "client: [", "review:"):
        assert any(marker in text for text in texts), marker


def test_generated_repository_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    repo = incidents.generate(tmp_path, N)
    monkeypatch.setenv("SITREP_NOW", incidents.BENCH_NOW)
    status = main(["-f", str(repo / "mkdocs.yml"), "validate"])
    out, err = capsys.readouterr()
    assert status == 0, out
    assert f"{N} incidents OK" in err


def test_hugo_content_carries_the_front_matter_as_json() -> None:
    text = next(iter(incidents.incident_files(1).values()))
    meta_line, _, body = bench_build.hugo_content(text).partition("\n")
    meta = json.loads(meta_line)
    assert meta["title"] and meta["date"].startswith("20") and meta["params"]["updates"]
    assert "## Plan of action" in body


def test_builds_of_each_kind_and_the_browser_give_rows(tmp_path: Path) -> None:
    rows = bench_build.build_rows(tmp_path, N, rounds=1, progress=False)
    assert_rows(rows, {"build", "memory"})
    assert {row.name for row in rows} >= set(bench_build.NAMES.values())
    assert (tmp_path / f"site-{N}" / "index.html").is_file()
    assert not (tmp_path / f"site-{N}-unprotected").exists()
    browser = bench_protect.browser_rows(tmp_path / f"site-{N}", tmp_path / f"repo-{N}", 1, N)
    assert_rows(browser, {"browser"})


def test_growth_compares_per_incident_cost() -> None:
    name = bench_build.NAMES["protected"]
    small = common.Row("build", name, [1.0, 1.2], incidents=1000)
    large = common.Row("build", name, [12.0, 13.0], incidents=10_000)
    [growth] = bench_build.growth_rows([small, large])
    assert growth.runs == pytest.approx([12.0 / 11.0, 13.0 / 11.0])
    assert growth.verdict == "met"


def test_validation_and_hook_give_rows(tmp_path: Path) -> None:
    repo = incidents.generate(tmp_path, N)
    rows = bench_validate.validate_rows(repo, N, 1) + bench_validate.precommit_rows(repo, N, 1)
    assert_rows(rows, {"validate"})


def test_notify_gives_rows() -> None:
    rows = bench_notify.notify_rows(1, bench_notify.Scale(old_commits=10, new_commits=3, messages=5))
    assert_rows(rows, {"notify"})


def test_table_and_readme_markers(tmp_path: Path) -> None:
    run = bench_run()
    rows = [common.Row("build", "a", [1.0, 2.0, 3.0], "s", 1000, "< 5 s", per_incident=True).meets(5),
            common.Row("build", "b", [1.5], "x")]
    text = run.report(rows, 60, quick=True)
    assert "| build: a | 1,000 | 2.00 s | 1.00-3.00 s | 3 | 2.00 ms | < 5 s | met |" in text
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n## Measured\n\n{run.START}\nold\n{run.END}\n\nafter\n", encoding="utf-8")
    run.write_readme(text, readme)
    written = readme.read_text(encoding="utf-8")
    assert "old" not in written and "| build: a |" in written and written.endswith("after\n")
