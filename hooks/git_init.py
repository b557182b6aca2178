"""Copier task: make the new project a git repository with a first commit.

`copier update` needs a git repository with the rendered files committed, so a
project that starts with one is ready for the template's next release. The
task is idempotent: an existing repository is left alone, and a repository that
already has commits gets no new one. A missing git or git identity is reported
in one line and leaves the files in place; the copy itself has succeeded.

A new project's first commit also holds its uv.lock, since CI installs with
`--locked` from the first push. Without uv, or offline, that is reported in one
line and the commit is made without it.

Runs in the new project's directory; Copier runs it only on `copy`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

MESSAGE = "Start from the copier-pypi-attested template"


def git(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def first_line(result: subprocess.CompletedProcess[str]) -> str:
    text = (result.stderr or result.stdout).strip()
    return text.splitlines()[0] if text else f"exit status {result.returncode}"


def lock(project: Path) -> str | None:
    """Write the new project's uv.lock; say what was done, if anything."""
    if not (project / "pyproject.toml").is_file() or (project / "uv.lock").exists():
        return None
    uv = shutil.which("uv")
    if uv is None:
        return "uv is not installed: run `uv lock` and commit uv.lock before pushing"
    locked = subprocess.run(
        [uv, "lock", "--quiet"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    if locked.returncode != 0:
        return (
            f"uv lock failed ({first_line(locked)}): run `uv lock` and commit "
            "uv.lock before pushing (CI installs from it)"
        )
    return "wrote uv.lock"


def init_and_commit(project: Path) -> str:
    """Make `project` a repository with one commit; say what was done."""
    if shutil.which("git") is None:
        return "git is not installed: run `git init` and commit the files yourself"
    inside = git("rev-parse", "--is-inside-work-tree", cwd=project)
    if inside.returncode != 0:
        created = git("init", "--quiet", "--initial-branch=main", cwd=project)
        if created.returncode != 0:
            return f"git init failed: {first_line(created)}"
    if git("rev-parse", "--verify", "--quiet", "HEAD", cwd=project).returncode == 0:
        return "the repository already has commits: left as it is"
    locked = lock(project)
    if locked:
        print(f"uv: {locked}")
    git("add", "--all", cwd=project)
    committed = git("commit", "--quiet", "--message", MESSAGE, cwd=project)
    if committed.returncode != 0:
        return (
            f"files are staged but not committed ({first_line(committed)}): "
            "commit them before the first `copier update`"
        )
    return "created a git repository with the first commit"


def main() -> int:
    print(f"git: {init_and_commit(Path.cwd())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
