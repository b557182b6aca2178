"""The publish job, the one job that holds an OIDC token, its shell steps run
here as GitHub runs them: it signs, attests and uploads only the files of the
rebuild's list, byte for byte, and refuses any other download before its
first step that signs, attests or uploads."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from conftest import BUILT, Builds, Job, Step, load_yaml

pytestmark = pytest.mark.slow

TOOLS = ("pypa-action", "uv")
VERSION_TAG = "v0.1.0"
SDIST = "acme_widget_tools-0.1.0.tar.gz"
WHEEL = "acme_widget_tools-0.1.0-py3-none-any.whl"
# A step that starts one of these, or uses an action other than checkout and
# download, signs, attests or uploads.
SIGNING = ("pypi-attestations sign", "python scripts/", "uv publish")
FETCHING = ("actions/checkout@", "actions/download-artifact@")


def signs(step: Any) -> bool:
    if "uses" in step:
        return not str(step["uses"]).startswith(FETCHING)
    return str(step["run"]).startswith(SIGNING)


class Stopped(NamedTuple):
    """Where a run of the publish job ended: the step that failed and its
    output, or the first step that signs, attests or uploads (not run)."""

    failed: str
    output: str
    reached: str


class Publish:
    """One project's publish job on this machine, from the build job's files
    and the rebuild's list, run by the tests of both tools."""

    def __init__(self, build: Job, root: Path) -> None:
        checkout = build.workdir
        self.checkout = checkout
        self.root = root
        self.steps = list(
            load_yaml(checkout / ".github/workflows/publish.yml")["jobs"]["publish"][
                "steps"
            ]
        )
        self.artifact = root / "artifact-dist"
        # What upload-artifact keeps of the build's dist/: no hidden file.
        shutil.copytree(
            checkout / "dist", self.artifact, ignore=shutil.ignore_patterns(".*")
        )
        # The rebuild's list is the build's, byte for byte (the compare job
        # requires it; tests/test_build_job.py rebuilds).
        self.sha256sums = build.step_outputs["files"]["sha256sums"]
        self.installed: list[str] | None = None

    def run(
        self,
        workdir: Path,
        tamper: Callable[[Path], None] = lambda dist: None,
        sha256sums: str | None = None,
    ) -> tuple[Stopped, Job]:
        """The job's steps in order up to the first that signs, attests or
        uploads; checkout and download are done as the actions do them, and
        `tamper` changes the download."""
        listed = self.sha256sums if sha256sums is None else sha256sums
        job = Job(
            workdir,
            workdir.parent / f"{workdir.name}-temp",
            VERSION_TAG,
            needs={"rebuild": {"sha256sums": listed}},
        )
        for step in self.steps:
            uses = str(step.get("uses", ""))
            if uses.startswith("actions/checkout@"):
                for path in str(step["with"]["sparse-checkout"]).split():
                    target = workdir / path
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(self.checkout / path, target)
            elif uses.startswith("actions/download-artifact@"):
                assert step["with"]["name"] == "dist"
                shutil.copytree(self.artifact, workdir / str(step["with"]["path"]))
                tamper(workdir / "dist")
            elif signs(step):
                return Stopped("", "", str(step["name"])), job
            elif "install-tools.sh" in str(step["run"]) and self.installed:
                job.path = self.installed  # installed once per tool, shared
            else:
                result = job.run(
                    Step(
                        str(step["name"]),
                        str(step["run"]),
                        dict(step.get("env") or {}),
                        str(step.get("id", "")),
                    )
                )
                if result.returncode:
                    return Stopped(str(step["name"]), result.stdout, ""), job
                if "install-tools.sh" in str(step["run"]):
                    self.installed = list(job.path)
        raise AssertionError("the publish job neither failed nor signed")


@pytest.fixture(scope="module")
def publishes(
    renders: Any, builds: Builds, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Publish]:
    made = {}
    for tool_answer in TOOLS:
        # A build the other slow tests share.
        answers = next(c for c in BUILT if c["publishing_tool"] == tool_answer)
        job = builds.job(renders(answers))
        made[tool_answer] = Publish(
            job, tmp_path_factory.mktemp(f"publish-{tool_answer}")
        )
    return made


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_build_lists_every_file_it_made(publishes: dict[str, Publish]) -> None:
    for publish in publishes.values():
        artifact = publish.artifact
        assert publish.sha256sums == (
            f"{sha256(artifact / WHEEL)}  {WHEEL}\n{sha256(artifact / SDIST)}  {SDIST}"
        )


