"""The GitHub workflows, read as data: schema-valid offline and wired in the order that matters."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def load(name: str) -> dict[str, Any]:
    """A workflow as data; PyYAML reads the key ``on`` as True, so map it back."""
    data: dict[Any, Any] = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_the_github_schema_offline(path: Path) -> None:
    exe = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) or shutil.which(
        "check-jsonschema")
    assert exe, "check-jsonschema is a test dependency (pip install -e .[test])"
    result = subprocess.run([exe, "--builtin-schema", "vendor.github-workflows", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_workflow_starts_with_no_permissions() -> None:
    for path in WORKFLOWS:
        assert load(path.name)["permissions"] == {}, path.name


def test_publish_runs_validate_build_deploy_notify_in_that_order() -> None:
    jobs = load("publish.yml")["jobs"]
    assert jobs["build"]["needs"] == "validate"
    assert jobs["deploy"]["needs"] == "build"
    assert jobs["notify"]["needs"] == "deploy"


def test_publish_runs_are_serialised_and_never_cancelled() -> None:
    flow = load("publish.yml")
    assert flow["concurrency"]["cancel-in-progress"] is False
    assert flow["concurrency"]["group"]
    assert flow["on"]["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in flow["on"]


def test_each_job_has_only_the_permissions_it_needs() -> None:
    jobs = load("publish.yml")["jobs"]
    assert jobs["validate"]["permissions"] == {"contents": "read"}
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["notify"]["permissions"] == {"contents": "write"}


def test_notify_reads_full_history_and_secrets_come_from_the_environment() -> None:
    notify = load("publish.yml")["jobs"]["notify"]
    checkout = next(s for s in notify["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    assert notify["environment"] == "status"
    send = next(s for s in notify["steps"] if "sitrep notify" in s.get("run", ""))
    assert send["env"]["SITREP_SITE_SECRET"] == "${{ secrets.SITREP_SITE_SECRET }}"
    assert "secrets." not in send["run"], "secrets go through env:, never the command line"


def test_pull_requests_run_the_tests_and_preview_the_sms() -> None:
    flow = load("test.yml")
    steps = flow["jobs"]["test"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "bash .ci/run" in runs
    assert "sitrep preview" in runs and "GITHUB_STEP_SUMMARY" in runs
    assert "pull_request" in flow["on"]


def test_check_runs_every_15_minutes_and_on_demand() -> None:
    flow = load("check.yml")
    assert flow["on"]["schedule"] == [{"cron": "*/15 * * * *"}]
    assert "workflow_dispatch" in flow["on"]
    assert flow["permissions"] == {}


def test_check_never_shares_or_cancels_publish_runs() -> None:
    # One pending run per group: a shared group would let a queued check replace a queued publish.
    check, publish = load("check.yml")["concurrency"], load("publish.yml")["concurrency"]
    assert check["group"] and check["group"] != publish["group"]
    assert check["cancel-in-progress"] is False


def test_check_texts_staff_with_only_the_permission_to_push_the_ledger() -> None:
    job = load("check.yml")["jobs"]["check"]
    assert job["permissions"] == {"contents": "write"}
    assert job["environment"] == "status"
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    step = next(s for s in job["steps"] if "sitrep check" in s.get("run", ""))
    assert "sitrep check --notify-staff" in step["run"]
    assert "secrets." not in step["run"], "secrets go through env:, never the command line"
    for name in ("SITREP_SITE_SECRET", "TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID"):
        assert step["env"][name] == f"${{{{ secrets.{name} }}}}"
    assert step["env"]["SITREP_RECIPIENTS"] == "${{ runner.temp }}/recipients.yml"
    # Exit 1 (something overdue, staff told) passes; 2 (a stopped run) fails the job.
    assert 'test "$status" -le 1' in step["run"]
