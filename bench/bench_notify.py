"""Benchmark of ``sitrep notify`` (a script, not a test): ``python bench/bench_notify.py [RUNS]``.

1. Detection and composition: 20 new commits on top of a repository of 10,000 incidents and
   5,000 commits already in the ledger, made with ``git fast-import``. Timed: a dry run of
   notify (ledger read, history walk, diffs, parsing, events, messages). Aim: under 1 s.
2. Sending: 200 messages to a Twilio-speaking server on 127.0.0.1 that answers in 100 ms,
   at a rate of 50 per second. Aim: about 4 s, the rate and not the latency being the limit.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

from twilio_server import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio  # noqa: E402

from generator.config import load_settings  # noqa: E402
from generator.notify import Options, notify  # noqa: E402
from generator.providers import Message, new_session, send_all  # noqa: E402
from generator.report import render_text  # noqa: E402
from generator.twilio import Twilio  # noqa: E402
from incidents import CLIENTS, client_passphrases, clients_yaml, incident_text  # noqa: E402

OLD_COMMITS, PER_COMMIT, NEW_COMMITS = 5000, 2, 20
MESSAGES, RATE, LATENCY = 200, 50.0, 0.1
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
    head, _, rest = text.partition("\n---\n")
    status = "in_progress" if "severity: maintenance" in head else "identified"
    update = (f"\n  - at: {at.isoformat()}\n    status: {status}\n    message: Bench update {n}, "
              "engineers have found the cause.")
    return head + update + "\n---\n" + rest


def _history(rng: random.Random) -> tuple[list[bytes], dict[str, str]]:
    """The fast-import stream of the old history; returns it and every incident's text.

    Incidents are filed in year folders (``incidents/2021/…``), as long-lived repositories
    are: a flat folder of 10,000 files makes fast-import hash a 600 KB tree per commit.
    """
    end = datetime(2026, 11, 30, tzinfo=UTC)
    starts = sorted(end - timedelta(minutes=rng.randint(60, 60 * 24 * 365 * 8))
                    for _ in range(OLD_COMMITS * PER_COMMIT))
    stream = [_commit("refs/heads/main", 1, starts[0] - timedelta(days=1), "Set up", {
        "mkdocs.yml": MKDOCS, "incidents/clients.yml": clients_yaml()}, None)]
    texts: dict[str, str] = {}
    for n in range(OLD_COMMITS):
        files = {}
        for index in range(n * PER_COMMIT, (n + 1) * PER_COMMIT):
            when = starts[index].replace(second=0)
            path = f"incidents/{when:%Y}/{when:%Y-%m-%d}-incident-{index:05d}.md"
            files[path] = texts[path] = incident_text(rng, index, when)
        stream.append(_commit("refs/heads/main", n + 2, starts[n * PER_COMMIT + 1] + timedelta(hours=1),
                              f"Incidents {n}", files, n + 1))
    return stream, texts


def _new_commits(rng: random.Random, texts: dict[str, str]) -> list[bytes]:
    stream, mark = [], OLD_COMMITS + 1
    now = datetime.now(UTC)
    for n, path in enumerate(rng.sample(sorted(texts), NEW_COMMITS)):
        when = now - timedelta(minutes=NEW_COMMITS - n)
        stream.append(_commit("refs/heads/main", mark + 1, when, f"Update {n}",
                              {path: _with_update(texts[path], datetime(2026, 12, 1, tzinfo=UTC), n)}, mark))
        mark += 1
    return stream


def _ledger(marks: dict[str, str]) -> bytes:
    """The ledger branch with the old commits done, as earlier runs would have left it."""
    files = {f"sms/done/{sha[:2]}/{sha}": "" for mark, sha in marks.items() if int(mark) <= OLD_COMMITS + 1}
    files["sms/horizon"] = '{"since": "2025-12-31T00:00:00+00:00"}\n'
    return _commit("refs/heads/sitrep-ledger", 999_999, datetime.now(UTC), "bench ledger", files, None)


def build_repo(base: Path) -> Path:
    """Work tree with origin, 5,020 commits, 10,000 incidents and a ledger; returns the work tree."""
    rng = random.Random(7)
    work, remote, marks_file = base / "work", base / "remote.git", base / "marks"
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    old, texts = _history(rng)
    stream = b"".join([*old, *_new_commits(rng, texts)])
    subprocess.run(["git", "-C", str(work), "fast-import", "--quiet", f"--export-marks={marks_file}"],
                   input=stream, check=True)
    marks = dict(line.lstrip(":").split() for line in marks_file.read_text().splitlines())
    subprocess.run(["git", "-C", str(work), "fast-import", "--quiet"], input=_ledger(marks), check=True)
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


def detection(work: Path, base: Path) -> float:
    """One dry run of notify over the 20 new commits; returns seconds."""
    env = {"SITREP_SITE_SECRET": SECRET, "SITREP_STAFF_PASSPHRASE": "staff", "CI": "true",
           "SITREP_CLIENT_PASSPHRASES": client_passphrases(), "SITREP_SMS_PROVIDER": "twilio",
           "SITREP_RECIPIENTS": str(base / "recipients.yml")}
    with environment(env):
        settings = load_settings(work / "mkdocs.yml")
        started = time.perf_counter()
        report = notify(settings, Options(dry_run=True), os.environ)
        elapsed = time.perf_counter() - started
    notifiable = [i for c in report.commits for i in c.incidents if not i.skipped]
    assert len(report.commits) == NEW_COMMITS and len(notifiable) == NEW_COMMITS, render_text(report)
    assert not report.stopped, report.stopped
    return elapsed


def sending() -> float:
    """200 messages at 50 per second to a server answering in 100 ms; returns seconds."""
    server = FakeTwilio(latency=LATENCY).start()
    try:
        with new_session() as session:
            provider = Twilio(session, server.url, ACCOUNT_SID, AUTH_TOKEN, sender="+14155550199")
            messages = [Message(f"k{n}", f"+447911{n:06d}", f"Bench message {n}") for n in range(MESSAGES)]
            started = time.perf_counter()
            outcomes, stopped = send_all(provider, messages, RATE, time.monotonic() + 600)
            elapsed = time.perf_counter() - started
        assert stopped is None and all(o.status == "sent" for o in outcomes.values())
        assert len(server.messages) == MESSAGES
        return elapsed
    finally:
        server.stop()


def report(name: str, aim: str, runs: list[float]) -> None:
    """Median and spread of ``runs``."""
    print(f"{name}: median {statistics.median(runs):.3f} s, min {min(runs):.3f} s, max {max(runs):.3f} s "
          f"over {len(runs)} runs (aim {aim}); runs: {', '.join(f'{r:.3f}' for r in runs)}")


def repeat(runs: int, action: Callable[[], float]) -> list[float]:
    """``action`` run ``runs`` times."""
    return [action() for _ in range(runs)]


def main() -> None:
    """Build the repository once, then time each part ``RUNS`` times (3 by default)."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory(prefix="sitrep-bench-") as tmp:
        base = Path(tmp)
        started = time.perf_counter()
        work = build_repo(base)
        count = subprocess.run(["git", "-C", str(work), "rev-list", "--count", "main"], capture_output=True,
                               text=True, check=True).stdout.strip()
        files = len(list((work / "incidents").rglob("*.md")))
        built = time.perf_counter() - started
        print(f"repository: {count} commits, {files} incidents, built in {built:.1f} s")
        detection(work, base)  # warm the OS caches once, as a CI runner would after checkout
        report(f"detection + composition, {NEW_COMMITS} new commits", "< 1 s",
               repeat(runs, lambda: detection(work, base)))
    report(f"sending {MESSAGES} messages at {RATE:.0f}/s, {LATENCY * 1000:.0f} ms per answer", "about 4 s",
           repeat(runs, sending))


if __name__ == "__main__":
    main()
