"""Benchmark of ``sitrep notify`` (a script, not a test): ``python bench/bench_notify.py [RUNS]``.

``notify_rows(runs)`` returns the figures as rows for ``bench/run``; ``Scale`` shrinks the
repository and the number of messages for the test that keeps this code from rotting.

1. Detection and composition: 20 new commits on top of a repository of 10,000 incidents and
   5,000 commits already in the ledger, made with ``git fast-import``. Timed: a dry run of
   notify (ledger read, history walk, diffs, parsing, events, messages). Aim: under 1 s.
2. Sending: 200 messages to a Twilio-speaking server on 127.0.0.1 that answers in 100 ms,
   at a rate of 50 per second. Aim: about 4 s, the rate and not the latency being the limit.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

from common import Row, repeat, table  # noqa: E402
from twilio_server import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio  # noqa: E402

from generator.config import load_settings  # noqa: E402
from generator.notify import Options, notify  # noqa: E402
from generator.providers import Message, new_session, send_all  # noqa: E402
from generator.report import render_text  # noqa: E402
from generator.twilio import Twilio  # noqa: E402
from incidents import CLIENTS, client_passphrases, clients_yaml, incident_text  # noqa: E402

RATE, LATENCY = 50.0, 0.1


@dataclass(frozen=True)
class Scale:
    """How big the benchmark is: the issue's figures by default."""

    old_commits: int = 5000
    per_commit: int = 2
    new_commits: int = 20
    messages: int = 200

    @property
    def incidents(self) -> int:
        """Incidents in the repository."""
        return self.old_commits * self.per_commit


FULL = Scale()
SECRET = "bench-site-secret-0123456789-abcdefghijklmnop"
MKDOCS = "site_name: Bench\nsite_url: https://status.example.com/\nextra:\n  status:\n    sms_rate: 50\n"
IDENTITY = "Bench <bench@example.com>"


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def _commit(ref: str, mark: int, when: datetime, message: str, files: dict[str, str],
            parent: int | None) -> bytes:
    out = [f"commit {ref}\nmark :{mark}\ncommitter {IDENTITY} {int(when.timestamp())} +0000\n".encode(),
           _data(message)]
    if parent:
        out.append(f"from :{parent}\n".encode())
    for path, text in files.items():
        out += [f"M 100644 inline {path}\n".encode(), _data(text)]
    return b"".join(out)


def _with_update(text: str, at: datetime, n: int) -> str:
    """``text`` with one more update, after the last one (a review block may follow them)."""
    head, _, rest = text.partition("\n---\n")
    updates, review, after = head.partition("\nreview:")
    status = "in_progress" if "severity: maintenance" in head else "identified"
    update = (f"\n  - at: {at.isoformat()}\n    status: {status}\n    message: Bench update {n}, "
              "engineers have found the cause.")
    return updates + update + review + after + "\n---\n" + rest


def _history(rng: random.Random, scale: Scale) -> tuple[list[bytes], dict[str, str]]:
    """The fast-import stream of the old history; returns it and every incident's text.

    Incidents are filed in year folders (``incidents/2021/…``), as long-lived repositories
    are: a flat folder of 10,000 files makes fast-import hash a 600 KB tree per commit.
    """
    end = datetime(2026, 11, 30, tzinfo=UTC)
    starts = sorted(end - timedelta(minutes=rng.randint(60, 60 * 24 * 365 * 8))
                    for _ in range(scale.incidents))
    stream = [_commit("refs/heads/main", 1, starts[0] - timedelta(days=1), "Set up", {
        "mkdocs.yml": MKDOCS, "incidents/clients.yml": clients_yaml()}, None)]
    texts: dict[str, str] = {}
    for n in range(scale.old_commits):
        files = {}
        for index in range(n * scale.per_commit, (n + 1) * scale.per_commit):
            when = starts[index].replace(second=0)
            path = f"incidents/{when:%Y}/{when:%Y-%m-%d}-incident-{index:05d}.md"
            files[path] = texts[path] = incident_text(rng, index, when)
        when = starts[(n + 1) * scale.per_commit - 1] + timedelta(hours=1)
        stream.append(_commit("refs/heads/main", n + 2, when, f"Incidents {n}", files, n + 1))
    return stream, texts


def _new_commits(rng: random.Random, texts: dict[str, str], scale: Scale) -> list[bytes]:
    stream, mark = [], scale.old_commits + 1
    now = datetime.now(UTC)
    for n, path in enumerate(rng.sample(sorted(texts), scale.new_commits)):
        when = now - timedelta(minutes=scale.new_commits - n)
        stream.append(_commit("refs/heads/main", mark + 1, when, f"Update {n}",
                              {path: _with_update(texts[path], datetime(2026, 12, 1, tzinfo=UTC), n)}, mark))
        mark += 1
    return stream