@pytest.mark.parametrize("tool_answer", TOOLS)
def test_the_compared_files_reach_the_first_signing_step(
    publishes: dict[str, Publish], tool_answer: str, tmp_path: Path
) -> None:
    stopped, job = publishes[tool_answer].run(tmp_path / "publish")
    # Provenance first, for both tools; the uv flow then signs itself.
    assert stopped == Stopped("", "", "Attest where and how each file was built")
    assert (job.runner_temp / "SHA256SUMS").read_text() == (
        publishes[tool_answer].sha256sums + "\n"
    )


def write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def a_gitignore_directory(dist: Path) -> None:
    (dist / ".gitignore").mkdir()
    write(dist / ".gitignore" / WHEEL, (dist / WHEEL).read_bytes())


def a_third_wheel(dist: Path) -> None:
    # A well-formed wheel of the version, for another platform: only the
    # rebuild's list tells it was never rebuilt.
    shutil.copy(
        dist / WHEEL, dist / "acme_widget_tools-0.1.0-py3-none-linux_x86_64.whl"
    )


def changed_bytes(dist: Path) -> None:
    with (dist / WHEEL).open("ab") as wheel:
        wheel.write(b"\0")


def a_linked_sdist(dist: Path) -> None:
    (dist / SDIST).rename(dist.parent / SDIST)
    (dist / SDIST).symlink_to(dist.parent / SDIST)


def a_file_left_out(dist: Path) -> None:
    # Another wheel instead of the compared one.
    (dist / WHEEL).rename(dist / "acme_widget_tools-0.1.0-py2.py3-none-any.whl")


TAMPERED: dict[str, tuple[Callable[[Path], None], str]] = {
    "an extra .gitignore file": (
        lambda dist: write(dist / ".gitignore", b"*\n"),
        "::error::acme_widget_tools 0.1.0: only its sdist and wheels may be "
        f"uploaded, found: .gitignore {WHEEL} {SDIST}",
    ),
    "a .gitignore directory": (
        a_gitignore_directory,
        "::error::not a plain file: .gitignore",
    ),
    "a third wheel": (
        a_third_wheel,
        "::error::not in the rebuild's list: "
        "acme_widget_tools-0.1.0-py3-none-linux_x86_64.whl",
    ),
    "changed bytes of one file": (
        changed_bytes,
        "::error::other bytes than the rebuild made",
    ),
    "a link": (a_linked_sdist, f"::error::not a plain file: {SDIST}"),
    "a rebuilt file left out": (
        a_file_left_out,
        "::error::not in the rebuild's list: "
        "acme_widget_tools-0.1.0-py2.py3-none-any.whl",
    ),
}


@pytest.mark.parametrize("tool_answer", TOOLS)
@pytest.mark.parametrize("tampering", list(TAMPERED))
def test_a_tampered_download_is_refused_before_anything_is_signed(
    publishes: dict[str, Publish], tool_answer: str, tampering: str, tmp_path: Path
) -> None:
    tamper, error = TAMPERED[tampering]
    stopped, _ = publishes[tool_answer].run(tmp_path / "publish", tamper)
    assert stopped.failed.startswith("Check the files are this version's"), stopped
    assert stopped.output.startswith(error), stopped.output
    assert not stopped.reached


@pytest.mark.parametrize(
    ("listed", "error"),
    [
        ("", "::error::not a line of sha256sum's output in the rebuild's list: ''"),
        (
            f"{'0' * 64}  {WHEEL}",
            f"::error::not in the rebuild's list: {SDIST}",
        ),
        (
            "{wheel}\n{sdist}\n{wheel}",
            f"::error::listed twice in the rebuild's list: {WHEEL}",
        ),
        (
            "{wheel}\n{sdist}\n" + f"{'0' * 64}  acme_widget_tools-0.1.0-x-y-z.whl",
            "::error::rebuilt but not here: acme_widget_tools-0.1.0-x-y-z.whl",
        ),
        # A name the shell would run, were it ever evaluated.
        (
            "{wheel}\n{sdist}\n" + f"{'0' * 64}  x-$(touch${{{{IFS}}}}PWNED).whl",
            "::error::not a line of sha256sum's output in the rebuild's list: ",
        ),
    ],
)
def test_the_list_itself_must_name_exactly_the_files(
    publishes: dict[str, Publish], listed: str, error: str, tmp_path: Path
) -> None:
    publish = publishes["pypa-action"]
    wheel, sdist = publish.sha256sums.splitlines()
    stopped, _ = publish.run(
        tmp_path / "publish", sha256sums=listed.format(wheel=wheel, sdist=sdist)
    )
    assert stopped.output.startswith(error), stopped.output
    assert not stopped.reached
    assert not list(tmp_path.rglob("PWNED"))


