"""A newcomer's first copy: what it says, what it refuses, what it leaves.

Each test is one place a first user tripped: the trusted publisher form, a
copy without tasks, an owner the repository does not name, a name too long,
and a project that must be locked for CI from its first commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import copier
import pytest

from conftest import BASE_ANSWERS, REPO, load_yaml, render, run

sys.path.insert(0, str(REPO / "hooks"))
import migrate_answers


def message_after_copy(
    template: Path, dst: Path, capsys: pytest.CaptureFixture[str], *, tasks: bool
) -> str:
    copier.run_copy(
        str(template),
        str(dst),
        data=BASE_ANSWERS,
        defaults=True,
        unsafe=True,
        skip_tasks=not tasks,
    )
    return capsys.readouterr().err


def test_message_lists_the_pending_publisher_form_with_the_project_name(
    template_src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    said = message_after_copy(template_src, tmp_path / "out", capsys, tasks=False)
    assert '"pending" publisher' in said
    form = [line.strip() for line in said.splitlines()]
    assert "PyPI Project Name: acme-widget-tools" in form
    assert "Owner:             acme-corp" in form
    assert "Repository name:   widget-tools" in form


def test_without_tasks_the_message_says_to_make_the_repository(
    template_src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dst = tmp_path / "out"
    said = " ".join(message_after_copy(template_src, dst, capsys, tasks=False).split())
    assert not (dst / ".git").exists()
    assert "not a git repository yet" in said
    for step in ("`git init`", "`uv lock`", "commit every file"):
        assert step in said
    assert "Then push" not in said


def test_with_tasks_the_message_says_to_push(
    template_src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dst = tmp_path / "out"
    said = " ".join(message_after_copy(template_src, dst, capsys, tasks=True).split())
    assert (dst / ".git").is_dir()
    assert "Then push to github.com/acme-corp/widget-tools." in said
    assert "not a git repository" not in said


@pytest.mark.parametrize(
    ("answers", "question", "message"),
    [
        (
            {"github_owner": "alice", "github_repository": "bob/thing"},
            "github_repository",
            "belongs to 'bob', but github_owner is 'alice'",
        ),
        (
            {"distribution_name": "n" * 300},
            "distribution_name",
            "at most 100 characters",
        ),
    ],
    ids=["owner-not-the-repositorys", "name-of-300-characters"],
)
def test_refused_where_the_answer_is_asked_and_nothing_is_written(
    template_src: Path,
    tmp_path: Path,
    answers: dict[str, str],
    question: str,
    message: str,
) -> None:
    dst = tmp_path / "out"
    with pytest.raises(ValueError, match=f"question '{question}'") as refused:
        render(template_src, dst, answers)
    assert message in " ".join(str(refused.value).split())
    assert not dst.exists()


def test_owner_matches_the_repository_whatever_the_case(
    template_src: Path, tmp_path: Path
) -> None:
    answers = {"github_owner": "Acme-Corp", "github_repository": "acme-corp/x"}
    project = render(template_src, tmp_path / "out", answers)
    assert load_yaml(project / ".copier-answers.yml")["github_repository"] == (
        "acme-corp/x"
    )


def test_migration_makes_a_recorded_owner_agree_with_the_repository() -> None:
    older = {"github_owner": "my-package", "github_repository": "alice/my-package"}
    assert migrate_answers.migrate(older, [])["github_owner"] == "alice"
    agreeing = {"github_owner": "Alice", "github_repository": "alice/x"}
    assert migrate_answers.migrate(agreeing, []) == agreeing


def committed(project: Path) -> list[str]:
    listed = run("git", "ls-files", cwd=project).stdout
    return listed.splitlines()


def test_copy_task_commits_a_lock_for_ci(template_src: Path, tmp_path: Path) -> None:
    project = render(template_src, tmp_path / "pkg", skip_tasks=False)
    assert "uv.lock" in committed(project)
    # CI's `UV_LOCKED=1` install accepts it as it is.
    run("uv", "lock", "--check", cwd=project, env={"UV_PYTHON": "3.11"})


def test_offline_the_task_commits_without_a_lock_and_says_so(
    template_src: Path, tmp_path: Path
) -> None:
    project = render(template_src, tmp_path / "pkg")
    empty_cache = tmp_path / "cache"
    result = run(
        sys.executable,
        REPO / "hooks/git_init.py",
        cwd=project,
        env={"UV_OFFLINE": "1", "UV_CACHE_DIR": str(empty_cache)},
    )
    uv_line, git_line = result.stdout.splitlines()
    assert uv_line.startswith("uv: uv lock failed (")
    assert "run `uv lock` and commit uv.lock before pushing" in uv_line
    assert git_line == "git: created a git repository with the first commit"
    assert "uv.lock" not in committed(project)