def _ledger(marks: dict[str, str], scale: Scale) -> bytes:
    """The ledger branch with the old commits done, as earlier runs would have left it."""
    files = {f"sms/done/{sha[:2]}/{sha}": "" for mark, sha in marks.items()
             if int(mark) <= scale.old_commits + 1}
    files["sms/horizon"] = '{"since": "2025-12-31T00:00:00+00:00"}\n'
    return _commit("refs/heads/sitrep-ledger", 999_999, datetime.now(UTC), "bench ledger", files, None)


def build_repo(base: Path, scale: Scale = FULL) -> Path:
    """Work tree with origin, commits, incidents (5,020 and 10,000 at full scale) and a ledger."""
    rng = random.Random(7)
    work, remote, marks_file = base / "work", base / "remote.git", base / "marks"
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    old, texts = _history(rng, scale)
    stream = b"".join([*old, *_new_commits(rng, texts, scale)])
    subprocess.run(["git", "-C", str(work), "fast-import", "--quiet", f"--export-marks={marks_file}"],
                   input=stream, check=True)
    marks = dict(line.lstrip(":").split() for line in marks_file.read_text().splitlines())
    ledger = _ledger(marks, scale)
    subprocess.run(["git", "-C", str(work), "fast-import", "--quiet"], input=ledger, check=True)
    subprocess.run(["git", "-C", str(work), "checkout", "-q", "main"], check=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(remote)], check=True)
    subprocess.run(["git", "-C", str(work), "remote", "add", "origin", str(remote)], check=True)
    recipients = ["staff:"] + [f'  - {{name: Staff {i}, phone: "+4479111234{i:02d}"}}' for i in range(5)]
    recipients += ["clients:"] + [f'  client-{c:02d}:\n    - {{name: C{c}, phone: "+4479111235{c:02d}"}}'
                                  for c in range(CLIENTS)]
    (base / "recipients.yml").write_text("\n".join(recipients) + "\n")
    return work


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """This process's environment with ``values`` set, restored afterwards."""
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def detection(work: Path, base: Path, scale: Scale = FULL) -> float:
    """One dry run of notify over the new commits; returns seconds."""
    env = {"SITREP_SITE_SECRET": SECRET, "SITREP_STAFF_PASSPHRASE": "staff", "CI": "true",
           "SITREP_CLIENT_PASSPHRASES": client_passphrases(), "SITREP_SMS_PROVIDER": "twilio",
           "SITREP_RECIPIENTS": str(base / "recipients.yml")}
    with environment(env):
        settings = load_settings(work / "mkdocs.yml")
        started = time.perf_counter()
        report = notify(settings, Options(dry_run=True), os.environ)
        elapsed = time.perf_counter() - started
    notifiable = [i for c in report.commits for i in c.incidents if not i.skipped]
    assert len(report.commits) == len(notifiable) == scale.new_commits, render_text(report)
    assert not report.stopped, report.stopped
    return elapsed


def sending(count: int = FULL.messages) -> float:
    """``count`` messages at 50 per second to a server answering in 100 ms; returns seconds."""
    server = FakeTwilio(latency=LATENCY).start()
    try:
        with new_session() as session:
            provider = Twilio(session, server.url, ACCOUNT_SID, AUTH_TOKEN, sender="+14155550199")
            messages = [Message(f"k{n}", f"+447911{n:06d}", f"Bench message {n}") for n in range(count)]
            started = time.perf_counter()
            outcomes, stopped = send_all(provider, messages, RATE, time.monotonic() + 600)
            elapsed = time.perf_counter() - started
        assert stopped is None and all(o.status == "sent" for o in outcomes.values())
        assert len(server.messages) == count
        return elapsed
    finally:
        server.stop()


def notify_rows(runs: int, scale: Scale = FULL) -> list[Row]:
    """Build the repository once, then time detection and sending ``runs`` times each, as rows."""
    with tempfile.TemporaryDirectory(prefix="sitrep-bench-") as tmp:
        base = Path(tmp)
        work = build_repo(base, scale)
        detection(work, base, scale)  # warm the OS caches once, as a CI runner would after checkout
        detect = repeat(runs, lambda: detection(work, base, scale))
    name = (f"detection + composition, {scale.new_commits} new commits "
            f"({scale.old_commits + 1:,} old ones)")
    full = scale == FULL
    rows = [Row("notify", name, detect, "s", scale.incidents, "< 1 s" if full else ""),
            Row("notify", f"sending {scale.messages} messages at {RATE:.0f}/s, {LATENCY * 1000:.0f} ms "
                "per answer", repeat(runs, lambda: sending(scale.messages)), "s", None,
                "about 4 s" if full else "")]
    if full:
        rows[0].meets(1.0)
        rows[1].meets(4.4)  # "about 4 s": the rate, plus one answer's latency and a little
    return rows


def main() -> None:
    """Build the repository once, then time each part ``RUNS`` times (3 by default)."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(table(notify_rows(runs)))


if __name__ == "__main__":
    main()
