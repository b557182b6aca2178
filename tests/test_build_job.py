"""The publish workflow's build job, its shell steps run here as GitHub runs them."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
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
    REPO,
    Builds,
    Job,
    Step,
    job_run_steps,
    representative,
    run,
    run_step,
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


class Rebuilds:
    """The rebuild job of each project on another runner, once; each test
    gets a copy of its checkout, with the compare job's downloads."""

    def __init__(self, root: Path, builds: Builds) -> None:
        self.root = root
        self.builds = builds
        self._done: dict[Path, Job] = {}

    def _rebuild(self, project: Path) -> Job:
        """The rebuild job's steps on a fresh clone of the released commit
        whose files have other dates than the build job's checkout (runners
        share an image, so file modes agree), then the compare job's
        downloads: the build job's dist/ as built/, the rebuild's as rebuilt/
        (uploaded artifacts hold no hidden files)."""
        built = self.builds.job(project).workdir
        checkout = self.root / project.name
        run("git", "clone", "--quiet", built, checkout)
        later = time.time() + 86400 * 365
        for path in checkout.rglob("*"):
            if ".git" not in path.parts:
                os.utime(path, (later, later))
        job = Job(checkout, self.root / f"{project.name}-temp", "v0.1.0")
        job.run_all(
            job_run_steps(checkout / ".github/workflows/publish.yml", "rebuild")
        )
        hidden = shutil.ignore_patterns(".*")
        shutil.copytree(built / "dist", checkout / "built", ignore=hidden)
        shutil.copytree(checkout / "dist", checkout / "rebuilt", ignore=hidden)
        return job

    def __call__(self, project: Path, dst: Path) -> Job:
        if project not in self._done:
            self._done[project] = self._rebuild(project)
        done = self._done[project]
        job = Job(dst / "rebuild", done.runner_temp, done.ref_name)
        shutil.copytree(done.workdir, job.workdir, symlinks=True)
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


def test_build_job_differs_only_by_backend(renders: Any) -> None:
    """Every tool, trigger and floor runs its backend's build and rebuild
    steps: the slow paths below run on one combination per backend."""
    for combination in COMBINATIONS:
        one = renders(combination)
        other = renders(representative(build_backend=combination["build_backend"]))
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


def test_version_guard_accepts_the_matching_tag(project: Path, builds: Builds) -> None:
    job = builds.job(project)
    guard = job.run(step(job.workdir, GUARD))
    assert guard.returncode == 0, guard.stdout
    assert guard.stdout.startswith("acme_widget_tools 0.1.0: ")


def publish_dist(
    builds: Builds, renders: Any, tool_answer: str, dst: Path
) -> tuple[Step, Path]:
    """The publish job's re-check step, and a dist/ of what the build made."""
    project = renders(representative(publishing_tool=tool_answer))
    job = builds.job(project)
    shutil.copytree(
        job.workdir / "dist", dst / "dist", ignore=shutil.ignore_patterns(".*")
    )
    shutil.copytree(job.workdir / ".github", dst / ".github")
    return step(job.workdir, GUARD, job="publish"), dst / "dist"


def recheck(check: Step, workdir: Path) -> str:
    """Run the publish job's re-check in workdir; its error, or '' if it passed."""
    result = run_step(workdir, check, "v0.1.0")
    return "" if result.returncode == 0 else result.stdout.strip()


@pytest.mark.parametrize("tool_answer", ["pypa-action", "uv"])
def test_publish_job_believes_nothing_it_downloads(
    builds: Builds, renders: Any, tmp_path: Path, tool_answer: str
) -> None:
    check, dist = publish_dist(builds, renders, tool_answer, tmp_path)
    signed = tool_answer == "uv"
    names = sorted(p.name for p in dist.iterdir())
    if signed:
        for name in names:
            (dist / f"{name}.publish.attestation").write_text("{}")
    assert recheck(check, tmp_path) == ""

    # Something else beside the release is refused, whatever it is called.
    (dist / "acme_widget_tools-0.1.0-py3-none-any.whl.orig").write_bytes(b"x")
    assert "only its sdist and wheels" in recheck(check, tmp_path)
    (dist / "acme_widget_tools-0.1.0-py3-none-any.whl.orig").unlink()
    # A wheel of another version, or a second sdist.
    (dist / "acme_widget_tools-0.2.0-py3-none-any.whl").write_bytes(b"x")
    assert "only its sdist and wheels" in recheck(check, tmp_path)
    (dist / "acme_widget_tools-0.2.0-py3-none-any.whl").unlink()
    (dist / "evil-0.1.0.tar.gz").write_bytes(b"x")
    assert "needs exactly one sdist" in recheck(check, tmp_path)
    (dist / "evil-0.1.0.tar.gz").unlink()
    # Hidden files, folders and links are not plain distributions.
    (dist / ".acme_widget_tools-0.1.0-py3-none-any.whl").write_bytes(b"PK\3\4")
    assert "only its sdist and wheels" in recheck(check, tmp_path)
    (dist / ".acme_widget_tools-0.1.0-py3-none-any.whl").unlink()
    (dist / "acme_widget_tools-0.1.0-py3-none-linux_x86_64.whl").mkdir()
    assert "not a plain file: acme_widget_tools-0.1.0-py3-none-linux_x86_64.whl" in (
        recheck(check, tmp_path)
    )
    (dist / "acme_widget_tools-0.1.0-py3-none-linux_x86_64.whl").rmdir()
    # The wheel as a link to a file elsewhere: the upload would follow it.
    (wheel,) = dist.glob("*.whl")
    outside = tmp_path / "outside.whl"
    wheel.rename(outside)
    wheel.symlink_to(outside)
    assert f"not a plain file: {wheel.name}" in recheck(check, tmp_path)
    wheel.unlink()
    outside.rename(wheel)
    assert recheck(check, tmp_path) == ""
    # The sdist again under a wheel's name: neither a wheel's name nor a zip.
    sdist = dist / "acme_widget_tools-0.1.0.tar.gz"
    (dist / "acme_widget_tools-0.1.0-x.whl").write_bytes(sdist.read_bytes())
    assert "not a wheel's file name: acme_widget_tools-0.1.0-x.whl" in recheck(
        check, tmp_path
    )
    (dist / "acme_widget_tools-0.1.0-x.whl").rename(
        dist / "acme_widget_tools-0.1.0-py3-none-any2.whl"
    )
    assert "not a zip archive: acme_widget_tools-0.1.0-py3-none-any2.whl" in recheck(
        check, tmp_path
    )
    (dist / "acme_widget_tools-0.1.0-py3-none-any2.whl").unlink()

    if signed:
        # Every file must arrive with its attestation.
        (dist / f"{names[0]}.publish.attestation").unlink()
        assert f"no attestation for: {names[0]}" in recheck(check, tmp_path)


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
