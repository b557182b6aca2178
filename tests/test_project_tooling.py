"""The generated project's day-to-day tooling: what a maintainer lives with.

Every combination is held to Scientific Python's repo-review, to ruff's lint
and format with the project's own configuration, and to its pre-commit and CI
configuration; a representative few, with the shortest and the longest names
the questions accept, are locked, type-checked, tested and hooked offline.
"""

from __future__ import annotations

import re
import shutil
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from repo_review.processor import process
from ruamel.yaml import YAML

from conftest import (
    FLOORS,
    LOCAL_UV,
    Renders,
    copier_config,
    git_repository,
    load_toml,
    load_yaml,
    run,
    tool,
)

WORKFLOWS = Path(".github/workflows")
# At most this many repo-review checks may be ignored, each with a reason.
MAX_IGNORES = 2
# What the template ignores itself, leaving room for one more.
IGNORED = {"PC140"}


def repo_review_failures(project: Path) -> dict[str, str]:
    """Failed checks of sp-repo-review (offline: a local folder), by code."""
    _, results = process(project)
    return {r.name: r.err_msg for r in results if r.result is False}


def test_repo_review_passes_with_at_most_two_reasoned_ignores(project: Path) -> None:
    assert repo_review_failures(project) == {}
    ignored = load_toml(project / "pyproject.toml")["tool"]["repo-review"]["ignore"]
    assert len(ignored) <= MAX_IGNORES
    assert set(ignored) == IGNORED
    assert_ignores_explained(project, ignored)


def assert_ignores_explained(project: Path, ignored: dict[str, str]) -> None:
    docs = (project / "docs/development.md").read_text(encoding="utf-8")
    for code, reason in ignored.items():
        assert reason.strip(), f"{code} is ignored without a reason"
        assert re.search(rf"^- {code} \(", docs, re.M), f"docs do not explain {code}"


@pytest.mark.parametrize("bot", ["dependabot", "renovate"])
def test_repo_review_ignores_only_what_would_fail(renders: Renders, bot: str) -> None:
    """Each ignore is needed: without it, the check fails."""
    project = renders({"update_bot": bot})
    _, results = process(project, ignore=frozenset({"none"}))
    failed = {r.name for r in results if r.result is False}
    ignored = load_toml(project / "pyproject.toml")["tool"]["repo-review"]["ignore"]
    assert failed == set(ignored)


def test_repo_review_passes_with_renovate(renders: Renders) -> None:
    project = renders({"update_bot": "renovate"})
    assert repo_review_failures(project) == {}
    ignored = load_toml(project / "pyproject.toml")["tool"]["repo-review"]["ignore"]
    assert set(ignored) == IGNORED | {"GH200"}
    assert_ignores_explained(project, ignored)


def test_ruff_lint_and_format_pass_with_the_projects_config(project: Path) -> None:
    ruff = tool("ruff")
    run(ruff, "check", "--no-cache", ".", cwd=project)
    run(ruff, "format", "--no-cache", "--check", "--diff", ".", cwd=project)


# The hooks of pre-commit-hooks and codespell, run as the hooks run them:
# on every file of the project, changing nothing and finding nothing
# (check-added-large-files and check-merge-conflict ask git, and a render is
# not a repository).
HOOK_TOOLS = (
    ("end-of-file-fixer",),
    ("trailing-whitespace-fixer",),
    ("codespell",),
)
# The Markdown lint hook, on the files its hook selects.
MARKDOWN = ("rumdl", "check")


def test_hooks_that_install_from_pypi_pass_on_every_file(project: Path) -> None:
    files = sorted(
        str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()
    )
    for command in HOOK_TOOLS:
        run(tool(command[0]), *command[1:], *files, cwd=project)
    markdown = [f for f in files if f.endswith(".md")]
    run(tool(MARKDOWN[0]), *MARKDOWN[1:], *markdown, cwd=project)
    yaml_files = [f for f in files if f.endswith((".yml", ".yaml"))]
    run(tool("check-yaml"), *yaml_files, cwd=project)
    toml_files = [f for f in files if f.endswith(".toml")]
    run(tool("check-toml"), *toml_files, cwd=project)


def test_every_hook_is_pinned_to_the_templates_revision(project: Path) -> None:
    config = load_yaml(project / ".pre-commit-config.yaml")
    facts = copier_config()
    revs = dict(facts["hook_revs"]["default"])
    zizmor = f"v{facts['tool_versions']['default']['zizmor']}"
    revs["https://github.com/zizmorcore/zizmor-pre-commit"] = zizmor
    remote = {r["repo"]: r["rev"] for r in config["repos"] if r["repo"] != "local"}
    assert remote == revs
    for runner in ("prek", "pre-commit"):
        run(tool(runner), "validate-config", ".pre-commit-config.yaml", cwd=project)


