"""A deterministic generator of realistic incident sets for benchmarks and scale tests.

``generate(root, n)`` writes ``n`` incidents over 20 clients (3-8 updates each, 2-4 KB each,
with maintenance, drills, and resolved and active incidents) plus ``clients.yml`` and a
copy of the repository's mkdocs.yml, hooks and docs, so ``mkdocs build`` runs in ``root``.
The same seed always gives the same files.
"""

from __future__ import annotations

import random
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 20
_WORDS = ("server", "network", "backup", "firewall", "storage", "email", "telephony", "printing",
          "database", "VPN", "Wi-Fi", "file share", "accounts system", "payroll", "CRM")
_VERBS = ("failure", "outage", "slow response", "intermittent errors", "degraded performance",
          "unavailable", "login failures", "data sync delays")
_COMPONENTS = {"remote-access": "Remote Access server", "email": "Email", "files": "File server",
               "phones": "Telephone system", "wifi": "Wi-Fi", "crm": "CRM", "backup": "Backup",
               "vpn": "Site-to-site VPN"}
_SENTENCE = ("Engineers are working with the supplier to restore full service and will post "
             "the next update as soon as there is progress to report. ")


def clients_yaml() -> str:
    """clients.yml for the 20 generated clients, each with all components."""
    lines = []
    for index in range(CLIENTS):
        lines += [f"client-{index:02d}:", f"  name: Client Company {index:02d} Limited",
                  "  components:"]
        lines += [f"    {cid}: {name}" for cid, name in _COMPONENTS.items()]
    return "\n".join(lines) + "\n"


def _updates(rng: random.Random, start: datetime, maintenance: bool, active: bool) -> list[str]:
    count = rng.randint(3, 8)
    flow = (["scheduled", "in_progress"] + ["in_progress"] * 6 if maintenance
            else ["investigating", "identified"] + ["identified", "monitoring"] * 3)
    final = "completed" if maintenance else "resolved"
    at = start - timedelta(days=3) if maintenance else start + timedelta(minutes=10)
    out = []
    for step in range(count):
        status = final if step == count - 1 and not active else flow[min(step, len(flow) - 1)]
        message = f"Update {step + 1}. " + _SENTENCE * rng.randint(1, 2)
        out += [f"  - at: {at.isoformat()}", f"    status: {status}", f"    message: {message.strip()}"]
        at = (start if maintenance and step == 0 else at) + timedelta(minutes=rng.randint(15, 50))
    return out


def incident_text(rng: random.Random, index: int, start: datetime) -> str:
    """One incident file of 2-4 KB."""
    client = f"client-{rng.randrange(CLIENTS):02d}"
    roll = rng.random()
    maintenance, drill, active = roll < 0.1, 0.1 <= roll < 0.15, roll > 0.97
    severity = "maintenance" if maintenance else rng.choice(("critical", "major", "major", "minor"))
    components = rng.sample(sorted(_COMPONENTS), rng.randint(1, 3))
    title = f"{rng.choice(_WORDS).capitalize()} {rng.choice(_VERBS)} #{index}"
    lines = ["---", f"title: {title}", f"client: {client}", f"severity: {severity}",
             f"components: [{', '.join(components)}]", f"started: {start.isoformat()}",
             f"eta: {(start + timedelta(hours=rng.randint(1, 6))).isoformat()}"]
    if drill:
        lines.append("drill: true")
    lines += ["updates:", *_updates(rng, start, maintenance, active), "---"]
    body = [f"Users of {client} were affected by {title.lower()}.", "", "## Plan of action", ""]
    body += [f"{n}. {_SENTENCE.strip()}" for n in range(1, rng.randint(8, 14))]
    return "\n".join(lines + body) + "\n"


def generate(root: Path, n: int, seed: int = 1) -> Path:
    """Write a buildable status repository with ``n`` incidents into ``root``."""
    rng = random.Random(seed)
    incidents = root / "incidents"
    if incidents.exists():
        shutil.rmtree(incidents)
    incidents.mkdir(parents=True)
    for name in ("mkdocs.yml",):
        shutil.copy2(ROOT / name, root / name)
    for name in ("hooks", "docs", "overrides"):
        if (root / name).exists():
            shutil.rmtree(root / name)
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    (incidents / "clients.yml").write_text(clients_yaml(), encoding="utf-8")
    # Spread over the years before the fixed benchmark clock, oldest first.
    end = datetime(2026, 11, 30, tzinfo=UTC)
    for index in range(n):
        start = end - timedelta(minutes=rng.randint(60, 60 * 24 * 365 * 8))
        start = start.replace(second=0, microsecond=0)
        text = incident_text(rng, index, start)
        (incidents / f"{start:%Y-%m-%d}-incident-{index:05d}.md").write_text(text, encoding="utf-8")
    return root


BENCH_NOW = "2026-12-01T00:00:00+00:00"


def client_passphrases() -> str:
    """SITREP_CLIENT_PASSPHRASES for the generated clients."""
    return "{" + ", ".join(f'"client-{i:02d}": "pass-{i:02d}"' for i in range(CLIENTS)) + "}"


if __name__ == "__main__":
    target = Path(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    generate(target, count)
    print(f"wrote {count} incidents to {target / 'incidents'}")
