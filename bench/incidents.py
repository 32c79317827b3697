"""A deterministic generator of realistic incident sets for benchmarks and scale tests.

``generate(root, n)`` writes ``n`` incidents over 20 clients plus ``clients.yml`` and a copy of
the repository's mkdocs.yml, hooks, docs and overrides, so ``mkdocs build`` runs in ``root``.
Each file is 2-4 KB with 3-8 updates; about 10% are maintenance (some still upcoming), 5% drills,
3% still active, 2% public and 4% shared by two clients, and a third of the resolved critical and
major incidents carry a review. The text is composed from phrase pools with each incident's own
hosts, sites, people and ticket numbers, as real incidents are: repeating one sentence would make
the leak gate's needle set (and so its cost) unrealistically small.
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
BENCH_NOW = "2026-12-01T00:00:00+00:00"
_NOW = datetime(2026, 12, 1, tzinfo=UTC)
# Target sizes: the last line added may pass the target by up to ~150 bytes, within 2-4 KB.
_SIZE = (2100, 3900)
_COMPONENTS = {"remote-access": "Remote Access server", "email": "Email", "files": "File server",
               "phones": "Telephone system", "wifi": "Wi-Fi", "crm": "CRM", "backup": "Backup",
               "vpn": "Site-to-site VPN"}
_SYMPTOMS = ("failure", "outage", "slow response", "intermittent errors", "degraded performance",
             "login failures", "data sync delays", "connection drops")
_SITES = ("head office", "the Leeds branch", "the warehouse", "the Glasgow office", "reception",
          "the Bristol depot", "the accounts floor", "the training centre", "the York clinic")
_PEOPLE = ("Priya Shah", "Alan Reid", "Fiona Drummond", "Tom Okafor", "Sara Lindqvist",
           "Mark Evans", "Chloe Martin", "Ravi Patel", "Ewan Stewart", "Nina Kowalski")
_SUPPLIERS = ("the internet provider", "Microsoft support", "the hardware vendor",
              "the telephony carrier", "the CRM vendor", "the backup provider", "the data centre")
_CAUSES = ("a failed disk in {host}", "an expired certificate on {host}",
           "a configuration change made on {host} last night", "a power cut at {site}",
           "a faulty switch port serving {site}", "a full database log on {host}",
           "a licence that lapsed on {host}", "an upstream fault at {supplier}")
_FIRST = ("Users at {site} report {symptom} affecting the {component}. Engineers are investigating.",
          "We are aware of {symptom} on the {component} since {clock}. {person} is looking into it.",
          "The {component} is showing {symptom} for staff at {site}. Ticket {ticket} is open.")
_MIDDLE = ("The cause is {cause}. {person} is working on a fix with {supplier}.",
           "{person} has replaced the affected part on {host}; we are checking each site in turn.",
           "Service is partly restored at {site}. Other sites should follow within the hour.",
           "{supplier} has confirmed the fault under reference {ticket} and is sending an engineer.",
           "A workaround is in place for {site}; please use webmail or the office PCs meanwhile.",
           "Restore of {host} is {percent}% complete and on track for the estimated time.",
           "We are monitoring {host} closely after the change and will confirm once it is stable.")
_LAST = ("Resolved. The {component} is working normally at every site; ticket {ticket} is closed.",
         "Resolved at {clock}. {person} confirmed the fix with staff at {site}.",
         "Service restored. The cause was {cause}; a review will follow if needed.")
_MAINTENANCE = ("The {component} will be unavailable while {person} upgrades {host} (change {ticket}).",
                "Work on {host} has started; staff at {site} may see short interruptions.",
                "The upgrade of {host} is {percent}% done and on schedule.",
                "Work finished at {clock}. The {component} is back in service at {site}.")
_PLAN = ("Confirm the scope with staff at {site} and keep stakeholders informed.",
         "Check the logs of {host} for the first errors and the change history before them.",
         "Raise the fault with {supplier} and chase reference {ticket} every hour.",
         "Move users of the {component} to the standby system where one exists.",
         "Restore {host} from the last good backup if the repair takes longer than planned.",
         "Test the fix with two users at {site} before telling everyone to reconnect.",
         "Record every change made to {host} in ticket {ticket} for the review.",
         "Keep the service desk briefed so callers from {site} hear the same story.")


def clients_yaml() -> str:
    """clients.yml for the 20 generated clients, each with all components."""
    lines = []
    for index in range(CLIENTS):
        lines += [f"client-{index:02d}:", f"  name: Client Company {index:02d} Limited",
                  "  components:"]
        lines += [f"    {cid}: {name}" for cid, name in _COMPONENTS.items()]
    return "\n".join(lines) + "\n"


def _facts(rng: random.Random, index: int, component: str) -> dict[str, str]:
    """The details one incident's text is made of: its own hosts, people and references."""
    host = f"{rng.choice(('srv', 'fw', 'sw', 'nas', 'pbx'))}-{rng.randrange(100):02d}-{index:05d}"
    facts = {"host": host, "site": rng.choice(_SITES), "person": rng.choice(_PEOPLE),
             "supplier": rng.choice(_SUPPLIERS), "ticket": f"INC-{index:05d}-{rng.randrange(1000):03d}",
             "component": _COMPONENTS[component], "symptom": rng.choice(_SYMPTOMS)}
    facts["cause"] = rng.choice(_CAUSES).format(**facts)
    return facts


