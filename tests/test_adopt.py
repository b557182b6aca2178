"""Adopt mode on real packages: only the publishing files are added.

Each source distribution in ../shared/fixtures/existing-packages/ is unpacked
into a git repository and adopted with commands/adopt.py: every file the package
had is byte-for-byte the same afterwards, and the files the template added pass
the checks a fresh copy passes (GitHub's workflow and Dependabot schemas,
zizmor at the auditor persona with no findings).
"""

from __future__ import annotations

import hashlib
import re
import shlex
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from test_update import commit_all, git, update
from test_update import releases as releases  # the session fixture

from conftest import (
    GIT_IDENTITY,
    LOCAL_UV,
    REPO,
    action_pins,
    assert_publishing_files_pass_their_checkers,
    load_toml,
    load_yaml,
    run,
    shared_data,
    tool,
    working_tree_copy,
)

sys.path.insert(0, str(REPO / "commands"))
import adopt

ADDED = {
    ".copier-answers.yml",
    ".github/dependabot.yml",
    ".github/workflows/publish.yml",
    ".github/scripts/build-dist.sh",
    ".github/scripts/check-dist.sh",
    ".github/scripts/release-version.sh",
    ".github/scripts/check-environment.sh",
    ".github/scripts/install-tools.sh",
    ".github/scripts/normalize-sdist.py",
    *(
        f".github/release-requirements/{name}.txt"
        for name in ("uv", "twine", "verify", "build-constraints")
    ),
    "scripts/verify_attestations.py",
    "scripts/check_project.py",
    "docs/releasing.md",
}
# sdist -> what the adopted project's answers must say.
PACKAGES: dict[str, dict[str, Any]] = {
    "sampleproject-4.0.0.tar.gz": {
        "distribution_name": "sampleproject",
        "github_repository": "pypa/sampleproject",
        "build_backend": "setuptools",
        "version_source": "pyproject",
    },
    "pypi_attestations-0.0.19.tar.gz": {
        "distribution_name": "pypi-attestations",
        "github_repository": "trailofbits/pypi-attestations",
        "build_backend": "setuptools",  # no [build-system]: PEP 517's fallback
        # Its version is `attr:` pypi_attestations.__version__.
        "version_source": "pyproject",
    },
}


def snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def existing_package(sdist: str, dst: Path) -> Path:
    """The sdist unpacked into a git repository with one commit."""
    archive = shared_data(f"fixtures/existing-packages/{sdist}")
    with tarfile.open(archive) as tar:
        tar.extractall(dst.parent / "unpacked", filter="data")
    (top,) = (dst.parent / "unpacked").iterdir()
    top.rename(dst)
    git(dst, "init", "--quiet", "--initial-branch=main")
    commit_all(dst, "The package as it was")
    return dst


@pytest.fixture(scope="module", params=sorted(PACKAGES))
def adopted(
    request: pytest.FixtureRequest,
    template_src: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, Path, dict[str, str]]:
    """(sdist, adopted repository, its files before adoption); shared."""
    sdist: str = request.param
    repo = existing_package(sdist, tmp_path_factory.mktemp("adopt") / "pkg")
    before = snapshot(repo)
    with pytest.MonkeyPatch.context() as env:
        for key, value in GIT_IDENTITY.items():
            env.setenv(key, value)
        adopt.adopt(repo, template=str(template_src), trust=True)
    return sdist, repo, before


def test_own_files_are_untouched_and_only_publishing_files_added(
    adopted: tuple[str, Path, dict[str, str]],
) -> None:
    _, repo, before = adopted
    after = snapshot(repo)
    assert {name: after.get(name) for name in before} == before
    assert set(after) - set(before) == ADDED
    untracked = git(repo, "status", "--porcelain", "--untracked-files=all")
    assert sorted(untracked.splitlines()) == sorted(f"?? {name}" for name in ADDED)


