"""scripts/check_project.py: a bad resolution of an update fails on the pull
request, in one line with its fix, not on release day.

One locked copy of the default render is shared; each case breaks a copy of
it the way an update's conflict resolution can, and runs the check offline.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import LOCAL_UV, Renders, git_repository, load_yaml, run, tool

CHECK = "scripts/check_project.py"
PUBLISH = ".github/workflows/publish.yml"


@pytest.fixture(scope="module")
def locked(renders: Renders, tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = git_repository(renders(), tmp_path_factory.mktemp("check") / "p")
    run(tool("uv"), "lock", "--quiet", cwd=project, env=LOCAL_UV)
    return project


def check(
    project: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run(
        sys.executable, project / CHECK, cwd=project, env={**LOCAL_UV, **(env or {})},
        check=False,
    )  # fmt: skip


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer holds {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def conflict_in_gitignore(p: Path) -> None:
    with (p / ".gitignore").open("a") as stream:
        stream.write("<<<<<<< before updating\na\n=======\nb\n>>>>>>> after updating\n")


def drop_table(p: Path) -> None:
    text = (p / "pyproject.toml").read_text()
    cut = text.index("[tool.verify-attestations]")
    (p / "pyproject.toml").write_text(text[:cut])


def rename_job(job: str) -> Callable[[Path], object]:
    return lambda p: edit(p / PUBLISH, f"\n  {job}:\n", f"\n  {job}-mine:\n")


def releasing_jobs(project: Path) -> list[str]:
    text = (project / "docs/releasing.md").read_text()
    return re.findall(r"^\| `([a-z-]+)` \|", text, flags=re.MULTILINE)


# Each way of breaking the project, and what the check's line must say.
BROKEN: dict[str, tuple[Callable[[Path], object], str]] = {
    "markers": (
        conflict_in_gitignore,
        "conflict markers remain in .gitignore: keep the template's lines and yours",
    ),
    "rej": (
        lambda p: (p / "ci.yml.rej").write_text("@@ -1 +1 @@\n"),
        "ci.yml.rej left by an update: apply what each holds by hand, then delete it",
    ),
    "table": (
        drop_table,
        "pyproject.toml has no [tool.verify-attestations] table, which the "
        "release's verification reads: restore it with `copier recopy",
    ),
    "repository": (
        lambda p: edit(p / "pyproject.toml", '"acme-corp/widget-tools"', '"me/w"'),
        "[tool.verify-attestations] repository is 'me/w', but .copier-answers.yml "
        "says 'acme-corp/widget-tools'",
    ),
    "workflow": (
        lambda p: edit(
            p / "pyproject.toml", 'workflow = "publish.yml"', 'workflow = "r.yml"'
        ),
        "[tool.verify-attestations] workflow is 'r.yml', but docs/releasing.md says "
        "'publish.yml'",
    ),
    "environment": (
        lambda p: edit(
            p / "pyproject.toml", 'environment = "pypi"', 'environment = "x"'
        ),
        "[tool.verify-attestations] environment is 'x', but .copier-answers.yml says "
        "'pypi': set it to 'pypi'",
    ),
    "job": (
        rename_job("compare"),
        f"{PUBLISH} has no `compare` job, which docs/releasing.md lists",
    ),
    "twice": (
        lambda p: edit(
            p / PUBLISH, "\n  compare:\n", "\n  build:\n    x: 1\n  compare:\n"
        ),
        f"{PUBLISH} defines the `build` job twice",
    ),
    "needs": (
        lambda p: edit(
            p / PUBLISH, "    needs: [compare, rebuild, test]\n", "    needs: compare\n"
        ),
        f"{PUBLISH}: the `publish` job reads `needs.rebuild` but does not wait for "
        "`rebuild`",
    ),
    "lock": (
        lambda p: edit(
            p / "pyproject.toml", "dependencies = []", 'dependencies = ["attrs"]'
        ),
        "uv.lock is not current (The lockfile at `uv.lock` needs to be updated, but "
        "`--check` was provided.): run `uv lock` and commit it",
    ),
    "no lock": (
        lambda p: (p / "uv.lock").unlink(),
        "uv.lock is missing: run `uv lock` and commit it",
    ),
}


def test_a_project_as_rendered_and_locked_passes(locked: Path) -> None:
    result = check(locked)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("case", BROKEN)
def test_each_bad_resolution_fails_in_one_line_with_its_fix(
    locked: Path, tmp_path: Path, case: str
) -> None:
    project = Path(shutil.copytree(locked, tmp_path / "p", symlinks=True))
    breaks, expected = BROKEN[case]
    breaks(project)

    result = check(project)

    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"check: {expected}"), line
    assert "Traceback" not in result.stderr


def test_every_job_releasing_md_lists_is_checked(locked: Path, tmp_path: Path) -> None:
    """The list comes from docs/releasing.md, not from the check: every job
    of its table, renamed away, is named."""
    jobs = releasing_jobs(locked)
    assert set(jobs) <= set(load_yaml(locked / PUBLISH)["jobs"])
    assert {"build", "publish"} <= set(jobs)
    project = Path(shutil.copytree(locked, tmp_path / "p", symlinks=True))
    for job in jobs:
        rename_job(job)(project)
    named = re.findall(r"has no `([a-z-]+)` job", check(project).stderr)
    assert named == jobs


def test_without_uv_the_lock_is_not_checked_and_it_says_so(locked: Path) -> None:
    path = os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "uv").exists()
    )
    result = check(locked, {"PATH": path})
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "check: uv is not installed, so uv.lock was not checked (CI checks it)\n"
    )


def test_an_adopted_package_has_no_table_to_check(renders: Renders) -> None:
    project = renders({"adopt_existing": True})
    assert not (project / "pyproject.toml").exists()
    result = check(project)
    assert result.returncode == 0, result.stderr
    assert "pyproject.toml is the package's own (adopted)" in result.stdout