def _say(rng: random.Random, pool: tuple[str, ...], facts: dict[str, str], at: datetime) -> str:
    text = rng.choice(pool).format(**facts, clock=f"{at:%H:%M}", percent=rng.randrange(20, 95, 5))
    return text[0].upper() + text[1:]


def _flow(kind: str, count: int) -> list[str]:
    """Statuses of ``count`` updates, oldest first; the last one final unless still active."""
    if kind == "upcoming":  # announced, with reminders
        return ["scheduled"] * count
    if kind == "maintenance":
        return ["scheduled", *["in_progress"] * (count - 2), "completed"]
    flow = ["investigating", "identified", *["monitoring", "identified"] * 3][: count - 1]
    return [*flow, "monitoring" if kind == "active" else "resolved"]


def _updates(rng: random.Random, start: datetime, kind: str, facts: dict[str, str]) -> list[str]:
    maintenance = kind in ("maintenance", "upcoming")
    count = rng.randint(3, 4) if kind == "upcoming" else rng.randint(3, 8)
    # Maintenance is announced days before its window opens (never after now); incidents a few
    # minutes in.
    at = (min(start - timedelta(days=rng.randint(2, 7)), _NOW - timedelta(hours=rng.randint(6, 72)))
          if maintenance else start + timedelta(minutes=10))
    out = []
    for step, status in enumerate(_flow(kind, count)):
        pool = (_MAINTENANCE if maintenance else
                _FIRST if step == 0 else _LAST if status == "resolved" else _MIDDLE)
        message = " ".join(_say(rng, pool, facts, at) for _ in range(1 + (rng.random() < 0.3)))
        out += [f"  - at: {at.isoformat()}", f"    status: {status}", f"    message: {message}"]
        # After the announcement, maintenance updates follow the window's start.
        at = (start if kind == "maintenance" and step == 0 else at) + timedelta(minutes=rng.randint(15, 50))
    return out


def _review(rng: random.Random, resolved: datetime, facts: dict[str, str]) -> list[str]:
    held = resolved + timedelta(days=rng.randint(1, 4))
    return ["review:", f"  held_on: {held.isoformat()}",
            f"  attendees: [{facts['person']}, {rng.choice(_PEOPLE)}, {rng.choice(_PEOPLE)}]",
            "  went_well:", f"    - First message reached {facts['site']} within 15 minutes",
            "  to_improve:", f"    - {facts['host']} had logged warnings before the failure",
            "  actions:", f"    - action: Alert on warnings from {facts['host']} and its peers",
            f"      owner: {facts['person']}", f"      due: {(held + timedelta(days=14)).isoformat()}",
            f"      done: {str(rng.random() < 0.7).lower()}"]


def _body(rng: random.Random, facts: dict[str, str], head_size: int, target: int) -> list[str]:
    """Summary, plan of action and notes, grown until the whole file reaches ``target`` bytes."""
    body = [f"Staff at {facts['site']} were affected by {facts['symptom']} of the {facts['component']} "
            f"({facts['ticket']}).", "", "## Plan of action", ""]
    plan = [f"{n}. {line.format(**facts)}" for n, line in enumerate(rng.sample(_PLAN, len(_PLAN)), 1)]
    size = head_size + sum(len(line) + 1 for line in body)
    notes = False
    while size < target:
        if plan:
            line = plan.pop(0)
        elif not notes:
            line, notes = "\n## Notes from the engineers\n", True
        else:  # what engineers jot down as they go: times make each line differ
            at = datetime(2026, 1, 1, rng.randrange(24), rng.randrange(60), tzinfo=UTC)
            line = f"- {at:%H:%M} {_say(rng, _MIDDLE, facts, at)}"
        body.append(line)
        size += len(line) + 1
    return body