def test_answers_come_from_the_package(
    adopted: tuple[str, Path, dict[str, str]],
) -> None:
    sdist, repo, _ = adopted
    answers = load_yaml(repo / ".copier-answers.yml")
    assert answers["adopt_existing"] is True
    for key, value in PACKAGES[sdist].items():
        assert answers[key] == value, key
    # Only the package's own files would use these: not asked, not recorded.
    for unused in ("import_name", "description", "author_name", "license"):
        assert unused not in answers
    project = load_toml(repo / "pyproject.toml")["project"]
    assert answers["distribution_name"] == project["name"]
    # The package's own pyproject.toml is not written: the workflow passes
    # the verification script the identity.
    workflow = (repo / ".github/workflows/publish.yml").read_text()
    expected = PACKAGES[sdist]
    calls = re.findall(r"verify_attestations\.py (?:dist|release) .*", workflow)
    assert calls
    for call in calls:
        assert f'--package "{expected["distribution_name"]}"' in call
        assert f'--repository "{expected["github_repository"]}"' in call
        assert '--workflow "publish.yml"' in call


def test_publishing_files_pass_the_fresh_copy_checks(
    adopted: tuple[str, Path, dict[str, str]],
) -> None:
    _, repo, _ = adopted
    assert_publishing_files_pass_their_checkers(repo)
    run(sys.executable, "-m", "py_compile", repo / "scripts/verify_attestations.py")


def test_update_after_adopting_touches_only_publishing_files(
    releases: Path, tmp_path: Path
) -> None:
    repo = existing_package("sampleproject-4.0.0.tar.gz", tmp_path / "pkg")
    with pytest.MonkeyPatch.context() as env:
        for key, value in GIT_IDENTITY.items():
            env.setenv(key, value)
        adopt.adopt(repo, template=str(releases), vcs_ref="v0.1.0", trust=True)
    commit_all(repo, "Publish with attestations")
    before = snapshot(repo)

    update(repo)

    after = snapshot(repo)
    changed = {name for name in before if after.get(name) != before[name]}
    assert set(after) == set(before)
    assert changed <= ADDED, changed - ADDED
    publish = (repo / ".github/workflows/publish.yml").read_text()
    for action, pin in action_pins().items():
        if f"{action}@" in publish:
            assert f"{action}@{pin}" in publish
    assert load_yaml(repo / ".copier-answers.yml")["_commit"] == "v0.3.0"


def test_print_answers_gives_a_copier_data_file(tmp_path: Path) -> None:
    repo = existing_package("sampleproject-4.0.0.tar.gz", tmp_path / "pkg")
    preset = tmp_path / "preset.yml"
    preset.write_text("environment: release\ndistribution_name: not-this-one\n")
    result = run(
        sys.executable,
        REPO / "commands/adopt.py",
        repo,
        "--data-file",
        preset,
        "--print-answers",
    )
    answers = load_yaml_text(result.stdout)
    assert answers["environment"] == "release"  # from the preset
    assert answers["distribution_name"] == "sampleproject"  # the package wins
    assert answers["adopt_existing"] is True


