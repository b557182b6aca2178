"""The generated GitHub workflows: schema-valid, zizmor-clean, least privilege."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from conftest import (
    action_pins,
    assert_publishing_files_pass_their_checkers,
    copier_config,
    load_yaml,
    shared_data,
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
    pins_file = shared_data("action-pins.toml")
    checked = tomllib.loads(pins_file.read_text())["actions"]
    for name, value in action_pins().items():
        assert value == f"{checked[name]['sha']} # {checked[name]['version']}", name


# The only jobs that may hold an OIDC token, and exactly what each holds.
TOKEN_JOBS = {
    "provenance": {"id-token": "write", "attestations": "write"},
    "sign": {"id-token": "write"},
    "publish": {"id-token": "write"},
}
# The artifacts a token job may download: distributions and attestations,
# never anything a job runs.
DATA_ARTIFACTS = {
    "dist": "dist/",
    "rebuilt": "dist/",
    "attestations": "dist/*.publish.attestation",
}
# Every command a token job's shell steps may start: the runner's Python, the
# hash-checked installs, the released commit's check script, signing and upload.
TOKEN_JOB_COMMANDS = (
    "python3 -m pip install --quiet --disable-pip-version-check"
    ' --target "${RUNNER_TEMP}/uv" ',
    'echo "${RUNNER_TEMP}/uv/bin" >> "${GITHUB_PATH}"',
    '"${RUNNER_TEMP}/uv/bin/uv" venv --quiet "${RUNNER_TEMP}/release-tools"',
    '"${RUNNER_TEMP}/uv/bin/uv" pip install ',
    'echo "${RUNNER_TEMP}/release-tools/bin" >> "${GITHUB_PATH}"',
    "bash .github/scripts/check-dist.sh ",
    "pypi-attestations sign dist/",
    "uv publish --trusted-publishing always dist/*",
)


def test_permissions_are_least_privilege(
    project: Path, combination: dict[str, str]
) -> None:
    workflow = publish(project)
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    expected_jobs = {
        "build",
        "rebuild",
        "compare",
        "provenance",
        "publish",
        "verify-release",
    }
    if combination["publishing_tool"] == "uv":
        expected_jobs |= {"sign", "verify"}
    assert set(jobs) == expected_jobs
    for name, job in jobs.items():
        granted = dict(job["permissions"])
        if name in TOKEN_JOBS:
            assert granted == TOKEN_JOBS[name], name
        else:
            assert granted == {"contents": "read"}, name
    # Only the job that uploads runs in the protected environment.
    assert [n for n, j in jobs.items() if "environment" in j] == ["publish"]
    for path in workflows(project):
        other = load_yaml(path)
        assert other["permissions"] == {}, path.name
        for name, job in other["jobs"].items():
            granted = dict(job.get("permissions") or {})
            if path.name != "publish.yml":
                assert set(granted.values()) <= {"read"}, f"{path.name}: {name}"


def test_upload_waits_for_every_check(
    project: Path, combination: dict[str, str]
) -> None:
    jobs = publish(project)["jobs"]
    if combination["publishing_tool"] == "uv":
        assert jobs["sign"]["needs"] == "compare"
        assert jobs["verify"]["needs"] == "sign"
        assert set(jobs["publish"]["needs"]) == {"verify", "compare", "provenance"}
    else:
        assert set(jobs["publish"]["needs"]) == {"build", "compare", "provenance"}
    # The rebuild runs beside the build, apart from it.
    assert "needs" not in jobs["rebuild"]
    assert set(jobs["compare"]["needs"]) == {"build", "rebuild"}
    assert jobs["provenance"]["needs"] == "compare"
    assert jobs["verify-release"]["needs"] == "publish"


def test_nothing_is_signed_before_the_rebuild_reproduced_it(project: Path) -> None:
    """A signature of this workflow on a file nobody checked is a genuine
    attestation of a tampered file: every token job waits for the rebuild and
    checks its files first."""
    jobs = publish(project)["jobs"]

    def needed(name: str) -> set[str]:
        direct = jobs[name].get("needs") or []
        direct = [direct] if isinstance(direct, str) else list(direct)
        return set(direct).union(*(needed(n) for n in direct))

    for name, job in jobs.items():
        if "id-token" in (job.get("permissions") or {}):
            assert "compare" in needed(name), name
            runs = [str(s.get("run", "")) for s in job["steps"]]
            checked = [i for i, r in enumerate(runs) if "check-dist.sh" in r]
            fetching = ("actions/checkout@", "actions/download-artifact@")
            signed = [
                i
                for i, s in enumerate(job["steps"])
                if runs[i].startswith(("pypi-attestations sign", "uv publish"))
                or ("uses" in s and not str(s["uses"]).startswith(fetching))
            ]
            assert checked and signed and checked[0] < signed[0], name


def test_no_token_job_runs_what_a_build_made(project: Path) -> None:
    jobs = publish(project)["jobs"]
    uploaded = {
        step["with"]["name"]: step["with"]["path"]
        for job in jobs.values()
        for step in steps_using(job, "actions/upload-artifact")
    }
    assert uploaded == {
        name: path for name, path in DATA_ARTIFACTS.items() if name in uploaded
    }
    for name, job in jobs.items():
        if "id-token" not in job["permissions"]:
            continue
        for step in steps_using(job, "actions/download-artifact"):
            # The files to sign and upload, and their attestations; the
            # rebuild's only to compare, in a job without a token.
            assert step["with"]["name"] in {"dist", "attestations"}, f"{name}: {step}"
        # What a token job checks out is a short list of the commit's files.
        for step in steps_using(job, "actions/checkout"):
            assert step["with"]["sparse-checkout-cone-mode"] is False
            for path in str(step["with"]["sparse-checkout"]).split():
                assert path.startswith(
                    (".github/release-requirements/", ".github/scripts/")
                )
                assert (project / path).is_file(), path
        for step in job["steps"]:
            for line in str(step.get("run", "")).splitlines():
                command = line.strip()
                if command and not command.startswith("#"):
                    assert command.startswith(TOKEN_JOB_COMMANDS), f"{name}: {line}"


def test_every_install_requires_hashes_and_uv_is_verified(project: Path) -> None:
    """No release job installs or runs a package whose sha256 was not pinned."""
    jobs = publish(project)["jobs"]
    text = (project / WORKFLOWS / "publish.yml").read_text()
    assert "setup-uv" not in text, "setup-uv's download of uv is not hash-checked"
    assert "uvx " not in text and "uv run" not in text and "uv tool" not in text
    for name, job in jobs.items():
        uv_installed = False
        for step in job["steps"]:
            for line in str(step.get("run", "")).splitlines():
                words = line.split()
                if "install" in words:
                    assert "--require-hashes" in words, f"{name}: {line}"
                    assert "--no-deps" in words and "--only-binary=:all:" in words
                    requirement = words[words.index("--requirement") + 1]
                    assert requirement.startswith(".github/release-requirements/")
                    assert (project / requirement).is_file(), requirement
                    uv_installed |= requirement.endswith("/uv.txt")
                elif re.search(r"(^|\s)uv\s", line) or "pypi-attestations " in line:
                    assert uv_installed, f"{name} runs uv before installing it: {line}"


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
    text = (project / WORKFLOWS / "publish.yml").read_text()
    assert "actions/cache" not in text and "setup-uv" not in text
    assert "enable-cache" not in text


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
    runs = "\n".join(
        str(s.get("run", "")) for job in jobs.values() for s in job["steps"]
    )
    action = steps_using(jobs["publish"], "pypa/gh-action-pypi-publish")
    if combination["publishing_tool"] == "pypa-action":
        assert len(action) == 1
        # Attestations are on by default; a release must not depend on that.
        assert action[0]["with"]["attestations"] is True
        assert "uv publish" not in runs
    else:
        assert not action
        assert "pypi-attestations sign" in runs_of(jobs["sign"])
        assert "verify_attestations.py dist dist/" in runs_of(jobs["verify"])
        assert "uv publish --trusted-publishing always dist/*" in runs_of(
            jobs["publish"]
        )
    # The job that uploads checks again what the build job checked.
    for name in ("build", "publish"):
        assert "check-dist.sh" in runs_of(jobs[name]), name
    assert "skip-existing" not in (project / WORKFLOWS / "publish.yml").read_text()


def runs_of(job: Any) -> str:
    return "\n".join(str(s.get("run", "")) for s in job["steps"])


def test_build_provenance_follows_the_answer(renders: Any) -> None:
    for tool_answer in ("pypa-action", "uv"):
        on = publish(renders({"publishing_tool": tool_answer}))["jobs"]
        (attest,) = steps_using(on["provenance"], "actions/attest-build-provenance")
        assert attest["with"]["subject-path"] == "dist/*"
        off = publish(
            renders({"publishing_tool": tool_answer, "build_provenance": False})
        )["jobs"]
        assert "provenance" not in off
        assert "provenance" not in off["publish"]["needs"]


def test_both_tools_share_the_build_jobs(renders: Any) -> None:
    a = publish(renders({"publishing_tool": "pypa-action"}))["jobs"]
    b = publish(renders({"publishing_tool": "uv"}))["jobs"]
    for name in ("build", "rebuild", "compare", "provenance"):
        assert a[name] == b[name], name


def test_rebuild_is_an_independent_build_with_the_same_tools(project: Path) -> None:
    jobs = publish(project)["jobs"]
    build = [s for s in jobs["build"]["steps"] if "uv build" in s.get("run", "")]
    rebuild = [s for s in jobs["rebuild"]["steps"] if "uv build" in s.get("run", "")]
    assert build == rebuild
    # Its own checkout, not the build job's files; only the results meet,
    # in a job that compares them.
    assert not steps_using(jobs["rebuild"], "actions/download-artifact")
    fetched = steps_using(jobs["compare"], "actions/download-artifact")
    assert {(s["with"]["name"], s["with"]["path"]) for s in fetched} == {
        ("dist", "built/"),
        ("rebuilt", "rebuilt/"),
    }
    assert "compare-dist.sh built rebuilt" in runs_of(jobs["compare"])


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


def test_dependabot_updates_actions_uv_and_hooks_with_a_cooldown(
    project: Path,
) -> None:
    config = load_yaml(project / ".github/dependabot.yml")
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(ecosystems) == {"github-actions", "uv", "pre-commit"}
    for update in ecosystems.values():
        assert update["cooldown"]["default-days"] >= 1
        assert update["groups"]


def test_ci_resolves_as_of_the_templates_cutoff(project: Path) -> None:
    cutoff = copier_config()["resolution_cutoff"]["default"]
    ci = load_yaml(project / WORKFLOWS / "ci.yml")
    assert ci["jobs"]["build"]["env"]["UV_EXCLUDE_NEWER"] == cutoff


def test_release_build_uses_only_the_hash_pinned_backend(project: Path) -> None:
    (build,) = [
        s
        for s in publish(project)["jobs"]["build"]["steps"]
        if "uv build" in s.get("run", "")
    ]
    words = build["run"].split()
    assert "--require-hashes" in words and "--force-pep517" in words
    constraints = words[words.index("--build-constraints") + 1]
    assert (project / constraints).is_file()
