"""The generated GitHub workflows: schema-valid, zizmor-clean, least privilege."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from conftest import (
    REPO,
    action_pins,
    assert_publishing_files_pass_their_checkers,
    copier_config,
    load_toml,
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


def steps(job: Any) -> list[Any]:
    """A job's steps; none for a job that calls a reusable workflow."""
    return list(job.get("steps", []))


def steps_using(job: Any, action: str) -> list[Any]:
    return [s for s in steps(job) if str(s.get("uses", "")).startswith(action + "@")]


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
                if ref.startswith("$/"):
                    # This repository at the commit being run: pinned as it is.
                    assert (project / ref.removeprefix("$/")).is_file(), ref
                    continue
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


# The one job that may hold an OIDC token PyPI accepts, the one in the
# environment; and the rehearsal's, in an environment of its own.
TOKEN_JOB = "publish"
REHEARSAL_JOB = "rehearse"
# The one artifact: the build job's distributions. The rebuild uploads
# nothing: its list of names and digests, a job output, is what is believed.
ARTIFACTS = {"dist": "dist/"}
# Every command the token job's shell steps may start: the tag's check, the
# hash-checked install, the rebuild's list, the released commit's check and
# verification scripts, signing and upload.
TOKEN_JOB_COMMANDS = (
    "bash .github/scripts/release-version.sh",
    "bash .github/scripts/install-tools.sh verify.txt",
    """printf '%s\\n' "${SHA256SUMS}" > "${RUNNER_TEMP}/SHA256SUMS\"""",
    'bash .github/scripts/check-dist.sh "${VERSION}" dist'
    ' --sha256sums "${RUNNER_TEMP}/SHA256SUMS"',
    "pypi-attestations sign dist/*.tar.gz dist/*.whl",
    "python -I scripts/verify_attestations.py dist dist/ --commit"
    ' "${GITHUB_SHA}" --no-pyproject --package ',
    "uv publish --no-config --trusted-publishing always dist/*",
)
# What the token job may check out: its scripts and requirements and the
# verification script; no configuration (pyproject.toml, uv.toml) of the
# checkout, which could redirect the upload or the expected identity.
TOKEN_JOB_FILES = (
    ".github/release-requirements/",
    ".github/scripts/",
    "scripts/verify_attestations.py",
)


def token_job_permissions(combination: dict[str, Any]) -> dict[str, str]:
    granted = {"contents": "read", "id-token": "write"}
    if combination.get("build_provenance", True):
        granted["attestations"] = "write"
    return granted


def test_permissions_are_least_privilege(
    project: Path, combination: dict[str, str]
) -> None:
    workflow = publish(project)
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    expected = {"build", "rebuild", "test", "compare", "publish"}
    expected |= {"check-environment", "rehearse", "verify-release"}
    assert set(jobs) == expected
    for name, job in jobs.items():
        granted = dict(job["permissions"])
        if name == TOKEN_JOB:
            assert granted == token_job_permissions(combination), name
        elif name == REHEARSAL_JOB:
            # A token only Sigstore's staging instance takes, in its own
            # environment (tests/test_rehearsal.py).
            assert granted == {"contents": "read", "id-token": "write"}, name
        elif name == "check-environment":
            assert granted == {"actions": "read", "contents": "read"}, name
        elif name == "compare":
            # It reads two job outputs and checks out nothing.
            assert granted == {} and not steps_using(job, "actions/"), name
        else:
            assert granted == {"contents": "read"}, name
        # A private repository's checkout needs contents: read.
        if steps_using(job, "actions/checkout"):
            assert granted["contents"] == "read", name
    # The job that holds the token is the job the environment's reviewers
    # approve: no OIDC token before their approval, and one approval.
    in_environment = [n for n, j in jobs.items() if "environment" in j]
    with_token = [n for n, j in jobs.items() if "id-token" in j["permissions"]]
    assert in_environment == with_token == [TOKEN_JOB, REHEARSAL_JOB]
    for path in workflows(project):
        other = load_yaml(path)
        assert other["permissions"] == {}, path.name
        for name, job in other["jobs"].items():
            granted = dict(job.get("permissions") or {})
            if path.name != "publish.yml":
                assert set(granted.values()) <= {"read"}, f"{path.name}: {name}"


