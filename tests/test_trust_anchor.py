"""The rebuild is the release's trust anchor: the publish workflow's jobs run
here one after another, as GitHub runs them, around a stand-in artifact store
that any job can write to, as every job of a run can with its runtime token.
A tampered build runner changes the files, swaps artifacts after the rebuild
uploaded, and says what it likes in its own outputs: the release stops
before the first step that signs, attests or uploads."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from conftest import (
    RELEASE_TAG,
    Builds,
    Job,
    Renders,
    Step,
    load_yaml,
    representative,
    run,
)

pytestmark = pytest.mark.slow

PUBLISH = ".github/workflows/publish.yml"
# The steps that sign, attest or upload: the ones no tampered file may reach.
SIGNING_ACTIONS = ("actions/attest-build-provenance@", "pypa/gh-action-pypi-publish@")
SIGNING_RUNS = ("pypi-attestations sign", "uv publish")
# The build job runs beside the rebuild and can wait for it: the rebuild
# finishes first, so the build job's last steps see everything it uploaded.
FIRST = ("rebuild", "build")
# Jobs that cannot run here: the project's CI (a reusable workflow, taken as
# passed: tests/test_project_tooling.py runs it) and the rehearsal's check of
# the environment through GitHub's API (tests/test_rehearsal.py).
ELSEWHERE = ("test", "check-environment")
CONDITION = re.compile(r"github\.event_name (==|!=) '(\w+)'")


class Stopped(NamedTuple):
    """Where the run ended: the job and step, the failed step's output, and
    whether that step was one that signs, attests or uploads (not run)."""

    job: str
    step: str
    output: str
    signing: bool


# Something a tampered runner does inside a job, after the named step.
Attack = tuple[str, Callable[[Job, Path], None]]


class Release:
    """One release of a tagged commit through the workflow's jobs, with an
    artifact store (a folder per artifact name) that every job can replace."""

    def __init__(
        self,
        commit: Path,
        root: Path,
        tools: list[str],
        github: dict[str, str] | None = None,
        inputs: dict[str, str] | None = None,
    ) -> None:
        self.commit = commit
        # A tag's release by default; a rehearsal's event, ref and input.
        self.github = github or {"GITHUB_EVENT_NAME": "release"}
        self.inputs = inputs or {}
        self.root = root
        self.store = root / "artifacts"
        self.store.mkdir(parents=True)
        self.tools = tools  # what install-tools.sh put on the PATH, shared
        self.jobs = load_yaml(commit / PUBLISH)["jobs"]
        self.outputs: dict[str, dict[str, str]] = {}

    def checkout(self, workdir: Path, options: Any) -> None:
        sparse = str((options or {}).get("sparse-checkout", "")).split()
        if not sparse:
            run("git", "clone", "--quiet", "--no-tags", self.commit, workdir)
            return
        for path in sparse:
            (workdir / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.commit / path, workdir / path)

    def run_job(self, name: str, attack: Attack | None = None) -> Stopped | None:
        spec = self.jobs[name]
        needs = spec.get("needs") or []
        needs = [needs] if isinstance(needs, str) else list(needs)
        job = Job(
            self.root / name,
            self.root / f"{name}-temp",
            RELEASE_TAG,
            needs={n: self.outputs[n] for n in needs},
        )
        job.github, job.inputs = self.github, self.inputs
        job.workdir.mkdir()
        for step in spec["steps"]:
            uses, script = str(step.get("uses", "")), str(step.get("run", ""))
            with_ = step.get("with") or {}
            if uses.startswith(SIGNING_ACTIONS) or script.startswith(SIGNING_RUNS):
                return Stopped(name, str(step["name"]), "", signing=True)
            if uses.startswith("actions/checkout@"):
                self.checkout(job.workdir, with_)
            elif uses.startswith("actions/upload-artifact@"):
                kept = self.store / str(with_["name"])
                shutil.rmtree(kept, ignore_errors=True)
                shutil.copytree(
                    job.workdir / str(with_["path"]),
                    kept,
                    ignore=shutil.ignore_patterns(".*"),
                )
            elif uses.startswith("actions/download-artifact@"):
                shutil.copytree(
                    self.store / str(with_["name"]), job.workdir / str(with_["path"])
                )
            elif "install-tools.sh" in script:
                job.path = list(self.tools)
            else:
                env = {k: str(v) for k, v in (step.get("env") or {}).items()}
                done = job.run(
                    Step(str(step["name"]), script, env, str(step.get("id", "")))
                )
                if done.returncode:
                    return Stopped(name, str(step["name"]), done.stdout, signing=False)
            if attack and attack[0] == step["name"]:
                attack[1](job, self.store)
        self.outputs[name] = job.outputs(spec.get("outputs") or {})
        return None

    def runs(self, name: str) -> bool:
        """Whether the job's `if:` (on the event's name alone) lets it run."""
        condition = CONDITION.fullmatch(str(self.jobs[name].get("if", "")))
        if not condition:
            return True
        same = self.github["GITHUB_EVENT_NAME"] == condition[2]
        return same == (condition[1] == "==")

    def __call__(self, attack: Attack | None = None) -> Stopped:
        """Every job, in an order GitHub may run them, up to the first that
        fails or reaches a step that signs, attests or uploads."""
        for name in [*FIRST, *(n for n in self.jobs if n not in FIRST)]:
            if name in ELSEWHERE or not self.runs(name):
                self.outputs[name] = {}
                continue
            stopped = self.run_job(name, attack if name == "build" else None)
            if stopped:
                return stopped
        raise AssertionError("no job failed or reached a signing step")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tamper(dist: Path) -> None:
    """What a hostile build step does to the wheel: a file more in it."""
    (wheel,) = dist.glob("*.whl")
    with wheel.open("ab") as data:
        data.write(b"\0")


def swap_artifacts(list_honestly: bool) -> Callable[[Job, Path], None]:
    """After its upload, the tampered runner changes its files, replaces the
    `dist` artifact and any `rebuilt` artifact with them, and says in its own
    outputs either the tampered files' digests or the honest ones."""

    def attack(job: Job, store: Path) -> None:
        tamper(job.workdir / "dist")
        for name in ("dist", "rebuilt"):
            if (store / name).exists():
                shutil.rmtree(store / name)
                shutil.copytree(job.workdir / "dist", store / name)
        if not list_honestly and "files" in job.step_outputs:
            listed = sorted(
                f"{sha256(p)}  {p.name}" for p in (job.workdir / "dist").iterdir()
            )
            job.step_outputs["files"]["sha256sums"] = "\n".join(listed)

    return attack