def load_yaml_text(text: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(text)


def test_errors_are_one_line_and_write_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(sys.executable, REPO / "commands/adopt.py", empty, check=False)
    assert result.returncode == 1
    assert re.fullmatch(r"adopt: .*pyproject\.toml does not exist.*\n", result.stderr)

    repo = existing_package("sampleproject-4.0.0.tar.gz", tmp_path / "pkg")
    (repo / ".github").mkdir()
    (repo / ".github/dependabot.yml").write_text("version: 2\n")
    before = snapshot(repo)
    result = run(sys.executable, REPO / "commands/adopt.py", repo, check=False)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "already has .github/dependabot.yml" in result.stderr
    assert snapshot(repo) == before


def test_the_other_update_bots_file_is_the_packages_own(
    template_src: Path, tmp_path: Path
) -> None:
    # A package with its own Dependabot file adopts with Renovate: that file
    # is not one this copy writes, so it is neither a clash nor touched.
    repo = existing_package("sampleproject-4.0.0.tar.gz", tmp_path / "pkg")
    (repo / ".github").mkdir()
    (repo / ".github/dependabot.yml").write_text("version: 2\n")
    adopt.adopt(
        repo, template=str(template_src), preset={"update_bot": "renovate"}, trust=True
    )
    assert (repo / ".github/dependabot.yml").read_text() == "version: 2\n"
    assert (repo / ".github/renovate.json5").is_file()


# --- Where a release's version comes from -----------------------------------------

SCM_PACKAGE = """\
[build-system]
requires = ["setuptools>=77", "setuptools-scm>=8"]
build-backend = "setuptools.build_meta"

[project]
name = "tiny-scm"
dynamic = ["version"]

[project.urls]
Source = "https://github.com/acme/tiny-scm"

[tool.setuptools_scm]
"""
# A pyproject.toml's version lines -> version_source, and where a release
# sets its version when neither the tag nor `version =` gives it.
VERSIONS = {
    "static": ('version = "1.0"', "pyproject", None),
    "setuptools-scm": (
        'dynamic = ["version"]\n[build-system]\nrequires = ["setuptools-scm>=8"]',
        "tag",
        None,
    ),
    "setuptools-scm table": (
        'dynamic = ["version"]\n[tool.setuptools_scm]',
        "tag",
        None,
    ),
    "hatch-vcs": (
        'dynamic = ["version"]\n[build-system]\nrequires = ["hatchling", "hatch-vcs"]'
        '\n[tool.hatch.version]\nsource = "vcs"',
        "tag",
        None,
    ),
    "attr": (
        'dynamic = ["version"]\n[tool.setuptools.dynamic]\n'
        'version = { attr = "tiny.__version__" }',
        "pyproject",
        "`__version__` in src/tiny/__init__.py",
    ),
    "file": (
        'dynamic = ["version"]\n[tool.setuptools.dynamic]\n'
        'version = { file = "VERSION" }',
        "pyproject",
        "VERSION",
    ),
    "hatch path": (
        'dynamic = ["version"]\n[tool.hatch.version]\npath = "src/tiny/__about__.py"',
        "pyproject",
        "src/tiny/__about__.py",
    ),
}


@pytest.mark.parametrize("kind", VERSIONS)
def test_version_source_is_read_from_the_package(kind: str, tmp_path: Path) -> None:
    lines, answer, set_in = VERSIONS[kind]
    (tmp_path / "src/tiny").mkdir(parents=True)
    (tmp_path / "src/tiny/__init__.py").write_text('__version__ = "1.0"\n')
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "tiny"\n{lines}\n')
    source = adopt.version_source(tmp_path, load_toml(tmp_path / "pyproject.toml"))
    assert source == (answer, set_in)


def test_a_version_read_from_a_module_is_named_where_to_set_it(
    tmp_path: Path,
) -> None:
    repo = existing_package("pypi_attestations-0.0.19.tar.gz", tmp_path / "pkg")
    result = run(sys.executable, REPO / "commands/adopt.py", repo, "--print-answers")
    assert result.stderr == (
        "adopt: the version is read from `__version__` in "
        "src/pypi_attestations/__init__.py: set each release's version there "
        "(not in pyproject.toml), then tag it v<version>\n"
    )


def documented_adopt_command() -> list[str]:
    """README.md's adopt command, split as a shell would."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (line,) = [
        line
        for line in readme.splitlines()
        if line.startswith("uv run --script commands/adopt.py ")
    ]
    return shlex.split(line)


@pytest.mark.slow
def test_documented_command_adopts_a_tag_versioned_package_without_a_venv(
    tmp_path: Path,
) -> None:
    """As the README says: from the template's clone, no environment of the
    template's is made; the answers say the tag is the version, and the
    trusted publisher form is printed."""
    clone = working_tree_copy(tmp_path / "template")
    package = tmp_path / "tiny-scm"
    (package / "src/tiny_scm").mkdir(parents=True)
    (package / "src/tiny_scm/__init__.py").write_text('"""Tiny."""\n')
    (package / "pyproject.toml").write_text(SCM_PACKAGE)
    git(package, "init", "--quiet", "--initial-branch=main")
    commit_all(package, "A package whose version is its tag")
    command = documented_adopt_command()
    assert command[:4] == ["uv", "run", "--script", "commands/adopt.py"]
    command = [tool("uv"), *command[1:]]
    command[command.index("../existing-package")] = str(package)

    result = run(*command, cwd=clone, env={**LOCAL_UV, **GIT_IDENTITY})

    assert not (clone / ".venv").exists()
    assert load_yaml(package / ".copier-answers.yml")["version_source"] == "tag"
    said = result.stdout + result.stderr
    assert "adopt: the version comes from git tags" in said
    for field in (
        "PyPI Project Name: tiny-scm",
        "Owner:             acme",
        "Repository name:   tiny-scm",
        "Workflow name:     publish.yml",
        "Environment name:  pypi",
    ):
        assert field in said, said
    # The release build may install the plugin: it is pinned by hash.
    constraints = package / ".github/release-requirements/build-constraints.txt"
    assert "\nsetuptools-scm==" in constraints.read_text()