def test_without_provenance_the_token_job_cannot_store_attestations(
    renders: Any,
) -> None:
    for tool_answer in ("pypa-action", "uv"):
        answers = {"publishing_tool": tool_answer, "build_provenance": False}
        job = publish(renders(answers))["jobs"][TOKEN_JOB]
        assert dict(job["permissions"]) == token_job_permissions(answers)
        assert not steps_using(job, "actions/attest-build-provenance")


def test_upload_waits_for_every_check(project: Path) -> None:
    jobs = publish(project)["jobs"]
    # The project's own CI on the released commit, beside the builds.
    assert jobs["test"] == {
        "name": "Test the released commit",
        "permissions": {"contents": "read"},
        "uses": "$/.github/workflows/ci.yml",
    }
    ci = load_yaml(project / WORKFLOWS / "ci.yml")
    assert "workflow_call" in ci["on"]
    assert set(jobs["publish"]["needs"]) == {"compare", "rebuild", "test"}
    # The rebuild runs beside the build, apart from it.
    assert "needs" not in jobs["rebuild"]
    assert set(jobs["compare"]["needs"]) == {"build", "rebuild"}
    assert set(jobs["verify-release"]["needs"]) == {"publish", "rebuild"}


def test_each_build_job_vouches_for_its_own_files(project: Path) -> None:
    """The build and the rebuild each publish their files' names and sha256 as
    their own output (set by their own runner, no other job's); the compare
    job requires the two to be equal, and every later job believes the
    rebuild's list, never an artifact's name."""
    jobs = publish(project)["jobs"]
    for name in ("build", "rebuild"):
        assert dict(jobs[name]["outputs"]) == {
            "sha256sums": "${{ steps.files.outputs.sha256sums }}"
        }, name
        (files,) = [s for s in jobs[name]["steps"] if s.get("id") == "files"]
        assert files["run"].endswith(' dist --github-output "${GITHUB_OUTPUT}"')
    (compare,) = jobs["compare"]["steps"]
    assert dict(compare["env"]) == {
        "BUILT": "${{ needs.build.outputs.sha256sums }}",
        "REBUILT": "${{ needs.rebuild.outputs.sha256sums }}",
    }
    for name in (TOKEN_JOB, "verify-release"):
        kept = [s for s in jobs[name]["steps"] if "SHA256SUMS" in s.get("env", {})]
        assert [dict(s["env"]) for s in kept] == [
            {"SHA256SUMS": "${{ needs.rebuild.outputs.sha256sums }}"}
        ], name
    # verify-release compares the index with that list, not with a download.
    assert not steps_using(jobs["verify-release"], "actions/download-artifact")
    assert '--sha256sums "${RUNNER_TEMP}/SHA256SUMS"' in runs_of(jobs["verify-release"])


def test_the_tag_is_read_once_per_job_and_never_run(project: Path) -> None:
    """Each job that needs the version takes it from one checked step: no
    step's script names the tag (git lets a tag hold `$(...)`), and every
    step that uses the version gets the checked value through its env."""
    text = (project / WORKFLOWS / "publish.yml").read_text()
    assert "GITHUB_REF_NAME" not in text and "github.ref_name" not in text
    for name, job in publish(project)["jobs"].items():
        ordered = steps(job)
        versioned = [s for s in ordered if "${VERSION}" in str(s.get("run", ""))]
        if not versioned:
            continue
        reads = [s for s in ordered if s.get("id") == "version"]
        assert [s["run"] for s in reads] == [
            "bash .github/scripts/release-version.sh"
        ], name
        # A rehearsal's version is its input, checked the same way.
        assert reads[0]["env"] == {"REHEARSAL_VERSION": "${{ inputs.version }}"}
        first = ordered.index(reads[0])
        assert all(ordered.index(s) > first for s in versioned), name
        for step in versioned:
            assert step["env"]["VERSION"] == "${{ steps.version.outputs.version }}"