@pytest.fixture(scope="module")
def project(renders: Renders) -> Path:
    return renders(representative(publishing_tool="pypa-action"))


@pytest.fixture
def release(project: Path, builds: Builds, tmp_path: Path) -> Release:
    """A release of the shared build's tagged commit, on the tools it installed."""
    shared = builds.job(project)
    commit = tmp_path / "commit"
    run("git", "clone", "--quiet", shared.workdir, commit)
    return Release(commit, tmp_path / "run", shared.path)


def test_an_untampered_release_reaches_the_first_signing_step(
    release: Release,
) -> None:
    stopped = release()
    assert stopped == Stopped(
        "publish", "Attest where and how each file was built", "", signing=True
    )
    # Both runners vouched for the same two files, byte for byte.
    built, rebuilt = release.outputs["build"], release.outputs["rebuild"]
    assert built == rebuilt and len(built["sha256sums"].splitlines()) == 2, built


def test_a_file_changed_on_the_build_runner_stops_before_approval(
    release: Release,
) -> None:
    stopped = release(
        ("Build the sdist and the wheel", lambda job, _: tamper(job.workdir / "dist"))
    )
    assert (stopped.job, stopped.signing) == ("compare", False), stopped
    assert "the two builds made other files or other bytes" in stopped.output


@pytest.mark.parametrize(
    ("list_honestly", "job", "error"),
    [
        # Its outputs name the tampered bytes: the rebuild's list differs.
        (False, "compare", "::error::the two builds made other files or other bytes"),
        # Its outputs copy the rebuild's: the download is not what was rebuilt.
        (True, "publish", "::error::other bytes than the rebuild made"),
    ],
)
def test_a_runner_that_swaps_the_artifacts_after_the_rebuild_signs_nothing(
    release: Release, list_honestly: bool, job: str, error: str
) -> None:
    stopped = release(
        ("Keep the distributions for the publish job", swap_artifacts(list_honestly))
    )
    assert not stopped.signing, stopped
    assert stopped.job == job, stopped
    assert error in stopped.output, stopped.output
