"""commands/rollout.py: one template release, many repositories, one report."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from test_update import (
    NEWEST,
    PREVIOUS_PINS,
    answers,
    commit_all,
    copy_project,
    git,
    replace_once,
    snapshot,
)
from test_update import releases as releases  # the session fixture

from conftest import BIN, GIT_IDENTITY, REPO, action_pins, import_script, run, tool

ROLLOUT = REPO / "commands/rollout.py"


def rollout(
    *args: str | Path, script: bool = False, cwd: Path | None = None
) -> tuple[int, list[str]]:
    """Run the rollout command: in the test environment, or with `script` as a
    user does, `uv run --script` with only what its PEP 723 header names (and
    without the test environment on the PATH)."""
    command: list[str | Path] = [sys.executable, ROLLOUT]
    env = dict(GIT_IDENTITY)
    if script:
        command = [tool("uv"), "run", "--quiet", "--no-project", "--script", ROLLOUT]
        path = os.environ["PATH"].split(os.pathsep)
        env |= {"PATH": os.pathsep.join(p for p in path if Path(p) != BIN)}
    result = run(*command, *args, env=env, check=False, cwd=cwd)
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

    missing = tmp_path / "missing"

    code, lines = rollout(
        "--trust", "--template", releases, clean, conflicted, dirty, foreign, missing
    )

    assert code == 1  # a conflict needs attention
    assert lines == [
        f"updated    {clean}  v0.1.0 -> v0.3.0",
        f"conflicts  {conflicted}  v0.1.0 -> v0.3.0: .github/workflows/publish.yml",
        f"skipped    {dirty}  dirty working tree: commit or stash first",
        f"not this template {foreign}  no .copier-answers.yml",
        f"skipped    {missing}  not a directory",
        "1 updated, 1 conflicts, 2 skipped, 1 not this template",
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
    # the conflicted one, still unresolved, is reported as such again (and
    # not updated), also once its markers are staged with `git add`.
    commit_all(clean, "Update the template")
    conflicted_before = snapshot(conflicted)
    still = (
        f"conflicts  {conflicted}  unresolved from an earlier update to v0.3.0: "
        ".github/workflows/publish.yml"
    )
    code, lines = rollout("--trust", "--template", releases, clean, conflicted)
    assert code == 1
    assert lines == [f"up to date {clean}  v0.3.0", still, "1 up to date, 1 conflicts"]
    git(conflicted, "add", "--all")
    code, lines = rollout("--trust", "--template", releases, conflicted)
    assert (code, lines) == (1, [still, "1 conflicts"])
    assert snapshot(conflicted) == conflicted_before


def test_other_templates_and_missing_trust_are_reported(
    releases: Path, tmp_path: Path
) -> None:
    project = copy_project(releases, tmp_path / "pkg", "v0.1.0")
    before = snapshot(project)

    code, lines = rollout("--template", tmp_path / "another-template", project)
    assert code == 0
    assert lines == [
        f"not this template {project}  made from {releases}",
        "1 not this template",
    ]

    code, lines = rollout("--template", releases, project)
    assert code == 1
    assert lines[0].startswith(f"failed     {project}  ")
    assert lines[0].endswith("(pass --trust)")
    assert snapshot(project) == before


def fleet(releases: Path, root: Path, count: int) -> list[Path]:
    """`count` repositories made from v0.1.0 (one copy, cloned by copying)."""
    first = copy_project(releases, root / "r0", "v0.1.0")
    others = [root / f"r{i}" for i in range(1, count)]
    for repo in others:
        shutil.copytree(first, repo, symlinks=True)
    return [first, *others]


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_repositories_from_a_github_listing_and_a_file(
    releases: Path, tmp_path: Path
) -> None:
    origin_a, origin_b, listed = fleet(releases, tmp_path / "origin", 3)
    # The shape of GET /orgs/{org}/repos, trimmed to what the command reads.
    listing = tmp_path / "repos.json"
    entries = [
        {"name": "widget-a", "full_name": "acme/widget-a", "archived": False},
        {"name": "widget-old", "full_name": "acme/widget-old", "archived": True},
        {"name": "widget-b", "full_name": "acme/widget-b", "archived": False},
    ]
    for entry, origin in zip(
        entries, (origin_a, tmp_path / "gone", origin_b), strict=True
    ):
        entry["clone_url"] = str(origin)
    # Two pages, one after the other, as `gh api --paginate` saves them.
    listing.write_text(json.dumps(entries[:2]) + "\n" + json.dumps(entries[2:]))
    repos_file = tmp_path / "repos.txt"
    repos_file.write_text(f"# the one not on GitHub\n{listed.relative_to(tmp_path)}\n")
    clones = tmp_path / "clones"
    report = tmp_path / "report.json"

    code, lines = rollout(
        "--trust", "--template", releases, "--jobs=2", "--report", report,
        "--repos-file", repos_file, "--github-json", listing, "--clones", clones,
    )  # fmt: skip

    assert code == 0
    listed_path = tmp_path / listed.relative_to(tmp_path)
    assert lines == [
        f"updated    {listed_path}  v0.1.0 -> v0.3.0",
        f"updated    {clones / 'widget-a'}  v0.1.0 -> v0.3.0",
        f"skipped    {clones / 'widget-old'}  archived on GitHub",
        f"updated    {clones / 'widget-b'}  v0.1.0 -> v0.3.0",
        "3 updated, 1 skipped",
    ]
    assert not (clones / "widget-old").exists()
    for clone in ("widget-a", "widget-b"):
        assert answers(clones / clone)["_commit"] == "v0.3.0"
    assert answers(origin_a)["_commit"] == "v0.1.0"  # clones were updated
    data = load_json(report)
    assert data["complete"] is True
    assert data["counts"] == {
        "updated": 3, "up to date": 0, "conflicts": 0, "skipped": 1, "failed": 0,
        "not this template": 0,
    }  # fmt: skip
    assert data["outcomes"][2] == {
        "repo": str(clones / "widget-old"),
        "status": "skipped",
        "detail": "archived on GitHub",
        "files": [],
    }


def test_bad_listing_or_state_is_one_line_and_touches_nothing(
    releases: Path, tmp_path: Path
) -> None:
    (project,) = fleet(releases, tmp_path, 1)
    before = snapshot(project)
    listing = tmp_path / "repos.json"
    listing.write_text('{"message": "Not Found"}')
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"target": "v0.2.0", "outcomes": []}))
    cases: list[tuple[list[str | Path], str]] = [
        (["--github-json", listing, "--clones", tmp_path / "c"], "not a repository"),
        (["--state", state, project], "records a rollout to v0.2.0, not latest"),
    ]
    for args, message in cases:
        result = run(sys.executable, ROLLOUT, "--trust", *args, check=False)
        assert result.returncode == 2
        assert message in result.stderr
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stdout == ""
    assert snapshot(project) == before


def test_interrupted_rollout_resumes_without_redoing_finished_ones(
    releases: Path, tmp_path: Path
) -> None:
    repos = fleet(releases, tmp_path / "fleet", 3)
    state = tmp_path / "state.json"
    options: list[str | Path] = ["--trust", "--template", releases, "--jobs=1"]
    options += ["--state", state, *repos]

    started = subprocess.Popen(
        [sys.executable, ROLLOUT, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not (state.exists() and load_json(state)["outcomes"]):
        assert started.poll() is None, started.communicate()
        assert time.monotonic() < deadline, "no repository finished in 120 s"
        time.sleep(0.05)
    started.send_signal(signal.SIGINT)  # what Ctrl-C sends
    stdout, stderr = started.communicate(timeout=120)

    assert started.returncode == 130, stdout + stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    done = [Path(o["repo"]) for o in load_json(state)["outcomes"]]
    # The update in progress finished; none was started after the signal.
    assert 1 <= len(done) <= 2 and done == repos[: len(done)]
    left = repos[len(done) :]
    for repo in done:
        assert answers(repo)["_commit"] == "v0.3.0"
    for repo in left:
        assert answers(repo)["_commit"] == "v0.1.0"
    finished = {repo: snapshot(repo) for repo in done}

    code, lines = rollout(*options)

    assert code == 0
    # Finished ones are reported from the state file, saying so: updating
    # them again would have found their uncommitted changes and skipped them.
    recorded = " (recorded in the --state file)"
    assert lines == [
        f"updated    {repo}  v0.1.0 -> v0.3.0{recorded if repo in done else ''}"
        for repo in repos
    ] + ["3 updated"]
    assert {repo: snapshot(repo) for repo in done} == finished
    for repo in left:
        assert answers(repo)["_commit"] == "v0.3.0"


def test_resuming_retries_what_is_not_final_without_a_dev_env(
    releases: Path, tmp_path: Path
) -> None:
    """Run as a user runs it (`uv run --script`, no template environment): a
    failed repository and one skipped as dirty, fixed since, are tried again;
    finished ones are reported from the state file, saying so. The dirty one
    was made from a clone of the template under another name."""
    fork = tmp_path / "acme-python-template"
    run("git", "clone", "--quiet", releases, fork)
    failing = copy_project(releases, tmp_path / "failing", "v0.1.0")
    dirty = copy_project(fork, tmp_path / "dirty", "v0.1.0")
    (dirty / "NOTES.md").write_text("Work in progress\n")
    state = tmp_path / "state.json"
    repos: list[str | Path] = ["--template", releases, "--state", state, failing, dirty]

    code, lines = rollout(*repos, script=True)  # no --trust: the migration refuses
    assert code == 1
    assert lines[0].startswith(f"failed     {failing}  ")
    assert lines[1:] == [
        f"skipped    {dirty}  dirty working tree: commit or stash first",
        "1 skipped, 1 failed",
    ]

    commit_all(dirty, "Notes")
    code, lines = rollout("--trust", *repos, script=True)
    assert code == 0
    assert lines == [
        f"updated    {failing}  v0.1.0 -> v0.3.0",
        f"updated    {dirty}  v0.1.0 -> v0.3.0",
        "2 updated",
    ]
    assert answers(dirty)["_src_path"] == str(fork)

    code, lines = rollout("--trust", *repos, script=True)
    assert (code, lines[-1]) == (0, "2 updated")
    assert all(line.endswith("(recorded in the --state file)") for line in lines[:2])

    # Named relative to another folder, they are the same repositories: still
    # finished, not "skipped" for the changes their update left.
    relative = [os.path.relpath(repo, fork) for repo in (failing, dirty)]
    code, lines = rollout("--template", releases, "--state", state, *relative, cwd=fork)
    assert lines == [
        f"updated    {name}  v0.1.0 -> v0.3.0 (recorded in the --state file)"
        for name in relative
    ] + ["2 updated"]
    assert code == 0


def test_a_failed_repository_says_its_real_reason_in_one_line(
    releases: Path, tmp_path: Path
) -> None:
    """A traceback's exception, not its first line; a migration's refusal, not
    Copier's line about the task."""
    project = copy_project(releases, tmp_path / "pkg", "v0.1.0")
    with (project / ".copier-answers.yml").open("a") as stream:
        stream.write("version_source: tag\n")  # uv_build cannot
    commit_all(project, "The tag as version, by hand")
    code, lines = rollout("--trust", "--template", releases, project)
    assert code == 1
    assert lines == [
        f"failed     {project}  ValueError: Validation error for question "
        "'version_source': A version from the tag needs a backend with dynamic "
        "versions: hatchling (hatch-vcs) or setuptools (setuptools-scm); uv_build "
        "has none.",
        "1 failed",
    ]
    reason = import_script(ROLLOUT).copier_error
    refused = (
        "Updating to template version 0.3.0\n"
        " > Running task 1 of 3: ['python', 'switch_version_source.py']\n"
        "switch_version_source: nothing was changed\n"
        "Task ['python', 'switch_version_source.py'] returned non-zero exit "
        "status 1.\n"
    )
    assert reason(refused) == "switch_version_source: nothing was changed"


