"""The template repository's own CI and release procedure."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from conftest import (
    REPO,
    action_pins,
    assert_actionlint_and_zizmor_pass,
    load_toml,
    load_yaml,
    run,
    tool,
)

WORKFLOWS = sorted((REPO / ".github/workflows").glob("*.yml"))
CHECK_RELEASE = REPO / ".ci/check_release.py"


def steps(workflow: Path, job: str) -> list[Any]:
    return list(load_yaml(workflow)["jobs"][job]["steps"])


def test_own_workflows_pass_actionlint_and_zizmor() -> None:
    assert WORKFLOWS, "the template repository has no workflows"
    assert_actionlint_and_zizmor_pass(WORKFLOWS, REPO / ".github/workflows")
    for workflow in WORKFLOWS:
        assert not re.search(r"#\s*zizmor:", workflow.read_text()), workflow.name


def test_own_workflows_pin_copier_ymls_actions() -> None:
    pins = action_pins()
    used = [
        step["uses"]
        for workflow in WORKFLOWS
        for job in load_yaml(workflow)["jobs"].values()
        for step in job["steps"]
        if "uses" in step
    ]
    assert used
    for uses in used:
        # ruamel keeps the trailing "# vX.Y.Z" comment out of the value.
        name, _, sha = uses.partition("@")
        assert name in pins, f"{name} is not in copier.yml's action_pins"
        assert sha == pins[name].split(" # ")[0], uses
    texts = "".join(w.read_text() for w in WORKFLOWS)
    for uses in used:
        name = uses.partition("@")[0]
        assert f"{name}@{pins[name]}" in texts, f"{name}: version comment differs"


def test_ci_runs_the_readmes_test_command_through_ci_run() -> None:
    ci = REPO / ".github/workflows/ci.yml"
    runs = [step.get("run", "") for step in steps(ci, "test")]
    assert runs[-1] == "bash .ci/run"
    # .ci/run ends with README's test command (test_readme checks which).
    readme = (REPO / "README.md").read_text()
    command = re.search(r"```console\n.*\n(?P<test>.*)\n```", readme)
    assert command
    ci_run = (REPO / ".ci/run").read_text().strip().splitlines()
    assert ci_run[-1] == command["test"]
    # The uv CI installs is the one the repository's tooling pins.
    (setup_uv,) = [s for s in steps(ci, "test") if "setup-uv" in s.get("uses", "")]
    pinned = [
        d
        for d in load_toml(REPO / "pyproject.toml")["dependency-groups"]["test"]
        if isinstance(d, str) and d.startswith("uv==")
    ]
    assert pinned == [f"uv=={setup_uv['with']['version']}"]
    assert pinned[0] in (REPO / ".ci/run").read_text()  # its fallback install
    # The zizmor job audits these workflows at the auditor persona.
    (audit,) = [s["run"] for s in steps(ci, "zizmor") if "zizmor" in s.get("run", "")]
    assert "--persona=auditor" in shlex.split(audit)


def check_release(tag: str, changelog: Path) -> tuple[int, str]:
    result = run("python3", CHECK_RELEASE, tag, changelog, check=False)
    return result.returncode, result.stdout + result.stderr


CHANGELOG = """# Changelog

## 0.5.0 (unreleased)

- Not tagged yet.

### Upgrading

1. Nothing.

## 0.3.0 (2026-12-01)

- A change.

### Upgrading

1. Arrives by itself: the change.

## 0.2.0

- Another change, with no upgrading notes.
"""


@pytest.mark.parametrize(
    ("tag", "code", "message"),
    [
        (
            "v0.3.0",
            1,
            "CHANGELOG.md already names 0.5.0: v0.3.0 would be older "
            "than main, and Copier would give new projects that",
        ),
        (
            "v0.5.0",
            1,
            "CHANGELOG.md's '## 0.5.0 (unreleased)': give it the release's date",
        ),
        ("v0.2.0", 1, "CHANGELOG.md's 0.2.0 section has no '### Upgrading'"),
        ("v0.4.0", 1, "CHANGELOG.md has no '## 0.4.0' section for v0.4.0"),
        ("0.3.0", 2, "'0.3.0' is not a release tag: releases are vX.Y.Z"),
        ("v0.3", 2, "'v0.3' is not a release tag: releases are vX.Y.Z"),
    ],
)
def test_release_tag_needs_its_changelog_entry(
    tmp_path: Path, tag: str, code: int, message: str
) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(CHANGELOG)
    assert check_release(tag, changelog) == (code, message + "\n")


def test_the_release_main_describes_passes_once_dated(tmp_path: Path) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(CHANGELOG.replace("(unreleased)", "(2026-12-24)"))
    assert check_release("v0.5.0", changelog) == (
        0,
        "v0.5.0: CHANGELOG.md has its entry, with an Upgrading section\n",
    )


def tags_without_their_entry(repo: Path, tmp_path: Path) -> list[str]:
    """check_release.py's message for each release tag of `repo` whose own
    commit's CHANGELOG.md lacks the tag's entry."""
    failures = []
    tags = run("git", "tag", "--list", "v*", cwd=repo).stdout.split()
    for tag in tags:
        changelog = tmp_path / tag / "CHANGELOG.md"
        changelog.parent.mkdir(parents=True)
        changelog.write_text(run("git", "show", f"{tag}:CHANGELOG.md", cwd=repo).stdout)
        code, message = check_release(tag, changelog)
        if code != 0:
            failures.append(message)
    return failures


def test_every_release_tag_so_far_has_its_entry(tmp_path: Path) -> None:
    assert tags_without_their_entry(REPO, tmp_path / "own") == []

    # The same check in a clone with a release of each kind: one with its entry,
    # one without.
    clone = tmp_path / "clone"
    run("git", "clone", "--quiet", REPO, clone)
    changelog = clone / "CHANGELOG.md"
    entry = "## 99.0.0\n\n- A change.\n\n### Upgrading\n\n1. Nothing to do.\n\n"
    text = changelog.read_text()
    first = text.index("\n## ") + 1  # above the newest release
    changelog.write_text(text[:first] + entry + text[first:])
    run("git", "commit", "--quiet", "--all", "-m", "Release 99.0.0", cwd=clone)
    run("git", "tag", "v99.0.0", cwd=clone)
    run("git", "commit", "--quiet", "--allow-empty", "-m", "No entry", cwd=clone)
    run("git", "tag", "v99.0.1", cwd=clone)
    assert tags_without_their_entry(clone, tmp_path / "clone-tags") == [
        "CHANGELOG.md has no '## 99.0.1' section for v99.0.1\n"
    ]


def test_template_lints_and_type_checks_the_verifier_projects_leave_out() -> None:
    """Projects exclude scripts/verify_attestations.py from their ruff and
    mypy (they own none of it): the template's own CI checks it instead."""
    verifier = "template/scripts/verify_attestations.py"
    listed = run(tool("ruff"), "check", "--show-files", ".", cwd=REPO).stdout
    assert str(REPO / verifier) in listed.splitlines()
    mypy = load_toml(REPO / "pyproject.toml")["tool"]["mypy"]
    assert "exclude" not in mypy
    assert any(Path(verifier).is_relative_to(f) for f in mypy["files"]), mypy
    lint = [
        step.get("run", "") for step in steps(REPO / ".github/workflows/ci.yml", "lint")
    ]
    assert any("uv run ruff check ." in r and "uv run mypy" in r for r in lint), lint
