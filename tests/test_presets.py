"""Organization presets: a data file of answers, or Copier settings defaults.

The prompts are Copier's own, driven through its API with a fake prompt that
records which questions were asked and with which pre-filled default.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import copier
import pytest
from ruamel.yaml import YAML
from test_update import git

from conftest import GIT_IDENTITY, REPO, copier_config, load_yaml, run, tool

DATA_PRESET = REPO / "presets/example-org.yml"
SETTINGS_PRESET = REPO / "presets/example-org-settings.yml"
PACKAGE_QUESTIONS = [
    "adopt_existing",
    "distribution_name",
    "import_name",
    "description",
    "github_repository",
]
REPLIES = {"distribution_name": "Widget-Tools", "description": "Widgets, attested."}


class FakePrompt:
    """Stands in for questionary: answers each question as a user would."""

    def __init__(self, replies: Mapping[str, Any]) -> None:
        self.replies = dict(replies)
        self.asked: list[str] = []
        self.defaults: dict[str, Any] = {}

    def __call__(
        self, questions: list[dict[str, Any]], answers: Any = None, **_: Any
    ) -> dict[str, Any]:
        (question,) = questions
        name = question["name"]
        if not question.get("when", lambda _: True)(answers):
            return {name: (answers or {}).get(name)}  # questionary skips it too
        self.asked.append(name)
        default = question.get("default")
        # A select question offers its default as a questionary Choice.
        default = getattr(default, "value", default)
        self.defaults[name] = default
        value = self.replies.get(name, default)
        validate: Callable[[Any], Any] | None = question.get("validate")
        if validate is not None:
            assert validate(value) is True, f"{name}: {validate(value)}"
        cast: Callable[[Any], Any] = question.get("filter", lambda v: v)
        return {name: cast(value)}


def asked_questions(
    monkeypatch: pytest.MonkeyPatch, template: Path, dst: Path, data: Mapping[str, Any]
) -> FakePrompt:
    prompt = FakePrompt(REPLIES)
    try:  # where Copier's worker imports questionary's prompt
        worker = importlib.import_module("copier._main")
    except ImportError:  # Copier before 9.8 had no private modules
        worker = importlib.import_module("copier.main")
    monkeypatch.setattr(worker, "unsafe_prompt", prompt)
    copier.run_copy(
        str(template), str(dst), data=dict(data), skip_tasks=True, quiet=True
    )
    return prompt


def every_question() -> list[str]:
    """The questions a copy asks: not the facts (`when: false`), nor those
    asked only once answered by hand (a `when` on their own answer)."""
    return [
        name
        for name, spec in copier_config().items()
        if not name.startswith("_")
        and spec.get("when", True) is not False
        and name not in str(spec.get("when", ""))
    ]


def test_data_file_preset_asks_only_package_questions(
    template_src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    preset = dict(YAML(typ="safe").load(DATA_PRESET.read_text()))
    no_settings = tmp_path / "settings.yml"
    no_settings.write_text("{}\n")
    monkeypatch.setenv("COPIER_SETTINGS_PATH", str(no_settings))
    dst = tmp_path / "widget-tools"

    prompt = asked_questions(monkeypatch, template_src, dst, preset)

    assert prompt.asked == PACKAGE_QUESTIONS
    assert set(PACKAGE_QUESTIONS) | set(preset) == set(every_question())
    answers = load_yaml(dst / ".copier-answers.yml")
    for key, value in preset.items():
        assert answers[key] == value, key
    assert answers["distribution_name"] == "Widget-Tools"
    assert prompt.defaults["github_repository"] == "example-org/widget-tools"
    assert "uv publish" in (dst / ".github/workflows/publish.yml").read_text()


def test_settings_preset_prefills_every_question_owner_included(
    template_src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPIER_SETTINGS_PATH", str(SETTINGS_PRESET))
    dst = tmp_path / "widget-tools"

    prompt = asked_questions(monkeypatch, template_src, dst, {})

    assert prompt.asked == every_question()
    defaults = YAML(typ="safe").load(SETTINGS_PRESET.read_text())["defaults"]
    assert prompt.defaults["github_repository"] == "example-org/widget-tools"
    for key, value in defaults.items():
        if key != "github_repository":
            offered = prompt.defaults[key]
            assert offered == value or str(offered) == str(value), key
    answers = load_yaml(dst / ".copier-answers.yml")
    assert answers["github_repository"] == "example-org/widget-tools"
    assert answers["environment"] == "pypi-release"


def test_settings_preset_with_defaults_and_trust_needs_no_flags(
    template_src: Path, tmp_path: Path
) -> None:
    """`copier copy --defaults` with the settings file: no question, no --trust."""
    settings = YAML(typ="rt").load(SETTINGS_PRESET.read_text())
    settings["trust"] = [str(template_src)]
    settings_file = tmp_path / "settings.yml"
    with settings_file.open("w") as stream:
        YAML(typ="rt").dump(settings, stream)
    dst = tmp_path / "gadget.kit"

    run(
        tool("copier"),
        "copy",
        "--defaults",
        "--quiet",
        template_src,
        dst,
        env={**GIT_IDENTITY, "COPIER_SETTINGS_PATH": str(settings_file)},
    )

    answers = load_yaml(dst / ".copier-answers.yml")
    assert answers["github_repository"] == "example-org/gadget-kit"
    assert answers["license"] == "Apache-2.0"
    # The template's task ran because the settings trust the template.
    assert git(dst, "log", "--format=%s").strip() == (
        "Start from the copier-pypi-attested template"
    )
