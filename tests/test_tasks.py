"""The copy task: a new project is a git repository with its first commit."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, render, run


def git_log(project: Path) -> list[str]:
    return run("git", "log", "--format=%s", cwd=project).stdout.splitlines()


def test_copy_with_tasks_commits_every_rendered_file(
    template_src: Path, tmp_path: Path
) -> None:
    project = render(template_src, tmp_path / "pkg", skip_tasks=False)
    assert git_log(project) == ["Start from the copier-pypi-attested template"]
    assert run("git", "status", "--porcelain", cwd=project).stdout == ""
    tracked = run("git", "ls-files", cwd=project).stdout.splitlines()
    assert ".copier-answers.yml" in tracked
    assert ".github/workflows/publish.yml" in tracked


def test_task_is_idempotent_and_leaves_existing_history_alone(tmp_path: Path) -> None:
    project = tmp_path / "pkg"
    project.mkdir()
    (project / "a.txt").write_text("a")
    hook = REPO / "hooks/git_init.py"
    first = run("python3", hook, cwd=project)
    assert "created a git repository" in first.stdout
    (project / "b.txt").write_text("b")
    again = run("python3", hook, cwd=project)
    assert "already has commits" in again.stdout
    assert git_log(project) == ["Start from the copier-pypi-attested template"]


def test_without_a_git_identity_the_files_stay_staged_with_a_note(
    tmp_path: Path,
) -> None:
    project = tmp_path / "pkg"
    project.mkdir()
    (project / "a.txt").write_text("a")
    home = tmp_path / "home"
    home.mkdir()
    result = run(
        "python3",
        REPO / "hooks/git_init.py",
        cwd=project,
        env={
            "HOME": str(home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "",
            "GIT_COMMITTER_NAME": "",
            "GIT_AUTHOR_EMAIL": "",
            "GIT_COMMITTER_EMAIL": "",
            "EMAIL": "",
        },
    )
    assert result.returncode == 0
    (line,) = result.stdout.splitlines()
    assert "staged but not committed" in line
    assert "a.txt" in run("git", "diff", "--cached", "--name-only", cwd=project).stdout
