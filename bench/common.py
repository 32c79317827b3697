"""What every benchmark shares: a row of measurements, repeated timing, peak memory, the table.

Machines here are shared and noisy, so every figure is a list of runs: the table shows the
median and the spread (min-max). Comparisons are ratios of runs made in the same rounds,
interleaved, so a busy moment slows both sides alike.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "bench", ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


@dataclass
class Row:
    """One measured figure: every run of it, and how it reads in the table."""

    group: str
    name: str
    runs: list[float]
    unit: str = "s"
    incidents: int | None = None
    aim: str = ""
    # Runs divided by the number of incidents, shown in ms (or KB) per incident.
    per_incident: bool = False
    note: str = ""
    # Met, missed or "" when the row has no aim: set by whoever knows the aim's number.
    verdict: str = ""

    @property
    def median(self) -> float:
        """The median run."""
        return statistics.median(self.runs)

    def meets(self, limit: float) -> Row:
        """This row, judged against ``limit`` (in the row's unit, lower is better)."""
        self.verdict = "met" if self.median <= limit else "MISSED"
        return self


@dataclass
class Measured:
    """A child process's wall time and the peak memory of its largest process."""

    seconds: float
    peak_mb: float
    output: str = field(repr=False, default="")


def repeat(runs: int, action: Callable[[], float]) -> list[float]:
    """``action`` run ``runs`` times; its return values."""
    return [action() for _ in range(runs)]


def timed(action: Callable[[], object]) -> float:
    """Seconds ``action`` takes."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def run_measured(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Measured:
    """Run ``cmd``; wall time, and peak resident memory as ``/usr/bin/time -v`` reports it.

    ``os.wait4`` gives the rusage of this one child, including the children it waited for,
    so nothing needs installing; ru_maxrss is the largest single process, in KB on Linux.
    """
    started = time.perf_counter()
    with subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as proc:
        assert proc.stdout is not None
        output = proc.stdout.read().decode(errors="replace")
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}… failed ({proc.returncode}):\n{output[-3000:]}")
    return Measured(seconds, usage.ru_maxrss / 1024, output)


def own_peak_mb() -> float:
    """Peak resident memory of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ratio_row(group: str, name: str, top: Row, bottom: Row, aim: str = "", limit: float | None = None) -> Row:
    """``top`` / ``bottom`` run by run (the rounds interleave them), as its own row."""
    row = Row(group, name, [a / b for a, b in zip(top.runs, bottom.runs, strict=True)], "x",
              top.incidents, aim)
    return row.meets(limit) if limit is not None else row


def growth_row(group: str, name: str, large: Row, small: Row, aim: str = "",
               limit: float | None = None) -> Row:
    """Per-incident cost at ``large`` over that at ``small``: 1.0 is linear growth."""
    assert large.incidents and small.incidents
    scale = small.incidents / large.incidents
    runs = [value * scale / statistics.median(small.runs) for value in large.runs]
    row = Row(group, name, runs, "x", large.incidents, aim)
    return row.meets(limit) if limit is not None else row


def _number(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}"
    if unit == "ms" or abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def _per_incident(row: Row) -> str:
    if not row.per_incident or not row.incidents:
        return ""
    value = row.median / row.incidents
    if row.unit == "s":
        return f"{value * 1000:.2f} ms"
    if row.unit == "MB":
        return f"{value * 1024:.0f} KB"
    return f"{value:.3g} {row.unit}"


def table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table (it reads as well in a terminal)."""
    lines = ["| benchmark | N | median | spread (min-max) | runs | per incident | aim | |",
             "|---|--:|--:|--:|--:|--:|---|---|"]
    for row in rows:
        unit = "" if row.unit == "x" else f" {row.unit}"
        ratio = "x" if row.unit == "x" else ""  # 1.29x
        spread = f"{_number(min(row.runs), row.unit)}-{_number(max(row.runs), row.unit)}{unit}"
        name = f"{row.group}: {row.name}" + (f" ({row.note})" if row.note else "")
        count = f"{row.incidents:,}" if row.incidents else ""
        lines.append(f"| {name} | {count} | {_number(row.median, row.unit)}{unit}{ratio} | {spread} | "
                     f"{len(row.runs)} | {_per_incident(row)} | {row.aim} | {row.verdict} |")
    return "\n".join(lines)


def machine() -> str:
    """One line about where the figures were measured."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    return f"{cpus} CPUs, Python {sys.version.split()[0]}, load average at the end {load}"
