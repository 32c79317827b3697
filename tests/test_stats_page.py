"""The staff statistics page, read from real builds: the examples, and a month with enough incidents
for medians, worst cases, a drill and reviews."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import TEST_SECRETS, copy_repo, mkdocs_build, read_page

from generator import keys, protect

SECRET = TEST_SECRETS["SITREP_SITE_SECRET"]
STATS = keys.staff_path(SECRET) + "stats/"
HEAD = ["Month", "Critical", "Major", "Minor", "Maintenance", "First message (median, worst)",
        "Resolved in (median, worst)", "Drills held", "Reviews held"]


def tables(html: str) -> dict[str, list[list[str]]]:
    """Each section's title and its table's rows (header first), as cell texts."""
    found = {}
    for title, body in re.findall(r'<h2 class="sitrep-h2">(.*?)</h2>\s*(<table.*?</table>)', html, re.S):
        rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
        found[title] = [re.findall(r"<t[dh](?: [^>]*)?>(.*?)</t[dh]>", row) for row in rows]
    return found


def test_the_examples_by_client_and_month(example_site: Path) -> None:
    found = tables(read_page(example_site, STATS))
    assert list(found) == ["Every client", "Drummond Laurie Chartered Accountants", "Harbour Bay Surgery",
                           "Mercer Wright Logistics", "Public incidents"]
    assert found["Every client"] == [
        HEAD,
        # The telephony incident is open: a first message, no resolution yet.
        ["December 2026", "0", "0", "1", "1", "15 minutes, 15 minutes", "-", "0", "-"],
        # The warehouse outage (2 h 5 min) and the email delay (55 minutes): median 1 h 30 min.
        ["November 2026", "1", "0", "1", "1", "15 minutes, 15 minutes", "1 h 30 min, 2 h 5 min", "0",
         "0 of 1"],
        # The drill counts as a drill, never as a critical incident; its review is due too.
        ["October 2026", "0", "0", "0", "0", "-", "-", "1", "0 of 1"],
        ["August 2017", "0", "1", "0", "0", "15 minutes, 15 minutes", "3 h 5 min, 3 h 5 min", "0", "1 of 1"],
    ]
    assert found["Harbour Bay Surgery"][1:] == [
        ["December 2026", "0", "0", "1", "0", "15 minutes, 15 minutes", "-", "0", "-"],
        ["October 2026", "0", "0", "0", "0", "-", "-", "1", "0 of 1"]]
    assert found["Public incidents"][1:] == [["November 2026", "0", "0", "0", "1", "-", "-", "0", "-"]]


def incident(ident: str, client: str, severity: str, minutes: tuple[int, int], *, drill: bool = False,
             review: bool = False) -> tuple[str, str]:
    """An incident started on 8 September 2026 at 08:00 BST, first told after ``minutes[0]`` and
    resolved after ``minutes[1]`` minutes."""
    first, resolved = minutes
    status = ("scheduled", "completed") if severity == "maintenance" else ("investigating", "resolved")
    text = [f"title: Incident {ident}", f"client: {client}", f"severity: {severity}",
            "started: 2026-09-08T08:00:00+01:00", *(["drill: true"] if drill else []), "updates:"]
    for offset, word in zip((first, resolved), status, strict=True):
        text += [f"  - at: 2026-09-08T{8 + offset // 60:02d}:{offset % 60:02d}:00+01:00",
                 f"    status: {word}", "    message: Told."]
    if review:
        text += ["review:", "  held_on: 2026-09-10T14:00:00+01:00"]
    return f"2026-09-08-{ident}", "---\n" + "\n".join(text) + "\n---\nSummary.\n"


SEPTEMBER = [
    incident("warehouse", "mwl", "critical", (40, 240)),
    incident("vpn", "mwl", "major", (10, 60), review=True),
    incident("email", "[mwl, hbs]", "minor", (20, 30)),  # both clients' rows, once in every client's
    incident("drill", "mwl", "critical", (5, 20), drill=True, review=True),
    incident("patching", "mwl", "maintenance", (0, 90)),
]


@pytest.fixture(scope="module")
def september_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_repo(tmp_path_factory.mktemp("stats") / "repo")
    for ident, text in SEPTEMBER:
        (root / "incidents" / f"{ident}.md").write_text(text, encoding="utf-8")
    result = mkdocs_build(root)
    assert result.returncode == 0, result.stderr
    return root / "site"


def test_medians_and_worst_leave_drills_out_and_count_reviews(september_site: Path) -> None:
    found = tables(read_page(september_site, STATS))
    # Incidents: first message after 40, 10 and 20 minutes (the drill's 5 is not counted),
    # resolved after 240, 60 and 30 minutes; reviews due for the critical, the major and the drill.
    september = ["September 2026", "1", "1", "1", "1", "20 minutes, 40 minutes", "1 h, 4 h", "1", "2 of 3"]
    assert found["Mercer Wright Logistics"][1:] == [
        ["November 2026", "1", "0", "0", "0", "15 minutes, 15 minutes", "2 h 5 min, 2 h 5 min", "0",
         "0 of 1"],
        september]
    assert found["Every client"][-2] == september
    assert found["Harbour Bay Surgery"][-1] == [
        "September 2026", "0", "0", "1", "0", "20 minutes, 20 minutes", "30 minutes, 30 minutes", "0", "-"]


def test_the_statistics_page_is_for_staff_only(example_site: Path) -> None:
    data = protect.payload_of((example_site / STATS / "index.html").read_text(encoding="utf-8"))
    assert data is not None
    assert "Staff statistics" in protect.open_payload(data, keys.staff_key(SECRET))
    for client in ("dlca", "hbs", "mwl"):
        with pytest.raises(protect.ProtectError):
            protect.open_payload(data, keys.client_key(SECRET, client))
    overview = read_page(example_site, keys.staff_path(SECRET))
    assert '<a class="sitrep-stats-link" href="stats/">Statistics by client and month</a>' in overview
