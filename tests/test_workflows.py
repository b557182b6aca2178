"""The generated GitHub workflows: schema-valid, zizmor-clean, least privilege."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from conftest import (
    SHARED,
    action_pins,
    assert_publishing_files_pass_their_checkers,
    copier_config,
    load_yaml,
    supported_pythons,
)

WORKFLOWS = ".github/workflows"
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")


def workflows(project: Path) -> list[Path]:
    return sorted((project / WORKFLOWS).glob("*.yml"))


def publish(project: Path) -> Any:
    return load_yaml(project / WORKFLOWS / "publish.yml")


def steps_using(job: Any, action: str) -> list[Any]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(action + "@")]


def test_checkers_accept_the_workflows_and_dependabot(project: Path) -> None:
    assert_publishing_files_pass_their_checkers(project)


def test_no_suppressions_or_zizmor_config(project: Path) -> None:
    for path in [*workflows(project), project / ".github/dependabot.yml"]:
        assert not re.search(r"#\s*zizmor:", path.read_text()), f"{path.name} ignores"
    assert not list(project.rglob("zizmor.yml")) + list(project.rglob(".zizmor.yml"))


def test_every_action_is_pinned_to_the_templates_sha(project: Path) -> None:
    pins = action_pins()
    seen = set()
    for path in workflows(project):
        for line in path.read_text().splitlines():
            if match := USES.match(line):
                ref, comment = match.groups()
                name, _, sha = ref.partition("@")
                assert re.fullmatch(r"[0-9a-f]{40}", sha), f"{ref} is not a commit SHA"
                assert f"{sha}{comment}" == pins[name], f"{path.name}: {line.strip()}"
                seen.add(name)
    assert seen <= set(pins)


def test_template_pins_match_the_checked_pins() -> None:
    pins_file = SHARED / "action-pins.toml"
    if not pins_file.exists():
        pytest.skip(f"{pins_file} is absent: it sits beside the repository, not in it")
    checked = tomllib.loads(pins_file.read_text())["actions"]
    for name, value in action_pins().items():
        assert value == f"{checked[name]['sha']} # {checked[name]['version']}", name


def test_permissions_are_least_privilege(
    project: Path, combination: dict[str, str]
) -> None:
    workflow = publish(project)
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert dict(jobs["build"]["permissions"]) == {"contents": "read"}
    assert dict(jobs["publish"]["permissions"]) == {"id-token": "write"}
    assert jobs["publish"]["needs"] == "build"
    if "verify" in jobs:
        assert jobs["verify"]["permissions"] == {}
        assert jobs["verify"]["needs"] == "publish"
    for path in workflows(project):
        other = load_yaml(path)
        assert other["permissions"] == {}, path.name
        for name, job in other["jobs"].items():
            granted = dict(job.get("permissions") or {})
            if (path.name, name) != ("publish.yml", "publish"):
                assert "id-token" not in granted, f"{path.name}: {name}"
                assert set(granted.values()) <= {"read"}, f"{path.name}: {name}"


def test_every_permission_says_why(project: Path) -> None:
    for path in workflows(project):
        for line in path.read_text().splitlines():
            if re.match(r"^\s+[a-z-]+: (read|write)\b", line):
                assert re.search(r"# \w+", line), f"{path.name}: {line.strip()}"


def test_publish_job_runs_in_the_chosen_environment(renders: Any) -> None:
    project = renders({"environment": "release to PyPI"})
    job = publish(project)["jobs"]["publish"]
    assert job["environment"]["name"] == "release to PyPI"


def test_checkouts_keep_no_credentials(project: Path) -> None:
    for path in workflows(project):
        for job in load_yaml(path)["jobs"].values():
            for step in steps_using(job, "actions/checkout"):
                assert step["with"]["persist-credentials"] is False


def test_release_jobs_use_no_cache(project: Path) -> None:
    for job in publish(project)["jobs"].values():
        for step in steps_using(job, "astral-sh/setup-uv"):
            assert step["with"]["enable-cache"] is False


def test_trigger_follows_the_answer(project: Path, combination: dict[str, str]) -> None:
    on = publish(project)["on"]
    if combination["release_trigger"] == "release":
        assert dict(on) == {"release": {"types": ["published"]}}
    else:
        assert dict(on) == {"push": {"tags": ["v*"]}}


def test_publish_steps_follow_the_tool(
    project: Path, combination: dict[str, str]
) -> None:
    jobs = publish(project)["jobs"]
    steps = jobs["publish"]["steps"]
    runs = "\n".join(str(s.get("run", "")) for s in steps)
    action = steps_using(jobs["publish"], "pypa/gh-action-pypi-publish")
    if combination["publishing_tool"] == "pypa-action":
        assert len(action) == 1
        assert "uv publish" not in runs
    else:
        assert not action
        sign = runs.index("pypi-attestations==")
        verify = runs.index("verify_attestations.py dist")
        upload = runs.index("uv publish --trusted-publishing always")
        assert sign < verify < upload
    assert "skip-existing" not in (project / WORKFLOWS / "publish.yml").read_text()


def test_both_tools_share_the_build_job(renders: Any) -> None:
    a = publish(renders({"publishing_tool": "pypa-action"}))["jobs"]["build"]
    b = publish(renders({"publishing_tool": "uv"}))["jobs"]["build"]
    assert a == b


def test_tools_run_through_uvx_are_pinned(project: Path) -> None:
    for path in workflows(project):
        for match in re.finditer(r"uvx (\S+)", path.read_text()):
            assert "==" in match.group(1), f"{path.name}: uvx {match.group(1)}"


def test_ci_tests_every_supported_python(
    project: Path, combination: dict[str, str]
) -> None:
    ci = load_yaml(project / WORKFLOWS / "ci.yml")
    expected = supported_pythons(combination["python_floor"])
    assert expected[-1] == copier_config()["newest_python"]["default"]
    assert list(ci["jobs"]["test"]["strategy"]["matrix"]["python"]) == expected


def test_dependabot_updates_actions_and_uv_with_a_cooldown(project: Path) -> None:
    config = load_yaml(project / ".github/dependabot.yml")
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(ecosystems) == {"github-actions", "uv"}
    for update in ecosystems.values():
        assert update["cooldown"]["default-days"] >= 1
        assert update["groups"]


def test_release_and_ci_builds_resolve_as_of_the_templates_cutoff(
    project: Path,
) -> None:
    cutoff = copier_config()["resolution_cutoff"]["default"]
    assert publish(project)["env"]["UV_EXCLUDE_NEWER"] == cutoff
    ci = load_yaml(project / WORKFLOWS / "ci.yml")
    assert ci["jobs"]["build"]["env"]["UV_EXCLUDE_NEWER"] == cutoff


def test_verification_script_is_shipped_only_where_a_job_runs_it(
    project: Path, combination: dict[str, str]
) -> None:
    jobs = publish(project)["jobs"]
    shipped = any(
        s.get("with", {}).get("name") == "verify-script"
        for s in steps_using(jobs["build"], "actions/upload-artifact")
    )
    used = [
        job
        for job in jobs.values()
        if any(
            s.get("with", {}).get("name") == "verify-script"
            for s in steps_using(job, "actions/download-artifact")
        )
    ]
    assert shipped == bool(used)
    assert shipped == (combination["publishing_tool"] == "uv" or "verify" in jobs)
