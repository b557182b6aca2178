# /// script
# requires-python = ">=3.11"
# dependencies = ["copier>=9.7.0", "packaging>=24", "pyyaml>=6"]
# ///
"""Adopt an existing package: add only this template's publishing files.

Copier cannot read a TOML file (its `_external_data` reads YAML), so this
command reads what it can from the package's own pyproject.toml and git remote
and passes it to `copier copy` as answers, with `adopt_existing=true`:

- distribution_name from `[project]`;
- github_repository from the `origin` remote, else from a GitHub URL in
  `[project.urls]`;
- build_backend from `[build-system]` (none means setuptools' fallback);
- version_source: `tag` when a VCS plugin (setuptools-scm, hatch-vcs) gives
  the version, else `pyproject`. A version read from a module or a file
  (`attr:`, a path) is named: each release sets it there.

Adopt mode asks nothing that only the package's own files would use (its
description, author, license, import name, Python floor).

Answers in a preset (`--data-file`, an organization's environment, publishing
tool...) fill in the rest; what the package says wins. In adopt mode the
template writes only the publishing files (PUBLISHING_FILES below) and
.copier-answers.yml: the package's
pyproject.toml, sources, tests, README, LICENSE and CI are never written, on
this copy nor on later updates. The copy prints PyPI's trusted publisher
form for the package.

    uv run --script commands/adopt.py PATH [--template SRC] [--vcs-ref REF]
        [--data-file FILE] [--print-answers] [--trust] [--overwrite]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

TEMPLATE = Path(__file__).resolve().parent.parent
# What adopt mode writes (besides the answers file).
# The update bot's configuration: the one the answers choose is written.
BOT_FILES = {
    "dependabot": ".github/dependabot.yml",
    "renovate": ".github/renovate.json5",
}
PUBLISHING_FILES = (
    ".github/workflows/publish.yml",
    *BOT_FILES.values(),
    ".github/release-requirements",
    ".github/scripts/build-dist.sh",
    ".github/scripts/check-dist.sh",
    ".github/scripts/release-version.sh",
    ".github/scripts/check-environment.sh",
    ".github/scripts/install-tools.sh",
    ".github/scripts/normalize-sdist.py",
    "scripts/verify_attestations.py",
    "scripts/check_project.py",
    "docs/releasing.md",
)
BACKENDS = {
    "uv_build": "uv_build",
    "hatchling.build": "hatchling",
    "setuptools.build_meta": "setuptools",
    "setuptools.build_meta:__legacy__": "setuptools",
}
GITHUB = re.compile(
    r"github\.com[:/](?P<owner>[A-Za-z0-9-]+)/(?P<name>[A-Za-z0-9._-]+?)(?:\.git)?/?$"
)


# The build requirements that take the version from git tags.
VCS_PLUGINS = {"setuptools-scm", "hatch-vcs"}


class AdoptError(Exception):
    """A one-line reason the package cannot be adopted."""


class VersionSource(NamedTuple):
    """The version_source answer, and where a release sets its version when
    neither the tag nor pyproject.toml's `version` gives it."""

    answer: str
    set_in: str | None = None


def read_pyproject(repo: Path) -> dict[str, Any]:
    path = repo / "pyproject.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise AdoptError(f"{path} does not exist: nothing to adopt") from error
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise AdoptError(f"cannot read {path}: {error}") from error


