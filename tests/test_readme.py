"""README.md opens with the two commands that work on a fresh machine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO, load_toml, load_yaml, run


def first_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = re.search(r"```console\n(.*?)```", text, re.S)
    assert block, "README.md has no console block"
    return block.group(1).strip().splitlines()


def test_readme_opens_with_two_commands_and_ci_runs_the_second() -> None:
    render, suite = first_commands()
    assert "copier copy" in render and "--defaults" in render
    assert "pytest" in suite
    assert suite in (REPO / ".ci/run").read_text().splitlines()


@pytest.mark.slow
def test_readme_render_command_makes_a_package_that_updates(tmp_path: Path) -> None:
    render, _ = first_commands()
    # The same Copier, as the README runs it, for the update a user runs next.
    launcher = render[: render.index("copier copy")]
    clone = tmp_path / "clone"
    run("git", "clone", "--quiet", REPO, clone)
    dirty = run("git", "status", "--porcelain", cwd=REPO).stdout
    if dirty:
        # Test the working tree: commit it into the throwaway clone.
        run(
            "git",
            "-C",
            REPO,
            "diff",
            "HEAD",
            "--binary",
            "--output",
            tmp_path / "wip.patch",
        )
        if (tmp_path / "wip.patch").stat().st_size:
            run("git", "apply", "--index", tmp_path / "wip.patch", cwd=clone)
        for rel in run(
            "git", "ls-files", "--others", "--exclude-standard", cwd=REPO
        ).stdout.split():
            (clone / rel).parent.mkdir(parents=True, exist_ok=True)
            (clone / rel).write_bytes((REPO / rel).read_bytes())
        run("git", "add", "--all", cwd=clone)
        run(
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "--quiet",
            "-m",
            "working tree",
            cwd=clone,
        )
    # In a shell, as a reader pastes it, from the clone.
    run("bash", "-c", render, cwd=clone, env={"PWD": str(clone)})
    project = tmp_path / "my-package"
    assert load_toml(project / "pyproject.toml")["project"]["name"] == "my-package"
    assert (project / ".git").is_dir(), "the git-init task did not run"
    assert load_yaml(project / ".copier-answers.yml")["_src_path"] == str(clone)

    updated = run(
        "bash", "-c", launcher + "copier update --trust --defaults", cwd=project
    )
    assert "Unknown revision" not in updated.stderr
    assert run("git", "status", "--porcelain", cwd=project).stdout == ""


# README.md is for package authors; the rest lives in docs/.
MAX_WORDS = 1500


def test_readme_is_short_and_its_links_resolve() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    # Counted as a reader's tools count: whitespace-separated words.
    assert len(text.split()) <= MAX_WORDS
    local = [
        link.split("#")[0]
        for link in re.findall(r"\]\(([^)]+)\)", text)
        if not link.startswith("https://")
    ]
    assert {"docs/how-it-works.md", "docs/organizations.md"} <= set(local)
    assert "docs/maintaining.md" in local
    for link in local:
        assert (REPO / link).is_file(), link


def test_copy_command_names_the_template_by_an_explained_placeholder() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    copy = re.findall(r"^uvx copier copy .*$", text, flags=re.M)
    assert copy == [
        "uvx copier copy --trust gh:TEMPLATE-OWNER/copier-pypi-attested my-package"
    ]
    # Explained once, before it is used, and never left as a bare OWNER.
    assert text.index("`TEMPLATE-OWNER` below stands for") < text.index(copy[0])
    assert "gh:OWNER/" not in text
