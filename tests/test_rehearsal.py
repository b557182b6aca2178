"""The release rehearsal: a maintainer starts the publish workflow by hand on a
branch, naming the version to rehearse, and every job runs as for a release
(the builds, the comparison, the project's tests, an approval) up to signing
on Sigstore's staging instance and verifying; nothing is uploaded, and it
never runs in the publishing environment. It also warns when the publishing
environment lacks the protection docs/releasing.md asks for."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_trust_anchor import Release, Stopped

from conftest import (
    COMBINATIONS,
    RELEASE_TAG,
    Builds,
    Renders,
    copier_config,
    load_yaml,
    representative,
    run,
    unavailable,
)

PUBLISH = ".github/workflows/publish.yml"
REHEARSAL = str(copier_config()["rehearsal_environment"]["default"])


def jobs_of(project: Path) -> Any:
    return load_yaml(project / PUBLISH)["jobs"]


@pytest.mark.parametrize("tool_answer", ["pypa-action", "uv"])
def test_the_rehearsal_runs_every_check_but_never_uploads(
    renders: Renders, tool_answer: str
) -> None:
    project = renders(representative(publishing_tool=tool_answer))
    workflow = load_yaml(project / PUBLISH)
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    assert dict(inputs["version"]) | {"description": ""} == {
        "description": "",
        "required": True,
        "type": "string",
    }
    jobs = workflow["jobs"]
    rehearse, publish = jobs["rehearse"], jobs["publish"]
    assert rehearse["if"] == "github.event_name == 'workflow_dispatch'"
    assert publish["if"] == "github.event_name != 'workflow_dispatch'"
    # The same gate as the release: both builds, the comparison, the tests.
    assert (
        set(rehearse["needs"])
        == set(publish["needs"])
        == {
            "compare",
            "rebuild",
            "test",
        }
    )
    # Its own environment, never the one PyPI's trusted publisher names.
    assert rehearse["environment"]["name"] == REHEARSAL
    assert publish["environment"]["name"] != REHEARSAL
    runs = [str(s.get("run", "")) for s in rehearse["steps"]]
    uses = [str(s.get("uses", "")) for s in rehearse["steps"]]
    assert "pypi-attestations sign --staging dist/*.tar.gz dist/*.whl" in runs
    assert any(" dist dist/ --staging --ref " in r for r in runs)
    assert not [r for r in runs if "uv publish" in r or "twine upload" in r]
    assert all(u.startswith(("actions/checkout@", "actions/download-artifact@"))
               for u in uses if u)  # fmt: skip
    # The checks that come before signing are the publish job's own.
    checks = [s for s in publish["steps"] if "check-dist.sh" in str(s.get("run"))]
    assert checks[0] in rehearse["steps"]


def test_the_publishing_environment_cannot_be_the_rehearsals(
    template_src: Path, tmp_path: Path
) -> None:
    for name in (REHEARSAL, REHEARSAL.upper()):
        result = run(
            "copier", "copy", "--trust", "--defaults", "--vcs-ref=HEAD",
            f"--data=environment={name}", template_src, tmp_path / name,
            check=False,
        )  # fmt: skip
        assert result.returncode != 0
        assert "is the release rehearsal's environment" in result.stderr
        assert not (tmp_path / name).exists()


@pytest.fixture
def project(renders: Renders) -> Path:
    return renders(representative(publishing_tool="uv", version_source="pyproject"))


def rehearsal(project: Path, builds: Builds, root: Path, version: str) -> Release:
    shared = builds.job(project)
    commit = root / "commit"
    run("git", "clone", "--quiet", shared.workdir, commit)
    github = {
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REF_NAME": "main",
        "GITHUB_SHA": run("git", "rev-parse", "HEAD", cwd=commit).stdout.strip(),
    }
    return Release(commit, root / "run", shared.path, github, {"version": version})


@pytest.mark.slow
def test_a_rehearsal_on_a_branch_reaches_staging_signing_and_skips_publish(
    project: Path, builds: Builds, tmp_path: Path
) -> None:
    release = rehearsal(project, builds, tmp_path, RELEASE_TAG.removeprefix("v"))
    stopped = release()
    assert stopped == Stopped(
        "rehearse", "Sign each distribution on Sigstore's staging instance", "", True
    )
    assert release.outputs["publish"] == {}  # skipped: not this event's job
    assert release.outputs["build"] == release.outputs["rebuild"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("version", "job", "error"),
    [
        # The commit's version is 0.1.0: a rehearsal of another stops early.
        ("0.2.0", "rebuild", "::error::version 0.2.0 needs exactly one sdist"),
        ("v0.1.0", "rebuild", "::error::the tag must be v followed by a normalized"),
        ("", "rebuild", "::error::the tag must be v followed by a normalized"),
        ("0.1$(touch${IFS}PWNED)", "rebuild", "::error::the tag must be v followed"),
    ],
)
def test_a_rehearsal_of_another_version_stops_before_approval(
    project: Path, builds: Builds, tmp_path: Path, version: str, job: str, error: str
) -> None:
    stopped = rehearsal(project, builds, tmp_path, version)()
    assert (stopped.job, stopped.signing) == (job, False), stopped
    assert stopped.output.startswith(error), stopped.output
    assert not list(tmp_path.rglob("PWNED"))


# --- The publishing environment's protection, read through GitHub's API -------

PROTECTED: dict[str, Any] = {
    "name": "pypi",
    "can_admins_bypass": False,
    "protection_rules": [
        {"type": "required_reviewers", "reviewers": [{"type": "User"}]},
    ],
    "deployment_branch_policy": {
        "protected_branches": False,
        "custom_branch_policies": True,
    },
}
TAG_RULE = {"branch_policies": [{"name": "v*", "type": "tag"}]}


def check_environment(
    project: Path,
    tmp_path: Path,
    environment: dict[str, Any] | None,
    policies: dict[str, Any],
) -> tuple[str, list[str]]:
    """The rehearsal's check step with a stand-in `gh` that answers as GitHub's
    API would; its stdout and the API paths it asked for."""
    if shutil.which("jq") is None:
        unavailable("jq (on every GitHub runner) is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    answers = tmp_path / "answers"
    answers.mkdir()
    (answers / "environment").write_text(json.dumps(environment))
    (answers / "policies").write_text(json.dumps(policies))
    asked = tmp_path / "asked"
    gh = bin_dir / "gh"
    gh.write_text(
        "#!/bin/sh\n"
        f'echo "$2" >> "{asked}"\n'
        'case "$2" in\n'
        "  */deployment-branch-policies)\n"
        f'    jq "$4" "{answers}/policies" ;;\n'
        "  *)\n"
        + (
            '    echo "gh: Not Found (HTTP 404)" >&2; exit 1 ;;\n'
            if environment is None
            else f'    cat "{answers}/environment" ;;\n'
        )
        + "esac\n"
    )
    gh.chmod(0o755)
    step = next(s for s in jobs_of(project)["check-environment"]["steps"] if "run" in s)
    result = run(
        "bash", "-eo", "pipefail", "-c", str(step["run"]),
        cwd=project,
        env={
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "GH_TOKEN": "token",
            "GITHUB_REPOSITORY": "acme-corp/widget-tools",
        },
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout, asked.read_text().splitlines() if asked.exists() else []


def without(key: str, value: Any) -> dict[str, Any]:
    return {**PROTECTED, key: value}


@pytest.mark.parametrize(
    ("environment", "policies", "warnings"),
    [
        (PROTECTED, TAG_RULE, []),
        (None, TAG_RULE, ["does not exist"]),
        (without("protection_rules", []), TAG_RULE, ["has no required reviewers"]),
        (without("can_admins_bypass", True), TAG_RULE, ["lets administrators"]),
        (PROTECTED, {"branch_policies": []}, ["has no deployment rule for the tags"]),
        (
            without("deployment_branch_policy", None),
            TAG_RULE,
            ["has no deployment rule for the tags"],
        ),
        (
            without("protection_rules", []) | {"can_admins_bypass": True},
            {"branch_policies": [{"name": "main", "type": "branch"}]},
            ["has no required reviewers", "lets administrators", "has no deployment"],
        ),
    ],
)
def test_the_rehearsal_warns_of_an_unprotected_publishing_environment(
    renders: Renders,
    tmp_path: Path,
    environment: dict[str, Any] | None,
    policies: dict[str, Any],
    warnings: list[str],
) -> None:
    project = renders(COMBINATIONS[0])
    stdout, asked = check_environment(project, tmp_path, environment, policies)
    found = [line for line in stdout.splitlines() if line.startswith("::warning::")]
    assert len(found) == len(warnings), stdout
    for line, warning in zip(found, warnings, strict=True):
        assert line.startswith(f'::warning::environment "pypi": {warning}'), line
    assert asked[0] == "repos/acme-corp/widget-tools/environments/pypi"