def test_audit_reports_each_release_path_and_fails_what_is_off_it(
    releases: Path, tmp_path: Path
) -> None:
    made = {
        name: copy_project(releases, tmp_path / name, NEWEST)
        for name in ("unmodified", "owned", "changed", "elsewhere")
    }
    scripts = ".github/scripts/install-tools.sh"
    for name in ("owned", "changed"):
        with (made[name] / scripts).open("a") as stream:
            stream.write("# our mirror\n")
    with (made["owned"] / ".copier-answers.yml").open("a") as stream:
        stream.write(f"project_owns:\n    {scripts}: our mirror\n")
    answers_file = made["elsewhere"] / ".copier-answers.yml"
    answers_file.write_text(
        answers_file.read_text().replace(str(releases), "gh:someone/else")
    )
    for name in ("owned", "changed", "elsewhere"):
        commit_all(made[name], "Our change")
    before = {name: snapshot(project) for name, project in made.items()}
    report = tmp_path / "audit.json"

    code, lines = rollout(
        "--audit", "--template", releases, "--report", report, *made.values()
    )

    assert lines == [
        f"template's {made['unmodified']}  {NEWEST}",
        f"owned      {made['owned']}  {NEWEST}: owned {scripts} (our mirror)",
        f"changed    {made['changed']}  {NEWEST}: changed {scripts}",
        f"other source {made['elsewhere']}  {NEWEST}: its answers name gh:someone/else",
        "1 template's, 1 owned, 1 changed, 1 other source",
    ]
    assert code == 1  # changed, and another source
    assert load_json(report)["counts"]["changed"] == 1
    assert {name: snapshot(project) for name, project in made.items()} == before
    code, lines = rollout(
        "--audit", "--template", releases, made["unmodified"], made["owned"]
    )
    assert (code, lines[-1]) == (0, "1 template's, 1 owned")


def test_template_sources_name_the_same_repository() -> None:
    rollout_module = import_script(ROLLOUT)
    same = rollout_module.same_source
    recorded = "gh:acme/copier-pypi-attested"
    for form in (
        "https://github.com/Acme/copier-pypi-attested.git",
        "git@github.com:acme/copier-pypi-attested.git",
        "ssh://git@github.com/acme/copier-pypi-attested",
        "gh:acme/copier-pypi-attested/",
    ):
        assert same(recorded, [form]), form
    for other in ("gh:acme/copier-pypi-attested-fork", "gh:other/copier-pypi-attested"):
        assert not same(recorded, [other]), other
    # By default, the template the script is in (this checkout).
    assert same(str(REPO), [str(rollout_module.THIS_TEMPLATE)])