# The PyPI distribution each hook repository installs, which the tests run.
HOOK_DISTRIBUTIONS = {
    "https://github.com/pre-commit/pre-commit-hooks": "pre-commit-hooks",
    "https://github.com/astral-sh/ruff-pre-commit": "ruff",
    "https://github.com/rvben/rumdl-pre-commit": "rumdl",
    "https://github.com/codespell-project/codespell": "codespell",
    "https://github.com/abravalheri/validate-pyproject": "validate-pyproject",
    "https://github.com/python-jsonschema/check-jsonschema": "check-jsonschema",
}


def test_hooks_pin_the_versions_the_tests_run() -> None:
    """What passes here is what a project's hooks and lint job will run."""
    facts = copier_config()
    revs = facts["hook_revs"]["default"]
    for repo, distribution in HOOK_DISTRIBUTIONS.items():
        assert str(revs[repo]).removeprefix("v") == version(distribution), repo
    tools = facts["tool_versions"]["default"]
    assert str(tools["prek"]) == version("prek")
    assert str(tools["zizmor"]) == version("zizmor")


VERIFIER = "scripts/verify_attestations.py"
# What the verifier signs and checks with: none of it belongs in a project's
# own environment.
SIGNING_STACK = {"sigstore", "cryptography", "pydantic", "pypi-attestations"}


def hook_files(hook: dict[str, Any], files: list[str]) -> list[str]:
    """The files pre-commit and prek pass to a hook, by its `files` and
    `exclude` patterns (both default to everything and nothing)."""
    return [
        f
        for f in files
        if re.search(hook.get("files", ""), f)
        and not re.search(hook.get("exclude", "^$"), f)
    ]


def test_verifier_is_neither_linted_nor_type_checked_by_the_project(
    renders: Renders, tmp_path: Path
) -> None:
    """The template owns the verifier byte for byte and checks it itself: a
    project's ruff, `mypy .` and hooks pass with a verifier they would fail."""
    copy = tmp_path / "project"
    shutil.copytree(renders(), copy)
    with (copy / VERIFIER).open("a", encoding="utf-8") as stream:
        stream.write("import os\nwrong: int = 'text'\n")
    ruff = tool("ruff")
    run(ruff, "check", "--no-cache", ".", cwd=copy)
    run(ruff, "format", "--no-cache", "--check", ".", cwd=copy)
    # As the ruff hooks run: the file named, their --force-exclude.
    run(ruff, "check", "--no-cache", "--force-exclude", VERIFIER, cwd=copy)
    checked = run(tool("mypy"), "--no-incremental", ".", cwd=copy, check=False)
    assert checked.returncode == 0, checked.stdout
    config = load_yaml(copy / ".pre-commit-config.yaml")
    hooks = {h["id"]: h for r in config["repos"] for h in r["hooks"]}
    scripts = sorted(str(p.relative_to(copy)) for p in (copy / "scripts").glob("*"))
    assert hook_files(hooks["mypy-scripts"], scripts) == ["scripts/check_project.py"]
    # Its dependencies are in no group of the project's.
    groups = load_toml(copy / "pyproject.toml")["dependency-groups"]
    listed = {n for group in groups.values() for n in names(group)}
    assert not listed & (SIGNING_STACK | {"pypi-simple", "requests"}), listed


def names(requirements: list[Any]) -> set[str]:
    return {
        canonicalize_name(Requirement(r).name)
        for r in requirements
        if isinstance(r, str)
    }


@pytest.mark.parametrize("floor", FLOORS)
def test_mypy_dot_checks_src_and_tests_at_every_floor(
    renders: Renders, floor: str
) -> None:
    """`mypy .` passes at the floor; scripts/, which needs 3.11, is its hook's."""
    project = renders({"python_floor": floor})
    checked = run(tool("mypy"), "--no-incremental", ".", cwd=project, check=False)
    assert checked.returncode == 0, checked.stdout
    assert "no issues found in 2 source files" in checked.stdout
    entry = next(
        h["entry"]
        for r in load_yaml(project / ".pre-commit-config.yaml")["repos"]
        for h in r["hooks"]
        if h["id"] == "mypy-scripts"
    )
    assert entry.endswith("mypy --python-version 3.11")


def test_pre_commit_ci_skips_every_hook_that_runs_uv(renders: Renders) -> None:
    """pre-commit.ci has no uv: a hook that runs it would fail there."""
    config = load_yaml(renders({"update_bot": "renovate"}) / ".pre-commit-config.yaml")
    needs_uv = {
        h["id"]
        for r in config["repos"]
        for h in r["hooks"]
        if h.get("entry", "").split()[0:1] == ["uv"]
    }
    assert {"check-project", "mypy", "mypy-scripts"} <= needs_uv
    assert sorted(config["ci"]["skip"]) == sorted(needs_uv)


def test_ci_can_be_run_by_hand_and_has_one_final_check(project: Path) -> None:
    ci = load_yaml(project / WORKFLOWS / "ci.yml")
    assert "workflow_dispatch" in ci["on"]
    jobs = ci["jobs"]
    final = jobs["all-checks"]
    assert set(final["needs"]) == set(jobs) - {"all-checks"}
    assert final["if"] == "always()"
    assert final["permissions"] == {}
    # Installs come from uv.lock: the test and lint jobs never resolve anew.
    for name in ("test", "lint"):
        assert jobs[name]["env"]["UV_LOCKED"] == "1", name
    prek = copier_config()["tool_versions"]["default"]["prek"]
    lint = [s["run"] for s in jobs["lint"]["steps"] if "run" in s]
    assert lint == [f"uvx prek=={prek} run --all-files --show-diff-on-failure"]


