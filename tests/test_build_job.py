"""The publish workflow's build job, its shell steps run here as GitHub runs them."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from conftest import Builds, Step, job_run_steps, run, run_step, tool

pytestmark = pytest.mark.slow


def distributions(dist: Path) -> list[Path]:
    """What the workflow's globs and upload-artifact see: no hidden files."""
    return sorted(dist.glob("[!.]*"))


def digests(dist: Path) -> dict[str, str]:
    return {
        f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in distributions(dist)
    }


def step(checkout: Path, name_part: str) -> Step:
    steps = job_run_steps(checkout / ".github/workflows/publish.yml", "build")
    (found,) = [s for s in steps if name_part in s.name]
    return found


def test_build_job_makes_an_sdist_and_a_wheel(project: Path, builds: Builds) -> None:
    dist = builds(project) / "dist"
    names = [f.name for f in distributions(dist)]
    assert len(names) == 2, names
    assert names[0].endswith("-0.1.0-py3-none-any.whl")
    assert names[1] == "acme_widget_tools-0.1.0.tar.gz"


def test_distributions_pass_twine_check_strict(project: Path, builds: Builds) -> None:
    dist = builds(project) / "dist"
    result = run(tool("twine"), "check", "--strict", *distributions(dist))
    assert result.stdout.count("PASSED") == 2


def test_rebuilding_the_commit_gives_the_same_bytes(
    project: Path, builds: Builds, combination: dict[str, str]
) -> None:
    checkout = builds(project)
    first = digests(checkout / "dist")
    shutil.rmtree(checkout / "dist")
    rebuilt = run_step(checkout, step(checkout, "Build"), "v0.1.0")
    assert rebuilt.returncode == 0, rebuilt.stderr
    again = digests(checkout / "dist")
    if combination["build_backend"] == "setuptools":
        # setuptools ignores SOURCE_DATE_EPOCH for sdists, as the workflow says.
        assert "not apply it to the sdist" in step(checkout, "Build").script
        first = {k: v for k, v in first.items() if k.endswith(".whl")}
        again = {k: v for k, v in again.items() if k.endswith(".whl")}
    assert again == first


@pytest.mark.parametrize("tag", ["v0.1.1", "v0.1", "0.1.0rc1", "v0.1.0.post1"])
def test_version_guard_refuses_a_tag_that_names_another_version(
    project: Path, builds: Builds, tag: str
) -> None:
    checkout = builds(project)
    guard = run_step(checkout, step(checkout, "tag names the version"), tag)
    assert guard.returncode == 1
    assert f"::error::Tag {tag} asks for version {tag.removeprefix('v')}" in (
        guard.stdout
    )


def test_version_guard_accepts_the_matching_tag(project: Path, builds: Builds) -> None:
    checkout = builds(project)
    guard = run_step(checkout, step(checkout, "tag names the version"), "v0.1.0")
    assert guard.returncode == 0, guard.stdout
    assert "Tag v0.1.0 matches" in guard.stdout
