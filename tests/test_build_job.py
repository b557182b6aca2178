"""The publish workflow's build job, its shell steps run here as GitHub runs them."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from conftest import (
    BACKENDS,
    COMBINATIONS,
    RELEASE_TAG,
    REPO,
    Builds,
    Job,
    Step,
    job_run_steps,
    load_yaml,
    representative,
    run,
    tool,
)

pytestmark = pytest.mark.slow


def distributions(dist: Path) -> list[Path]:
    """What the workflow's globs and upload-artifact see: no hidden files."""
    return sorted(dist.glob("[!.]*"))


def digests(dist: Path) -> dict[str, str]:
    return {
        f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in distributions(dist)
    }


def step(checkout: Path, name_part: str, job: str = "build") -> Step:
    steps = job_run_steps(checkout / ".github/workflows/publish.yml", job)
    (found,) = [s for s in steps if name_part in s.name]
    return found


GUARD = "this version's sdist and wheels"
PUBLISH = ".github/workflows/publish.yml"


def test_dist_scripts_pass_shellcheck() -> None:
    scripts = sorted((REPO / "template/.github/scripts").glob("*.sh"))
    assert scripts
    linted = run(tool("shellcheck"), *scripts, check=False)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_build_job_makes_an_sdist_and_a_wheel(
    built_project: Path, builds: Builds
) -> None:
    dist = builds(built_project) / "dist"
    names = [f.name for f in distributions(dist)]
    assert len(names) == 2, names
    assert names[0].endswith("-0.1.0-py3-none-any.whl")
    assert names[1] == "acme_widget_tools-0.1.0.tar.gz"


def test_distributions_pass_twine_check_strict(
    built_project: Path, builds: Builds
) -> None:
    dist = builds(built_project) / "dist"
    result = run(tool("twine"), "check", "--strict", *distributions(dist))
    assert result.stdout.count("PASSED") == 2


def rebuild_on_another_runner(
    builds: Builds, project: Path, root: Path, tag: str = RELEASE_TAG
) -> Job:
    """The rebuild job's steps on a fresh clone of the released commit, without
    its tags, whose files have other dates than the build job's checkout
    (runners share an image, so file modes agree)."""
    built = builds.job(project, tag).workdir
    checkout = root / "rebuild"
    run("git", "clone", "--quiet", "--no-tags", built, checkout)
    later = time.time() + 86400 * 365
    for path in checkout.rglob("*"):
        if ".git" not in path.parts:
            os.utime(path, (later, later))
    job = Job(checkout, root / "temp", tag)
    job.run_all(job_run_steps(checkout / PUBLISH, "rebuild"))
    return job


def job_outputs(job: Job, name: str) -> dict[str, str]:
    """A finished job's outputs, as the workflow declares them."""
    return job.outputs(load_yaml(job.workdir / PUBLISH)["jobs"][name]["outputs"])


def compare(built: Job, rebuilt: Job, root: Path) -> subprocess.CompletedProcess[str]:
    """The compare job, given the two build jobs' outputs."""
    needs = {"build": job_outputs(built, "build")}
    needs["rebuild"] = job_outputs(rebuilt, "rebuild")
    job = Job(root / "compare", root / "compare-temp", built.ref_name, needs)
    job.workdir.mkdir(parents=True)
    (step,) = job_run_steps(built.workdir / PUBLISH, "compare")
    return job.run(step)


class Rebuilds:
    """The rebuild job of each project on another runner, once."""

    def __init__(self, root: Path, builds: Builds) -> None:
        self.root = root
        self.builds = builds
        self._done: dict[Path, Job] = {}

    def __call__(self, project: Path) -> Job:
        if project not in self._done:
            root = self.root / project.name
            self._done[project] = rebuild_on_another_runner(self.builds, project, root)
        return self._done[project]


@pytest.fixture(scope="module")
def rebuilds(tmp_path_factory: pytest.TempPathFactory, builds: Builds) -> Rebuilds:
    return Rebuilds(tmp_path_factory.mktemp("rebuilds"), builds)


SDIST = "acme_widget_tools-0.1.0.tar.gz"
WHEEL = "acme_widget_tools-0.1.0-py3-none-any.whl"


# Whether a file is reproduced depends on the backend alone (the build job is
# the same for both tools and every trigger): one rebuild per backend.
@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_rebuild_on_another_runner_reproduces_every_file_byte_for_byte(
    renders: Any, builds: Builds, rebuilds: Rebuilds, backend: str, tmp_path: Path
) -> None:
    project = renders(representative(build_backend=backend))
    built, rebuilt = builds.job(project), rebuilds(project)
    # Each runner vouches for its own files: their names and sha256.
    listed = "\n".join(
        f"{hashlib.sha256((built.workdir / 'dist' / name).read_bytes()).hexdigest()}"
        f"  {name}"
        for name in (WHEEL, SDIST)
    )
    assert job_outputs(built, "build") == {"sha256sums": listed}
    assert job_outputs(rebuilt, "rebuild") == {"sha256sums": listed}
    result = compare(built, rebuilt, tmp_path)
    assert result.returncode == 0, result.stdout
    assert result.stdout == f"Both builds made these files, byte for byte:\n{listed}\n"