def recheck(publish: Publish, workdir: Path, attestations: bool) -> str:
    """The check step (with --attestations: the one before the upload) in a
    publish job that got as far as signing; its error, or ''."""
    (check,) = [
        s
        for s in publish.steps
        if "check-dist.sh" in str(s.get("run", ""))
        and ("--attestations" in str(s["run"])) == attestations
    ]
    job = Job(workdir, workdir.parent / f"{workdir.name}-temp", VERSION_TAG)
    job.run(Step("version", "bash .github/scripts/release-version.sh", {}, "version"))
    env = {k: str(v) for k, v in check["env"].items()}
    result = job.run(Step(str(check["name"]), str(check["run"]), env))
    return "" if result.returncode == 0 else result.stdout.strip()


@pytest.mark.parametrize("tool_answer", TOOLS)
def test_publish_job_believes_nothing_it_downloads(
    publishes: dict[str, Publish], tmp_path: Path, tool_answer: str
) -> None:
    publish = publishes[tool_answer]
    workdir = tmp_path / "publish"
    stopped, _ = publish.run(workdir)
    assert stopped.reached, stopped
    dist = workdir / "dist"

    def refused() -> str:
        return recheck(publish, workdir, attestations=False)

    assert refused() == ""
    # Something else beside the release is refused, whatever it is called.
    (dist / f"{WHEEL}.orig").write_bytes(b"x")
    assert "only its sdist and wheels" in refused()
    (dist / f"{WHEEL}.orig").unlink()
    # A wheel of another version, or a second sdist.
    (dist / "acme_widget_tools-0.2.0-py3-none-any.whl").write_bytes(b"x")
    assert "only its sdist and wheels" in refused()
    (dist / "acme_widget_tools-0.2.0-py3-none-any.whl").unlink()
    (dist / "evil-0.1.0.tar.gz").write_bytes(b"x")
    assert "needs exactly one sdist" in refused()
    (dist / "evil-0.1.0.tar.gz").unlink()
    # Hidden files, folders and links are not plain distributions.
    (dist / f".{WHEEL}").write_bytes(b"PK\3\4")
    assert "only its sdist and wheels" in refused()
    (dist / f".{WHEEL}").unlink()
    (dist / "acme_widget_tools-0.1.0-py3-none-linux_x86_64.whl").mkdir()
    assert (
        "not a plain file: acme_widget_tools-0.1.0-py3-none-linux_x86_64.whl"
        in refused()
    )
    (dist / "acme_widget_tools-0.1.0-py3-none-linux_x86_64.whl").rmdir()
    # The sdist again under a wheel's name: neither a wheel's name nor a zip.
    (dist / "acme_widget_tools-0.1.0-x.whl").write_bytes((dist / SDIST).read_bytes())
    assert "not a wheel's file name: acme_widget_tools-0.1.0-x.whl" in refused()
    (dist / "acme_widget_tools-0.1.0-x.whl").rename(
        dist / "acme_widget_tools-0.1.0-py3-none-any2.whl"
    )
    assert "not a zip archive: acme_widget_tools-0.1.0-py3-none-any2.whl" in refused()
    (dist / "acme_widget_tools-0.1.0-py3-none-any2.whl").unlink()
    assert refused() == ""

    if tool_answer == "uv":
        # Before the upload: every file with its attestation, nothing else.
        for name in (SDIST, WHEEL):
            (dist / f"{name}.publish.attestation").write_text("{}")
        assert recheck(publish, workdir, attestations=True) == ""
        (dist / f"{SDIST}.publish.attestation").unlink()
        assert f"no attestation for: {SDIST}" in recheck(
            publish, workdir, attestations=True
        )