def test_task_runner_names_the_ci_checks(project: Path) -> None:
    tasks = load_toml(project / "pyproject.toml")["tool"]["poe"]["tasks"]
    assert tasks["test"] == "pytest"
    assert tasks["lint"] == "prek run --all-files"
    assert tasks["check"] == ["lint", "test"]


# --- The shortest and the longest names --------------------------------------------

# The shortest name and the longest the distribution name question accepts,
# across publishers, backends and triggers.
NAMED = [
    pytest.param(
        {
            "distribution_name": "a",
            "github_owner": "a",
            "github_repository": "a/a",
            "publishing_tool": "uv",
            "build_backend": "hatchling",
            "python_floor": "3.10",
        },
        id="short-uv-hatchling-3.10",
    ),
    pytest.param(
        {
            "distribution_name": "L" + "o" * 97 + "ng",
            "github_owner": "long-owner",
            "github_repository": "long-owner/" + "l" * 100,
            "publishing_tool": "pypa-action",
            "build_backend": "setuptools",
            "release_trigger": "tag",
        },
        id="long-pypa-setuptools-tag",
    ),
]


@pytest.mark.parametrize("answers", NAMED)
def test_shortest_and_longest_names_pass_review_and_ruff(
    renders: Renders, answers: dict[str, str]
) -> None:
    assert len(answers["distribution_name"]) in {1, 100}
    project = renders(answers)
    test_repo_review_passes_with_at_most_two_reasoned_ignores(project)
    test_ruff_lint_and_format_pass_with_the_projects_config(project)
    test_hooks_that_install_from_pypi_pass_on_every_file(project)


# What `uv sync` may install in a fresh project, the project itself included.
MAX_DEFAULT_PACKAGES = 25


def installed_distributions(venv: Path) -> set[str]:
    """The canonical names of what a virtual environment holds."""
    return {
        canonicalize_name(info.name.partition("-")[0])
        for info in venv.glob("lib/python*/site-packages/*.dist-info")
    }


def local_hooks_config(project: Path, dst: Path) -> Path:
    """The hooks of the project's config that need no hook repository (the
    others are cloned from GitHub, which the tests cannot reach; their tools
    run above and in test_workflows.py on every render)."""
    yaml = YAML(typ="rt")
    config = yaml.load((project / ".pre-commit-config.yaml").read_text())
    config["repos"] = [r for r in config["repos"] if r["repo"] == "local"]
    assert config["repos"], "no local hook"
    with dst.open("w") as stream:
        yaml.dump(config, stream)
    return dst


@pytest.mark.slow
@pytest.mark.parametrize("answers", NAMED)
def test_project_locks_type_checks_tests_and_runs_its_offline_hooks(
    renders: Renders, tmp_path: Path, answers: dict[str, str]
) -> None:
    project = git_repository(renders(answers), tmp_path / "project")
    uv = tool("uv")
    run(uv, "lock", "--quiet", cwd=project, env=LOCAL_UV)
    # As CI runs them: exactly what uv.lock records.
    run(uv, "run", "--locked", "pytest", cwd=project, env=LOCAL_UV)
    # That synced the default environment: the tests', lint's and type
    # checker's tools, none of the release's.
    installed = installed_distributions(project / ".venv")
    assert len(installed) <= MAX_DEFAULT_PACKAGES, sorted(installed)
    assert not installed & SIGNING_STACK, sorted(installed)
    # And on every Python and platform the lock serves (this machine runs
    # one): the union of what uv would install anywhere.
    exported = run(
        uv, "export", "--frozen", "--no-hashes", "--no-header", "--no-annotate",
        cwd=project, env=LOCAL_UV,
    ).stdout  # fmt: skip
    anywhere = {
        canonicalize_name(re.split(r"[=; ]", line, maxsplit=1)[0])
        for line in exported.splitlines()
        if line.strip() and not line.startswith("-e ")
    }
    assert len(anywhere) + 1 <= MAX_DEFAULT_PACKAGES, sorted(anywhere)  # + itself
    assert installed - {canonicalize_name(answers["distribution_name"])} <= anywhere
    hooks = local_hooks_config(project, tmp_path / "local-hooks.yaml")
    homes = {"PREK_HOME": str(tmp_path / "prek"), "PRE_COMMIT_HOME": str(tmp_path)}
    for runner in ("prek", "pre-commit"):
        hooked = run(
            tool(runner),
            "run",
            "--config",
            hooks,
            "--all-files",
            cwd=project,
            env={**LOCAL_UV, **homes},
        )
        for hook in (r"mypy \(strict\)", r"mypy \(strict, scripts/ as Python 3\.11\)"):
            passed = re.search(rf"^{hook}\.+Passed$", hooked.stdout, re.M)
            assert passed, f"{runner}\n{hooked.stdout}"
