"""hooks/rollout.py: one template release, many repositories, one report."""

from __future__ import annotations

import sys
from pathlib import Path

from test_update import (
    PREVIOUS_PINS,
    answers,
    commit_all,
    copy_project,
    git,
    replace_once,
    snapshot,
)
from test_update import releases as releases  # the session fixture

from conftest import GIT_IDENTITY, REPO, action_pins, run

ROLLOUT = REPO / "hooks/rollout.py"


def rollout(*args: str | Path) -> tuple[int, list[str]]:
    result = run(sys.executable, ROLLOUT, *args, env=GIT_IDENTITY, check=False)
    assert result.stderr == "", result.stderr
    return result.returncode, result.stdout.splitlines()


def test_rollout_reports_updated_conflicts_and_skipped(
    releases: Path, tmp_path: Path
) -> None:
    clean = copy_project(releases, tmp_path / "clean", "v0.1.0")
    conflicted = copy_project(releases, tmp_path / "conflicted", "v0.1.0")
    replace_once(
        conflicted / ".github/workflows/publish.yml",
        PREVIOUS_PINS["actions/checkout"],
        "0123456789abcdef0123456789abcdef01234567 # v6.9.9",
    )
    commit_all(conflicted, "Our own checkout pin")
    dirty = copy_project(releases, tmp_path / "dirty", "v0.1.0")
    (dirty / "README.md").write_text("Work in progress\n")
    dirty_before = snapshot(dirty)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "README.md").write_text("Not from a template\n")
    git(foreign, "init", "--quiet")
    commit_all(foreign, "Start")

    code, lines = rollout(
        "--trust", "--template", releases, clean, conflicted, dirty, foreign
    )

    assert code == 1  # a conflict needs attention
    assert lines == [
        f"updated    {clean}  v0.1.0 -> v0.3.0",
        f"conflicts  {conflicted}  v0.1.0 -> v0.3.0: .github/workflows/publish.yml",
        f"skipped    {dirty}  dirty working tree: commit or stash first",
        f"skipped    {foreign}  not made from this template (no .copier-answers.yml)",
        "1 updated, 1 conflicts, 2 skipped",
    ]
    checkout = f"actions/checkout@{action_pins()['actions/checkout']}"
    assert checkout in (clean / ".github/workflows/publish.yml").read_text()
    assert answers(clean)["_commit"] == "v0.3.0"
    assert (
        "<<<<<<< before updating"
        in (conflicted / ".github/workflows/publish.yml").read_text()
    )
    assert snapshot(dirty) == dirty_before
    assert answers(dirty)["_commit"] == "v0.1.0"

    # Committed, the updated repository is up to date on the next rollout;
    # the conflicted one, still unresolved, is not touched again.
    commit_all(clean, "Update the template")
    code, lines = rollout("--trust", "--template", releases, clean, conflicted)
    assert code == 0
    assert lines == [
        f"up to date {clean}  v0.3.0",
        f"skipped    {conflicted}  dirty working tree: commit or stash first",
        "1 up to date, 1 skipped",
    ]


def test_other_templates_and_missing_trust_are_reported(
    releases: Path, tmp_path: Path
) -> None:
    project = copy_project(releases, tmp_path / "pkg", "v0.1.0")
    before = snapshot(project)

    code, lines = rollout("--template", tmp_path / "another-template", project)
    assert code == 0
    assert lines[0] == (
        f"skipped    {project}  not made from this template (made from {releases})"
    )

    code, lines = rollout("--template", releases, project)
    assert code == 1
    assert lines[0].startswith(f"failed     {project}  ")
    assert lines[0].endswith("(pass --trust)")
    assert snapshot(project) == before