def test_the_token_job_reads_no_project_configuration(
    project: Path, combination: dict[str, str]
) -> None:
    """The identity the verification script expects is rendered into the
    workflow, not read from the checkout, and nothing of the checkout can
    name another upload address."""
    job = publish(project)["jobs"][TOKEN_JOB]
    answers = load_yaml(project / ".copier-answers.yml")
    package = canonicalize_name(str(answers["distribution_name"]))
    identity = (
        f'--no-pyproject --package "{package}"'
        f' --repository "{answers["github_repository"]}"'
        ' --workflow "publish.yml" --environment "pypi"'
    )
    for step in steps(job):
        script = str(step.get("run", ""))
        if script.startswith("uv "):
            assert script.startswith("uv publish --no-config "), script
        if "verify_attestations.py" in script:
            assert script.endswith(identity) or f"{identity} ||" in script, script
    action = steps_using(job, "pypa/gh-action-pypi-publish")
    for step in action:
        assert dict(step["with"]) == {"packages-dir": "dist/", "attestations": True}
    install = (project / INSTALL_SCRIPT).read_text()
    assert install.count('/bin/uv" venv --no-config ') == 1
    assert install.count('/bin/uv" pip install --no-config ') == 1


def test_nothing_is_signed_before_the_rebuild_reproduced_it(project: Path) -> None:
    """A signature of this workflow on a file nobody checked is a genuine
    attestation of a tampered file: the token job waits for the rebuild and
    checks its files against the compare job's list first."""
    jobs = publish(project)["jobs"]
    job = jobs[TOKEN_JOB]
    runs = [str(s.get("run", "")) for s in steps(job)]
    checked = [i for i, r in enumerate(runs) if "--sha256sums" in r]
    fetching = ("actions/checkout@", "actions/download-artifact@")
    signed = [
        i
        for i, s in enumerate(job["steps"])
        if runs[i].startswith(("pypi-attestations sign", "python ", "uv "))
        or ("uses" in s and not str(s["uses"]).startswith(fetching))
    ]
    assert checked and signed and checked[0] < signed[0]
    # Provenance names the checked list's files and globs nothing.
    for attest in steps_using(job, "actions/attest-build-provenance"):
        assert dict(attest["with"]) == {
            "subject-checksums": "${{ runner.temp }}/SHA256SUMS"
        }


def test_no_token_job_runs_what_a_build_made(project: Path) -> None:
    jobs = publish(project)["jobs"]
    uploaded = {
        step["with"]["name"]: step["with"]["path"]
        for job in jobs.values()
        for step in steps_using(job, "actions/upload-artifact")
    }
    assert uploaded == ARTIFACTS
    job = jobs[TOKEN_JOB]
    for step in steps_using(job, "actions/download-artifact"):
        # The files to sign and upload, checked against the rebuild's list.
        assert dict(step["with"]) == {"name": "dist", "path": "dist/"}
    # What the token job checks out is a short list of the commit's files.
    (checkout,) = steps_using(job, "actions/checkout")
    assert checkout["with"]["sparse-checkout-cone-mode"] is False
    for path in str(checkout["with"]["sparse-checkout"]).split():
        assert path.startswith(TOKEN_JOB_FILES), path
        assert (project / path).is_file(), path
    for step in steps(job):
        for line in str(step.get("run", "")).splitlines():
            command = line.strip()
            if command and not command.startswith("#"):
                assert command.startswith(TOKEN_JOB_COMMANDS), line


INSTALL_SCRIPT = ".github/scripts/install-tools.sh"


