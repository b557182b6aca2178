"""The publish workflow's build job, its shell steps run here as GitHub runs them."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import shutil
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
    (runners share an image, so file modes agree), then the compare job's
    downloads: the build job's dist/ as built/, the rebuild's as rebuilt/
    (uploaded artifacts hold no hidden files)."""
    built = builds.job(project, tag).workdir
    checkout = root / "rebuild"
    run("git", "clone", "--quiet", "--no-tags", built, checkout)
    later = time.time() + 86400 * 365
    for path in checkout.rglob("*"):
        if ".git" not in path.parts:
            os.utime(path, (later, later))
    job = Job(checkout, root / "temp", tag)
    job.run_all(job_run_steps(checkout / ".github/workflows/publish.yml", "rebuild"))
    hidden = shutil.ignore_patterns(".*")
    shutil.copytree(built / "dist", checkout / "built", ignore=hidden)
    shutil.copytree(checkout / "dist", checkout / "rebuilt", ignore=hidden)
    return job


class Rebuilds:
    """The rebuild job of each project on another runner, once; each test
    gets a copy of its checkout, with the compare job's downloads."""

    def __init__(self, root: Path, builds: Builds) -> None:
        self.root = root
        self.builds = builds
        self._done: dict[Path, Job] = {}

    def __call__(self, project: Path, dst: Path) -> Job:
        if project not in self._done:
            root = self.root / project.name
            self._done[project] = rebuild_on_another_runner(self.builds, project, root)
        done = self._done[project]
        job = Job(dst / "rebuild", dst / "temp", done.ref_name)
        shutil.copytree(done.workdir, job.workdir, symlinks=True)
        shutil.copytree(done.runner_temp, job.runner_temp, symlinks=True)
        job.path = list(done.path)
        return job


@pytest.fixture(scope="module")
def rebuilds(tmp_path_factory: pytest.TempPathFactory, builds: Builds) -> Rebuilds:
    return Rebuilds(tmp_path_factory.mktemp("rebuilds"), builds)


# Whether a file is reproduced depends on the backend alone (the build job is
# the same for both tools and every trigger): one rebuild per backend.
@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_rebuild_on_another_runner_reproduces_every_file(
    renders: Any, rebuilds: Rebuilds, backend: str, tmp_path: Path
) -> None:
    job = rebuilds(renders(representative(build_backend=backend)), tmp_path)
    compare = step(job.workdir, "Compare", job="compare")
    result = job.run(compare)
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    sdist = "acme_widget_tools-0.1.0.tar.gz"
    wheel = "acme_widget_tools-0.1.0-py3-none-any.whl"
    assert any(line.startswith(f"reproduced {wheel} sha256:") for line in lines)
    if backend == "setuptools":
        # setuptools dates sdist entries from the checkout: the job compares
        # the members' contents and says the bytes differ.
        (warning,) = [line for line in lines if line.startswith("::warning::")]
        assert warning.startswith(f"::warning::{sdist}: same members and contents")
    else:
        assert any(line.startswith(f"reproduced {sdist} sha256:") for line in lines)
        assert "::warning::" not in result.stdout
    # The list the publish job checks its download against: every compared
    # file with the sha256 of the build job's bytes, as a job output.
    built = job.workdir / "built"
    listed = "".join(
        f"{hashlib.sha256((built / name).read_bytes()).hexdigest()}  {name}\n"
        for name in (wheel, sdist)
    )
    assert job.outputs() == f"sha256sums<<EOF\n{listed}EOF\n"


@pytest.mark.slow
@pytest.mark.parametrize("what", ["whl", "tar.gz"])
def test_rebuild_refuses_a_file_the_build_job_changed(
    renders: Any, rebuilds: Rebuilds, tmp_path: Path, what: str
) -> None:
    backend = "setuptools" if what == "tar.gz" else "hatchling"
    job = rebuilds(renders(representative(build_backend=backend)), tmp_path)
    (changed,) = (job.workdir / "built").glob(f"*.{what}")
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
    result = job.run(step(job.workdir, "Compare", job="compare"))
    assert result.returncode == 1
    built = hashlib.sha256(changed.read_bytes()).hexdigest()
    rebuilt = hashlib.sha256(
        (job.workdir / "rebuilt" / changed.name).read_bytes()
    ).hexdigest()
    assert f"::error::{changed.name} differs" in result.stdout
    assert f"built sha256:{built}, rebuilt sha256:{rebuilt}" in result.stdout
    # No list for the publish job: nothing to sign.
    assert not (job.runner_temp / "SHA256SUMS").exists()
    assert job.outputs() == ""


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
@pytest.mark.parametrize("tag", ["v0.1.1", "v0.1", "0.1.0rc1", "v0.1.0.post1"])
def test_version_guard_refuses_a_tag_that_names_another_version(
    renders: Any, builds: Builds, backend: str, tag: str
) -> None:
    job = builds.job(renders(representative(build_backend=backend)))
    job.ref_name = tag
    try:
        guard = job.run(step(job.workdir, GUARD))
    finally:
        job.ref_name = "v0.1.0"
    assert guard.returncode == 1
    version = tag.removeprefix("v")
    assert f"::error::version {version} needs exactly one sdist" in guard.stdout


def test_version_guard_accepts_the_matching_tag(
    built_project: Path, builds: Builds
) -> None:
    job = builds.job(built_project)
    guard = job.run(step(job.workdir, GUARD))
    assert guard.returncode == 0, guard.stdout
    assert guard.stdout.startswith("acme_widget_tools 0.1.0: ")


def rewrite_sdist(path: Path, attack: str) -> None:
    """Rewrite an sdist so that it unpacks to something else than it lists."""
    with tarfile.open(path) as archive:
        members = [
            (m, archive.extractfile(m).read() if m.isfile() else None)  # type: ignore[union-attr]
            for m in archive.getmembers()
        ]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for member, data in members:
            if member.name.endswith("/__init__.py") and attack == "mode":
                member.mode = 0o4755
            if member.name.endswith("/__init__.py") and attack == "symlink":
                member.type, member.linkname, data = tarfile.SYMTYPE, "../x", None
            archive.addfile(member, None if data is None else io.BytesIO(data))
    if attack == "trailing":
        # A second archive after the end marker, which tar does not list.
        with tarfile.open(fileobj=raw, mode="w") as archive:
            payload = b"import os\n"
            info = tarfile.TarInfo("acme_widget_tools-0.1.0/setup.py")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    path.write_bytes(gzip.compress(raw.getvalue()))


@pytest.mark.slow
def test_sdist_contents_are_compared_as_an_installer_unpacks_them(
    renders: Any, rebuilds: Rebuilds, tmp_path: Path
) -> None:
    job = rebuilds(renders(representative(build_backend="setuptools")), tmp_path)
    (sdist,) = (job.workdir / "built").glob("*.tar.gz")
    original = sdist.read_bytes()
    expected = {
        "mode": f"{sdist.name} differs in its contents (first difference: <",
        "symlink": f"{sdist.name} (built): 'acme_widget_tools-0.1.0/src/"
        "acme_widget_tools/__init__.py' is neither a file nor a folder",
        "trailing": f"{sdist.name} (built): data after the end of the archive",
    }
    for attack, message in expected.items():
        sdist.write_bytes(original)
        rewrite_sdist(sdist, attack)
        result = job.run(step(job.workdir, "Compare", job="compare"))
        assert result.returncode == 1, attack
        assert f"::error::{message}" in result.stdout, attack


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