@pytest.mark.slow
@pytest.mark.parametrize("what", ["whl", "tar.gz"])
def test_compare_refuses_a_file_the_build_job_changed(
    renders: Any, builds: Builds, rebuilds: Rebuilds, tmp_path: Path, what: str
) -> None:
    """A build step that changes a file after the build: the build job's own
    list then names other bytes than the rebuild's, and the release stops
    before anyone is asked to approve it."""
    project = renders(representative(build_backend="hatchling"))
    honest = builds.job(project)
    built = Job(tmp_path / "build", tmp_path / "build-temp", honest.ref_name)
    shutil.copytree(honest.workdir, built.workdir, symlinks=True)
    built.step_outputs = {"version": dict(honest.step_outputs["version"])}
    (changed,) = (built.workdir / "dist").glob(f"*.{what}")
    with (
        zipfile.ZipFile(changed, "a")
        if what == "whl"
        else tarfile.open(changed, "w:gz") as archive
    ):
        if isinstance(archive, zipfile.ZipFile):
            archive.writestr("acme_widget_tools/evil.py", "import os\n")
        else:
            info = tarfile.TarInfo("acme_widget_tools-0.1.0/PKG-INFO")
            archive.addfile(info, io.BytesIO(b""))
    built.run_all([step(built.workdir, GUARD)])
    result = compare(built, rebuilds(project), tmp_path)
    assert result.returncode == 1
    ours = hashlib.sha256(changed.read_bytes()).hexdigest()
    theirs = hashlib.sha256((honest.workdir / "dist" / changed.name).read_bytes())
    assert result.stdout.startswith("::error::the two builds made other files or")
    assert f"< {ours}  {changed.name}\n" in result.stdout
    assert f"> {theirs.hexdigest()}  {changed.name}\n" in result.stdout
    assert "Both builds" not in result.stdout


def test_build_job_differs_only_by_backend_and_version_source(renders: Any) -> None:
    """Every tool, trigger and floor runs its backend's build and rebuild
    steps: the slow paths below run on one combination per backend (and
    tests/test_version_source.py's on versions from the tag)."""
    for combination in COMBINATIONS:
        one = renders(combination)
        other = renders(
            representative(
                build_backend=combination["build_backend"],
                version_source=combination["version_source"],
            )
        )
        for job in ("build", "rebuild", "compare"):
            assert job_run_steps(one / PUBLISH, job) == job_run_steps(
                other / PUBLISH, job
            ), (combination, job)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("tag", "error"),
    [
        ("v0.1.1", "::error::version 0.1.1 needs exactly one sdist"),
        ("v0.1", "::error::version 0.1 needs exactly one sdist"),
        ("v0.1.0.post1", "::error::version 0.1.0.post1 needs exactly one sdist"),
        # Not a tag the version step lets through: nothing after it runs.
        ("0.1.0", "::error::the tag must be v followed by a normalized PEP 440"),
        ("v0.1.0-rc1", "::error::the tag must be v followed by a normalized PEP 440"),
    ],
)
def test_version_guard_refuses_a_tag_that_names_another_version(
    renders: Any, builds: Builds, backend: str, tag: str, error: str
) -> None:
    job = builds.job(renders(representative(build_backend=backend)))
    read, guard = (
        step(job.workdir, "Read the release version"),
        step(job.workdir, GUARD),
    )
    kept = job.step_outputs["version"]
    job.ref_name = tag
    try:
        result = job.run(read)
        if result.returncode == 0:
            result = job.run(guard)
    finally:
        job.ref_name, job.step_outputs["version"] = RELEASE_TAG, kept
    assert result.returncode == 1
    assert result.stdout.startswith(error), result.stdout


def test_version_guard_accepts_the_matching_tag(
    built_project: Path, builds: Builds
) -> None:
    job = builds.job(built_project)
    guard = job.run(step(job.workdir, GUARD))
    assert guard.returncode == 0, guard.stdout
    assert guard.stdout.startswith("acme_widget_tools 0.1.0: ")


@pytest.mark.slow
def test_backend_comes_from_its_wheel_or_not_at_all(
    renders: Any, builds: Builds, tmp_path: Path
) -> None:
    """With either of the backend's two pinned hashes altered alone, the build
    uses the wheel (the sdist's hash altered) or stops (the wheel's): it never
    builds the backend from its sdist instead."""
    project = renders(representative(build_backend="setuptools"))
    built = builds.job(project).workdir
    constraints = ".github/release-requirements/build-constraints.txt"
    original = (built / constraints).read_text()
    # The backend's own entry (its version plugin's follow it).
    entry = re.search(r"^setuptools==.*?(?=^\S)", original, re.MULTILINE | re.DOTALL)
    assert entry is not None, original
    hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", entry.group())
    assert len(hashes) == 2, hashes  # setuptools: its wheel and its sdist
    outcomes = []
    for n, digest in enumerate(hashes):
        checkout = tmp_path / f"checkout{n}"
        run("git", "clone", "--quiet", built, checkout)
        (checkout / constraints).write_text(original.replace(digest, "0" * 64))
        job = Job(checkout, tmp_path / f"temp{n}", "v0.1.0")
        job.path = builds.job(project).path
        result = job.run(step(checkout, "Build the sdist and the wheel"))
        outcomes.append(result.returncode)
        if result.returncode:
            assert "Hash mismatch for `setuptools==" in result.stderr, result.stderr
            assert not (checkout / "dist").exists() or not list(
                (checkout / "dist").glob("*.whl")
            )
    assert sorted(outcomes) == [0, 2], outcomes