def test_every_install_requires_hashes_and_uv_is_verified(project: Path) -> None:
    """No release job installs or runs a package whose sha256 was not pinned:
    every install goes through install-tools.sh, whose every install requires
    hashes, wheels only and no dependency outside the file."""
    jobs = publish(project)["jobs"]
    text = (project / WORKFLOWS / "publish.yml").read_text()
    assert "setup-uv" not in text, "setup-uv's download of uv is not hash-checked"
    assert "uvx " not in text and "uv run" not in text and "uv tool" not in text
    script = (project / INSTALL_SCRIPT).read_text().replace("\\\n", "")
    installs = [
        line.split()
        for line in script.splitlines()
        if " install " in line and not line.startswith("#")
    ]
    assert len(installs) == 2
    for words in installs:
        assert "--require-hashes" in words and "--no-deps" in words
        assert "--only-binary=:all:" in words
        if '"${files[@]}"' in words:  # the job's files, each from the folder
            assert 'files+=(--requirement "${requirements}/${file}")' in script
        else:
            assert words[words.index("--requirement") + 1].startswith(
                '"${requirements}/'
            )
    assert "requirements=.github/release-requirements\n" in script
    assert '--requirement "${requirements}/uv.txt"' in script
    for name, job in jobs.items():
        uv_installed = False
        for step in steps(job):
            for line in str(step.get("run", "")).splitlines():
                words = line.split()
                if "install" in " ".join(words):
                    assert words[:2] == ["bash", INSTALL_SCRIPT], f"{name}: {line}"
                    for requirement in words[2:]:
                        path = project / ".github/release-requirements" / requirement
                        assert path.is_file(), requirement
                    uv_installed = True
                elif re.search(r"(^|\s)(uv|twine|python|pypi-attestations)\s", line):
                    assert uv_installed, f"{name} runs a tool before installing it"


def test_no_run_block_of_three_lines_is_written_twice(project: Path) -> None:
    """Each repeated step is written once (a script, a macro): an auditor
    reads every block once."""
    blocks = [
        str(step["run"])
        for job in publish(project)["jobs"].values()
        for step in steps(job)
        if len(str(step.get("run", "")).strip().splitlines()) >= 3
    ]
    assert blocks and len(blocks) == len(set(blocks))


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
    on = dict(publish(project)["on"])
    # The release rehearsal, started by hand (tests/test_rehearsal.py).
    assert "version" in on.pop("workflow_dispatch")["inputs"]
    if combination["release_trigger"] == "release":
        assert on == {"release": {"types": ["published"]}}
    else:
        assert on == {"push": {"tags": ["v*"]}}


def test_publish_steps_follow_the_tool(
    project: Path, combination: dict[str, str]
) -> None:
    jobs = publish(project)["jobs"]
    runs = "\n".join(
        str(s.get("run", ""))
        for name, job in jobs.items()
        for s in steps(job)
        if name != REHEARSAL_JOB
    )
    job = jobs[TOKEN_JOB]
    action = steps_using(job, "pypa/gh-action-pypi-publish")
    if combination["publishing_tool"] == "pypa-action":
        assert len(action) == 1
        # Attestations are on by default; a release must not depend on that.
        assert action[0]["with"]["attestations"] is True
        assert "uv publish" not in runs and "pypi-attestations" not in runs
    else:
        assert not action
        # Sign, verify, check again with the attestations, upload: in order.
        order = [
            "pypi-attestations sign dist/*.tar.gz dist/*.whl",
            "python -I scripts/verify_attestations.py dist dist/ --commit",
            'bash .github/scripts/check-dist.sh "${VERSION}" dist'
            ' --sha256sums "${RUNNER_TEMP}/SHA256SUMS" --attestations',
            "uv publish --no-config --trusted-publishing always dist/*",
        ]
        scripts = [str(s.get("run", "")) for s in steps(job)]
        found = [
            next(i for i, run in enumerate(scripts) if run.startswith(line))
            for line in order
        ]
        assert found == sorted(found) and found[-1] == len(scripts) - 1
    # The job that uploads checks again what the build job checked.
    for name in ("build", "publish"):
        assert "check-dist.sh" in runs_of(jobs[name]), name
    assert "skip-existing" not in (project / WORKFLOWS / "publish.yml").read_text()


