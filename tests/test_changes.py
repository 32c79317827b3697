"""Change detection on real git histories: which commits and incident files notify, and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import git as gitpython
import pytest
from gitrepo import commit, git, incident_text, init_repo, write_incident

from generator.changes import (
    events_between,
    first_parent_history,
    notifiable_state,
    open_repo,
    read_changes,
    select,
)
from generator.errors import StopRun
from generator.load import parse_incident
from generator.model import Incident

T0 = datetime(2026, 12, 3, 8, 20, tzinfo=UTC)
FIRST = [(T0, "investigating", "Staff cannot connect.")]
SECOND = [*FIRST, (T0 + timedelta(minutes=30), "identified", "The disk failed.")]


def incident(updates: list[tuple[datetime, str, str]], **fields: object) -> Incident:
    text = incident_text("Remote Access server failure", updates, **fields)  # type: ignore[arg-type]
    found, problems = parse_incident(Path("incidents/2026-12-03-dlca-remote-access.md"), text)
    assert found is not None, problems
    return found


@pytest.mark.parametrize(("before", "after", "events"), [
    (None, incident(FIRST), ("new",)),
    (incident(FIRST), incident(SECOND), ("status", "update")),
    (incident(FIRST), incident(FIRST, severity="critical"), ("severity",)),
    (incident(FIRST), incident(FIRST, eta=T0 + timedelta(hours=2)), ("eta",)),
    (incident(FIRST), incident([*FIRST, (T0 + timedelta(minutes=5), "investigating", "Still on it.")]),
     ("update",)),
    (incident(SECOND), incident([*SECOND, (T0 + timedelta(hours=1), "resolved", "Fixed.")]),
     ("resolved", "update")),
    (incident(FIRST), incident(FIRST, body="A typo fixed in the summary."), ()),
    (incident(FIRST), incident([(T0, "investigating", "Staff cannot connect (typo fixed).")]), ()),
])
def test_events_between(before: Incident | None, after: Incident, events: tuple[str, ...]) -> None:
    assert events_between(before, after) == events


def test_notifiable_state_ignores_prose_and_follows_what_readers_are_told() -> None:
    base = notifiable_state(incident(FIRST))
    assert notifiable_state(incident(FIRST, body="Other words.")) == base
    assert notifiable_state(incident([(T0, "investigating", "Reworded.")])) == base
    assert notifiable_state(incident(SECOND)) != base
    assert notifiable_state(incident(FIRST, eta=T0 + timedelta(hours=1))) != base


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path, when=T0 - timedelta(hours=1))


def changes_of(repo: Path, *shas: str) -> list[tuple[str, tuple[str, ...], str]]:
    with gitpython.Repo(repo) as handle:
        found = read_changes(handle, list(shas), "incidents")
    return [(c.path, c.events, c.skipped) for batch in found for c in batch.changes]


def test_added_changed_renamed_deleted(repo: Path) -> None:
    write_incident(repo, "a", incident_text("A", FIRST))
    added = commit(repo, "add a", T0)
    write_incident(repo, "a", incident_text("A", SECOND))
    changed = commit(repo, "update a", T0 + timedelta(minutes=30))
    git(repo, "mv", "incidents/a.md", "incidents/b.md")
    renamed = commit(repo, "rename a to b", T0 + timedelta(minutes=31))
    git(repo, "rm", "--quiet", "incidents/b.md")
    deleted = commit(repo, "delete b", T0 + timedelta(minutes=32))
    assert changes_of(repo, added, changed, renamed, deleted) == [
        ("incidents/a.md", ("new",), ""),
        ("incidents/a.md", ("status", "update"), ""),
        ("incidents/b.md", (), "no change that matters to readers"),
        ("incidents/b.md", (), "deleted: nothing to tell"),
    ]


def test_rename_with_a_new_update_is_an_update_not_a_new_incident(repo: Path) -> None:
    write_incident(repo, "a", incident_text("A", FIRST))
    commit(repo, "add a", T0)
    git(repo, "mv", "incidents/a.md", "incidents/b.md")
    write_incident(repo, "b", incident_text("A", SECOND))
    sha = commit(repo, "rename and update", T0 + timedelta(minutes=30))
    assert changes_of(repo, sha) == [("incidents/b.md", ("status", "update"), "")]


def test_root_commit_is_diffed_against_the_empty_tree(tmp_path: Path) -> None:
    work = tmp_path / "root"
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(work))
    (work / "incidents").mkdir()
    write_incident(work, "a", incident_text("A", FIRST))
    sha = commit(work, "first commit with an incident", T0)
    assert changes_of(work, sha) == [("incidents/a.md", ("new",), "")]


def test_trailer_silences_and_other_files_are_ignored(repo: Path) -> None:
    write_incident(repo, "a", incident_text("A", FIRST))
    (repo / "README.md").write_text("hello\n")
    sha = commit(repo, "Import old incidents\n\nSitrep-Notify: no", T0, paths=["."])
    assert changes_of(repo, sha) == [
        ("incidents/a.md", ("new",), "silenced by the trailer Sitrep-Notify: no")]


def test_invalid_incident_is_reported_not_sent(repo: Path) -> None:
    write_incident(repo, "a", "---\ntitle: A\n---\n")
    sha = commit(repo, "half-written", T0)
    [(_, events, skipped)] = changes_of(repo, sha)
    assert events == () and skipped.startswith("not valid at this commit: incidents/a.md")


def test_merge_commit_is_diffed_against_its_first_parent(repo: Path) -> None:
    git(repo, "checkout", "--quiet", "-b", "topic")
    write_incident(repo, "a", incident_text("A", FIRST))
    commit(repo, "on a branch", T0)
    git(repo, "checkout", "--quiet", "main")
    git(repo, "merge", "--quiet", "--no-ff", "-m", "merge topic", "topic", when=T0 + timedelta(minutes=1))
    merge = git(repo, "rev-parse", "HEAD")
    with gitpython.Repo(repo) as handle:
        history = [sha for sha, _ in first_parent_history(handle, "HEAD")]
    assert history[0] == merge and len(history) == 2  # the topic commit is not first-parent
    assert changes_of(repo, merge) == [("incidents/a.md", ("new",), "")]


def test_select_stops_at_the_last_notified_commit_and_honours_the_cutoff() -> None:
    day = timedelta(days=1)
    history = [("e", T0), ("d", T0 - day), ("c", T0 - 2 * day), ("b", T0 - 3 * day), ("a", T0 - 4 * day)]
    assert select(history, {"c"}, T0 - 10 * day) == (["d", "e"], True)
    assert select(history, set(), T0 - 2 * day) == (["c", "d", "e"], False)
    assert select(history, {"e"}, T0) == ([], True)


def test_shallow_clone_is_refused_with_the_fix(repo: Path, tmp_path: Path) -> None:
    for minutes in (1, 2):
        write_incident(repo, "a", incident_text("A", FIRST, body=f"v{minutes}"))
        commit(repo, f"v{minutes}", T0 + timedelta(minutes=minutes))
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{repo}", str(shallow))
    with pytest.raises(StopRun, match="fetch-depth: 0"):
        open_repo(shallow)
