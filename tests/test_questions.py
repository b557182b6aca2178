"""The questions: defaults, derived answers, and validators that refuse bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import BASE_ANSWERS, copier_config, load_toml, load_yaml, render


def test_every_question_has_type_and_help() -> None:
    for name, question in copier_config().items():
        if name.startswith("_") or question.get("when") is False:
            continue
        assert question.get("type"), name
        assert question.get("help"), name
        if question["type"] == "str" and "choices" not in question:
            assert question.get("validator"), f"free-text question {name}"


def test_defaults_alone_make_a_package_named_after_the_folder(
    template_src: Path, tmp_path: Path
) -> None:
    import copier

    dst = tmp_path / "My.Package"
    copier.run_copy(str(template_src), str(dst), defaults=True, skip_tasks=True)
    project = load_toml(dst / "pyproject.toml")["project"]
    assert project["name"] == "my-package"
    assert (dst / "src/my_package/__init__.py").is_file()
    answers = load_yaml(dst / ".copier-answers.yml")
    assert answers["environment"] == "pypi"
    assert answers["publishing_tool"] == "pypa-action"
    assert answers["github_repository"] == "my-package/my-package"


def test_repository_defaults_to_the_owner_and_the_package(
    template_src: Path, tmp_path: Path
) -> None:
    import copier

    answers = {"github_owner": "Acme-Corp", "distribution_name": "Widget.Tools"}
    copier.run_copy(
        str(template_src),
        str(tmp_path / "out"),
        data=answers,
        defaults=True,
        skip_tasks=True,
    )
    recorded = load_yaml(tmp_path / "out/.copier-answers.yml")
    assert recorded["github_repository"] == "Acme-Corp/widget-tools"


def test_names_are_normalized_and_the_import_name_derived(renders: Any) -> None:
    project = renders()
    assert load_toml(project / "pyproject.toml")["project"]["name"] == (
        "acme-widget-tools"
    )
    assert (project / "src/acme_widget_tools/py.typed").is_file()
    assert (project / "tests/test_acme_widget_tools.py").is_file()
    answers = load_yaml(project / ".copier-answers.yml")
    assert answers["distribution_name"] == BASE_ANSWERS["distribution_name"]
    assert "action_pins" not in answers, "facts must not be frozen into answers"


def test_facts_are_not_recorded_as_answers(renders: Any) -> None:
    answers = load_yaml(renders() / ".copier-answers.yml")
    for name, question in copier_config().items():
        if not name.startswith("_") and question.get("when") is False:
            assert name not in answers


BAD = [
    ("distribution_name", "-leading-dash", "PEP 508"),
    ("distribution_name", "has space", "PEP 508"),
    ("distribution_name", "ünïcode", "PEP 508"),
    ("import_name", "Upper", "lowercase Python identifier"),
    ("import_name", "1st", "lowercase Python identifier"),
    ("import_name", "with-dash", "lowercase Python identifier"),
    ("import_name", "class", "Python keyword"),
    ("description", "   ", "must not be empty"),
    ("description", "two\nlines", "one line of printable text"),
    ("description", "x" * 513, "at most 512"),
    ("author_name", "", "must not be empty"),
    ("author_name", "Doe, Jane", "comma"),
    ("author_name", "tab\there", "printable"),
    ("author_email", "not-an-email", "e-mail address"),
    ("author_email", "a@b", "e-mail address"),
    ("github_owner", "-leading", "single inner hyphens"),
    ("github_owner", "two--hyphens", "single inner hyphens"),
    ("github_owner", "has/slash", "single inner hyphens"),
    ("github_repository", "no-slash", "owner/name"),
    ("github_repository", "-bad/name", "owner/name"),
    ("github_repository", "owner--x/name", "owner/name"),
    ("github_repository", "a" * 40 + "/name", "owner/name"),
    ("github_repository", "owner/na me", "owner/name"),
    ("github_repository", "owner/..", "'.' or '..'"),
    ("github_repository", "owner/repo.git", ".git"),
    ("environment", "", "1 to 255 characters"),
    ("environment", " pypi", "1 to 255 characters"),
    ("environment", 'py"pi', "1 to 255 characters"),
    ("environment", "x" * 256, "1 to 255 characters"),
    # One past each limit (the limits themselves are in GOOD).
    ("distribution_name", "a" * 101, "at most 100 characters"),
    ("github_owner", "a" * 40, "1 to 39 letters"),
    ("github_repository", "a" * 39 + "/" + "b" * 101, "owner/name"),
]


@pytest.mark.parametrize(("question", "value", "message"), BAD)
def test_bad_answer_is_refused_and_nothing_is_written(
    template_src: Path, tmp_path: Path, question: str, value: str, message: str
) -> None:
    dst = tmp_path / "out"
    with pytest.raises(ValueError, match=question) as refused:
        render(template_src, dst, {question: value})
    assert message in str(refused.value)
    assert not dst.exists()


GOOD = [
    ("distribution_name", "a"),
    ("distribution_name", "Zope.Interface_2"),
    ("import_name", "match"),
    ("author_email", "first.last+tag@sub.example.org"),
    ("github_repository", "a-b-c/.github-x_y"),
    ("environment", "release to PyPI"),
    # Each length limit, exactly.
    ("distribution_name", "a" * 100),
    ("environment", "x" * 255),
    ("github_owner", "a" * 39),
    ("github_repository", "a" * 39 + "/" + "b" * 100),
]


@pytest.mark.parametrize(("question", "value"), GOOD)
def test_good_answer_is_accepted(
    template_src: Path, tmp_path: Path, question: str, value: str
) -> None:
    answers = {question: value}
    if question == "github_owner":  # the repository must be the owner's
        answers["github_repository"] = f"{value}/name"
    project = render(template_src, tmp_path / "out", answers)
    assert load_yaml(project / ".copier-answers.yml")[question] == value


def test_message_after_copy_names_the_trusted_publisher(
    template_src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import copier

    copier.run_copy(
        str(template_src),
        str(tmp_path / "out"),
        data={**BASE_ANSWERS, "environment": "release"},
        defaults=True,
        skip_tasks=True,
    )
    said = capsys.readouterr().err
    for line in (
        "Owner:             acme-corp",
        "Repository name:   widget-tools",
        "Workflow name:     publish.yml",
        "Environment name:  release",
    ):
        assert line in said