# The mix of incidents: kind -> share. "active" are still being worked on, "upcoming" is
# maintenance announced but not yet started.
KINDS = {"maintenance": 0.08, "upcoming": 0.02, "drill": 0.05, "active": 0.03, "public": 0.02,
         "shared": 0.04, "plain": 0.76}


def pick_kind(rng: random.Random) -> str:
    """One kind of incident, drawn with the shares of KINDS."""
    return rng.choices(list(KINDS), weights=list(KINDS.values()))[0]


def start_time(rng: random.Random, kind: str) -> datetime:
    """When an incident started: over eight years; active ones recently, upcoming work later."""
    if kind == "upcoming":
        return _NOW + timedelta(hours=rng.randint(24, 24 * 20))
    if kind == "active":
        return _NOW - timedelta(minutes=rng.randint(60 * 8, 60 * 48))
    return _NOW - timedelta(minutes=rng.randint(60 * 24 * 3, 60 * 24 * 365 * 8))


def _client(rng: random.Random, kind: str) -> str:
    picked = rng.sample(range(CLIENTS), 2)
    if kind == "public":
        return "public"
    if kind == "shared":
        return f"[client-{picked[0]:02d}, client-{picked[1]:02d}]"
    return f"client-{picked[0]:02d}"


def incident_text(rng: random.Random, index: int, start: datetime, kind: str | None = None) -> str:
    """One incident file of 2-4 KB, of ``kind`` (drawn from KINDS when not given)."""
    kind = kind or pick_kind(rng)
    maintenance = kind in ("maintenance", "upcoming")
    severity = "maintenance" if maintenance else rng.choice(("critical", "major", "major", "minor"))
    components = rng.sample(sorted(_COMPONENTS), rng.randint(1, 3))
    facts = _facts(rng, index, components[0])
    title = f"{facts['component']} {facts['symptom']} at {facts['site']}"
    lines = ["---", f"title: {title[0].upper()}{title[1:]}", f"client: {_client(rng, kind)}",
             f"severity: {severity}"]
    # Public incidents have no components: they are not any client's.
    lines += [] if kind == "public" else [f"components: [{', '.join(components)}]"]
    lines += [f"started: {start.isoformat()}",
              f"eta: {(start + timedelta(hours=rng.randint(1, 6))).isoformat()}"]
    lines += ["drill: true"] if kind == "drill" else []
    lines += ["updates:", *_updates(rng, start, kind, facts)]
    if severity in ("critical", "major") and kind != "active" and rng.random() < 0.33:
        lines += _review(rng, start + timedelta(days=1), facts)
    lines.append("---")
    head_size = sum(len(line) + 1 for line in lines)
    return "\n".join(lines + _body(rng, facts, head_size, rng.randint(*_SIZE))) + "\n"


def incident_files(n: int, seed: int = 1) -> dict[str, str]:
    """File name -> text of ``n`` incidents; the same seed gives the same files."""
    rng = random.Random(seed)
    files = {}
    for index in range(n):
        kind = pick_kind(rng)
        start = start_time(rng, kind).replace(second=0, microsecond=0)
        files[f"{start:%Y-%m-%d}-incident-{index:05d}.md"] = incident_text(rng, index, start, kind)
    return files


def generate(root: Path, n: int, seed: int = 1) -> Path:
    """Write a buildable status repository with ``n`` incidents into ``root``."""
    incidents = root / "incidents"
    if incidents.exists():
        shutil.rmtree(incidents)
    incidents.mkdir(parents=True)
    shutil.copy2(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    for name in ("hooks", "docs", "overrides"):
        if (root / name).exists():
            shutil.rmtree(root / name)
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    (incidents / "clients.yml").write_text(clients_yaml(), encoding="utf-8")
    for name, text in incident_files(n, seed).items():
        (incidents / name).write_text(text, encoding="utf-8")
    return root


def client_passphrases() -> str:
    """SITREP_CLIENT_PASSPHRASES for the generated clients."""
    return "{" + ", ".join(f'"client-{i:02d}": "pass-{i:02d}"' for i in range(CLIENTS)) + "}"


if __name__ == "__main__":
    target = Path(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    generate(target, count)
    print(f"wrote {count} incidents to {target / 'incidents'}")