def runs_of(job: Any) -> str:
    return "\n".join(str(s.get("run", "")) for s in steps(job))


def test_build_provenance_follows_the_answer(renders: Any) -> None:
    for tool_answer in ("pypa-action", "uv"):
        on = publish(renders({"publishing_tool": tool_answer}))["jobs"]
        (attest,) = steps_using(on[TOKEN_JOB], "actions/attest-build-provenance")
        assert "subject-path" not in attest["with"]
        off = publish(
            renders({"publishing_tool": tool_answer, "build_provenance": False})
        )["jobs"]
        assert "attest-build-provenance" not in str(off)


def test_both_tools_share_the_build_jobs(renders: Any) -> None:
    a = publish(renders({"publishing_tool": "pypa-action"}))["jobs"]
    b = publish(renders({"publishing_tool": "uv"}))["jobs"]
    for name in ("build", "rebuild", "compare"):
        assert a[name] == b[name], name


def test_rebuild_is_an_independent_build_with_the_same_tools(project: Path) -> None:
    jobs = publish(project)["jobs"]
    from_tag = load_toml(project / "pyproject.toml")["project"].get("dynamic")
    expected: dict[str, Any] = {
        "name": "Build the sdist and the wheel",
        "run": "bash .github/scripts/build-dist.sh",
    }
    if from_tag:
        expected["run"] += ' "${VERSION}"'
        expected["env"] = {"VERSION": "${{ steps.version.outputs.version }}"}
    build = [s for s in jobs["build"]["steps"] if "build-dist" in s.get("run", "")]
    rebuild = [s for s in jobs["rebuild"]["steps"] if "build-dist" in s.get("run", "")]
    assert build == rebuild == [expected]
    # Its own checkout, not the build job's files; only the two lists meet,
    # in a job that compares them.
    assert not steps_using(jobs["rebuild"], "actions/download-artifact")
    assert not steps_using(jobs["rebuild"], "actions/upload-artifact")
    assert not steps_using(jobs["compare"], "actions/")


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
    script = (project / ".github/scripts/build-dist.sh").read_text()
    (command,) = [
        line
        for line in script.replace("\\\n", "").splitlines()
        if line.startswith("uv build ")
    ]
    words = command.split()
    assert "--require-hashes" in words and "--force-pep517" in words
    # The backend and its dependencies from wheels only.
    assert "--no-build" in words and "--no-sources" in words
    assert words[words.index("--out-dir") + 1] == "dist"
    constraints = words[words.index("--build-constraints") + 1]
    assert (project / constraints).is_file()


def test_releasing_doc_follows_the_workflow(
    project: Path, combination: dict[str, str]
) -> None:
    doc = (project / "docs/releasing.md").read_text()
    once = doc.split("## Once, before the first release")[1].split("\n## ")[0]
    # SECURITY.md sends reporters to a button that only this setting shows.
    assert "enable *Private vulnerability reporting*" in once
    # The table names exactly the workflow's jobs.
    rows = re.findall(r"^\| `([a-z-]+)` \|", doc, flags=re.MULTILINE)
    assert rows == list(publish(project)["jobs"])
    assert "## What a reviewer approves" in doc
    # The local check of attestations beside files can pass only where the
    # attestations exist before the upload: the uv flow.
    offered = "verify_attestations.py dist dist/" in doc
    assert offered == (combination["publishing_tool"] == "uv")


def test_every_claim_of_the_release_path_names_a_test_that_exists() -> None:
    claims = (REPO / "docs/release-path-claims.md").read_text()
    named = re.findall(r"`(tests/test_\w+\.py)::(test_\w+)`", claims)
    assert len(named) >= 10, named
    for module, test in named:
        source = (REPO / module).read_text()
        assert re.search(rf"^def {test}\(", source, re.MULTILINE), f"{module}::{test}"