def github_repository(repo: Path, urls: Mapping[str, Any]) -> str | None:
    """owner/name of the package on GitHub: the origin remote, else its URLs."""
    remote = subprocess.run(
        ["git", "remote", "get-url", "origin"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    candidates = [remote.stdout.strip()] if remote.returncode == 0 else []
    preferred = ("source", "repository", "source code", "homepage")
    ordered = sorted(
        urls.items(),
        key=lambda item: (
            preferred.index(item[0].lower()) if item[0].lower() in preferred else 9
        ),
    )
    candidates += [str(url) for _, url in ordered]
    for candidate in candidates:
        found = GITHUB.search(candidate.strip())
        if found:
            return f"{found['owner']}/{found['name']}"
    return None


def build_requirements(pyproject: Mapping[str, Any]) -> set[str]:
    names: set[str] = set()
    for line in pyproject.get("build-system", {}).get("requires", []):
        try:
            names.add(canonicalize_name(Requirement(str(line)).name))
        except InvalidRequirement:
            continue  # the backend reports it on the next build
    return names


def module_file(repo: Path, module: str) -> str:
    """The file of a dotted module name in a src/ or flat layout, as found."""
    parts = module.split(".")
    for root in ("src", "."):
        for candidate in (
            Path(*parts) / "__init__.py",
            Path(*parts).with_suffix(".py"),
        ):
            if (repo / root / candidate).is_file():
                return (Path(root) / candidate).as_posix().removeprefix("./")
    return f"the module {module}"


def version_source(repo: Path, pyproject: Mapping[str, Any]) -> VersionSource:
    """Where the package's version comes from, as the version_source question
    asks it."""
    if "version" not in pyproject.get("project", {}).get("dynamic", []):
        return VersionSource("pyproject")
    tool = pyproject.get("tool", {})
    hatch = tool.get("hatch", {}).get("version", {})
    if (
        build_requirements(pyproject) & VCS_PLUGINS
        or "setuptools_scm" in tool
        or hatch.get("source") == "vcs"
    ):
        return VersionSource("tag")
    setuptools = tool.get("setuptools", {}).get("dynamic", {}).get("version", {})
    if isinstance(setuptools, dict) and "attr" in setuptools:
        module, _, name = str(setuptools["attr"]).rpartition(".")
        where = f"`{name}` in {module_file(repo, module)}"
    elif isinstance(setuptools, dict) and "file" in setuptools:
        files = setuptools["file"]
        where = ", ".join(files) if isinstance(files, list) else str(files)
    elif "path" in hatch:
        where = str(hatch["path"])
    else:
        where = "the file its build backend reads it from"
    return VersionSource("pyproject", where)


def derive_answers(repo: Path) -> dict[str, Any]:
    """The answers the existing package already gives, plus adopt mode."""
    pyproject = read_pyproject(repo)
    project = pyproject.get("project")
    if not isinstance(project, dict) or not isinstance(project.get("name"), str):
        raise AdoptError(f"{repo / 'pyproject.toml'} has no [project] name")
    answers: dict[str, Any] = {
        "adopt_existing": True,
        "distribution_name": project["name"],
        "version_source": version_source(repo, pyproject).answer,
    }
    backend = pyproject.get("build-system", {}).get("build-backend")
    if backend is None:
        answers["build_backend"] = "setuptools"  # PEP 517's fallback
    elif backend in BACKENDS:
        answers["build_backend"] = BACKENDS[backend]
    repository = github_repository(repo, project.get("urls") or {})
    if repository:
        # The owner question must agree with the repository it found.
        answers["github_owner"] = repository.split("/")[0]
        answers["github_repository"] = repository
    return answers


def load_preset(path: Path) -> dict[str, Any]:
    import yaml  # type: ignore[import-untyped]  # Copier depends on PyYAML

    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise AdoptError(f"cannot read {path}: {error}") from error
    if not isinstance(loaded, dict):
        raise AdoptError(f"{path} must hold a mapping of answers")
    return loaded


def adopt(
    repo: Path,
    *,
    template: str = str(TEMPLATE),
    vcs_ref: str | None = None,
    preset: Mapping[str, Any] | None = None,
    trust: bool = False,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write the publishing files into `repo`; return the answers used."""
    import copier
    from copier.errors import CopierError

    answers = {**(preset or {}), **derive_answers(repo)}
    # The other bot's file is the package's own, and stays.
    bot = BOT_FILES.get(str(answers.get("update_bot", "dependabot")))
    others = set(BOT_FILES.values()) - {bot}
    existing = [
        name
        for name in PUBLISHING_FILES
        if name not in others and (repo / name).exists()
    ]
    if existing and not overwrite:
        raise AdoptError(
            f"{repo} already has {', '.join(existing)}: move them aside or "
            "pass --overwrite"
        )
    try:
        copier.run_copy(
            template,
            str(repo),
            data=answers,
            vcs_ref=vcs_ref,
            defaults=True,
            overwrite=overwrite,
            unsafe=trust,
        )
    except (CopierError, ValueError) as error:
        message = str(error).strip().splitlines()
        raise AdoptError(message[0] if message else type(error).__name__) from error
    return answers


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Add this template's publishing files to an existing package."
    )
    parser.add_argument("repo", type=Path, help="the existing package's folder")
    parser.add_argument("--template", default=str(TEMPLATE), help="template source")
    parser.add_argument("--vcs-ref", help="template version (default: latest tag)")
    parser.add_argument("--data-file", type=Path, help="a preset of answers (YAML)")
    parser.add_argument(
        "--print-answers",
        action="store_true",
        help="print the answers as a Copier data file instead of copying",
    )
    parser.add_argument("--trust", action="store_true", help="run the template's tasks")
    parser.add_argument("--overwrite", action="store_true")
    options = parser.parse_args(argv)
    try:
        preset = load_preset(options.data_file) if options.data_file else {}
        answers = {**preset, **derive_answers(options.repo)}
        print_version_note(options.repo)
        if options.print_answers:
            import yaml

            print(yaml.safe_dump(answers, sort_keys=False, allow_unicode=True), end="")
            return 0
        adopt(
            options.repo,
            template=options.template,
            vcs_ref=options.vcs_ref,
            preset=preset,
            trust=options.trust,
            overwrite=options.overwrite,
        )
    except AdoptError as error:
        print(f"adopt: {error}", file=sys.stderr)
        return 1
    print(
        f"adopt: added the publishing files for {answers['distribution_name']}; "
        "review and commit them"
    )
    return 0


def print_version_note(repo: Path) -> None:
    """Say where a release's version comes from, when it is not pyproject.toml's
    `version` line (which docs/releasing.md otherwise tells to edit)."""
    source = version_source(repo, read_pyproject(repo))
    if source.answer == "tag":
        note = "the version comes from git tags: a release's tag is its version"
    elif source.set_in:
        note = (
            f"the version is read from {source.set_in}: set each release's "
            "version there (not in pyproject.toml), then tag it v<version>"
        )
    else:
        return
    print(f"adopt: {note}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
