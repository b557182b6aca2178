"""A GitHub owner left to its default is a guess, and the project says so.

With github_owner (and so github_repository) left to their defaults, the owner
is the package's name: the after-copy message and docs/releasing.md say it
was guessed and give the `copier update` that sets the real one before the
first release, after which every file names the real owner.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import copier
import pytest

from conftest import BASE_ANSWERS, git_repository, load_toml, run, tool

GUESSED = {k: v for k, v in BASE_ANSWERS.items() if k != "github_repository"}
GUESS = "acme-widget-tools"
NOTE = f"The GitHub owner `{GUESS}` was guessed from the package's name"


def copy(template: Path, dst: Path, answers: dict[str, Any]) -> str:
    """Copy with the defaults for the rest; the docs/releasing.md it wrote."""
    copier.run_copy(
        str(template), str(dst), data=answers, defaults=True, skip_tasks=True
    )
    return dst.joinpath("docs/releasing.md").read_text()


@pytest.mark.parametrize(
    ("answers", "guessed"),
    [
        (GUESSED, True),
        ({**GUESSED, "github_owner": "acme-corp"}, False),
        (BASE_ANSWERS, False),  # the repository's owner given, not guessed
    ],
    ids=["defaults", "owner", "repository"],
)
def test_message_and_releasing_doc_say_a_guessed_owner_is_a_guess(
    template_src: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    answers: dict[str, Any],
    guessed: bool,
) -> None:
    doc = copy(template_src, tmp_path / "out", answers)
    said = capsys.readouterr().err
    command = (
        "copier update --trust --defaults -d github_owner=OWNER "
        "-d github_repository=OWNER/acme-widget-tools"
    )
    assert (f'The owner "{GUESS}" is a guess' in said) == guessed, said
    assert (command in said) == guessed
    assert (NOTE in doc) == guessed
    assert (command in doc) == guessed


@pytest.mark.slow
def test_the_documented_update_sets_the_real_owner_everywhere(
    template_repo: Path, tmp_path: Path
) -> None:
    made = tmp_path / "made"
    copy(template_repo, made, GUESSED)
    project = git_repository(made, tmp_path / "project")
    doc = (project / "docs/releasing.md").read_text()
    (command,) = re.findall(r"^copier update .*$", doc, re.M)
    run(
        tool("copier"),
        *shlex.split(command.replace("OWNER", "acme-corp"))[1:],
        cwd=project,
    )
    doc = (project / "docs/releasing.md").read_text()
    assert "   - Owner: `acme-corp`\n" in doc
    assert "   - Repository name: `acme-widget-tools`\n" in doc
    assert "guessed" not in doc
    verify = load_toml(project / "pyproject.toml")["tool"]["verify-attestations"]
    assert verify["repository"] == "acme-corp/acme-widget-tools"
    assert f"{GUESS}/{GUESS}" not in (project / "SECURITY.md").read_text()
    assert not run("git", "status", "--porcelain", "--", "*.rej", cwd=project).stdout
