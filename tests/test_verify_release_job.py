"""The verify-release job's step, run here as GitHub runs it, against a local
index: it asks again while the index does not list the release yet, and stops
at the first real answer, a failure included, with its exit status."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import Builds, Job, Step, job_run_steps, load_yaml, representative
from local_index import FakeIndex

pytestmark = pytest.mark.slow

SHA = "0123456789abcdef0123456789abcdef01234567"
SDIST = "acme_widget_tools-0.1.0.tar.gz"


class Verify:
    """The job's verify step in its sparse checkout, after the steps that read
    the version and keep the rebuild's list (the build's files). `python`
    is the step's own command with the test index added to its arguments (no
    retries inside one attempt, Sigstore's bundled trust root); `sleep`
    returns at once, or, when held, waits until the test has changed the
    index."""

    def __init__(self, build: Job, index: FakeIndex, root: Path) -> None:
        checkout = build.workdir
        workdir = root / "checkout"
        workflow = checkout / ".github/workflows/publish.yml"
        (checkout_step,) = [
            s
            for s in load_yaml(workflow)["jobs"]["verify-release"]["steps"]
            if str(s.get("uses", "")).startswith("actions/checkout@")
        ]
        for path in str(checkout_step["with"]["sparse-checkout"]).split():
            (workdir / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(checkout / path, workdir / path)
        steps = job_run_steps(workflow, "verify-release")
        (verify,) = [s for s in steps if "verify_attestations.py release" in s.script]
        self.step = Step(verify.name, verify.script, {**verify.env, "GITHUB_SHA": SHA})
        self.calls = root / "calls"
        self.sleeps = root / "sleeps"
        self.held = root / "held"
        self.slept = root / "slept"
        self.go = root / "go"
        bin_dir = root / "bin"
        bin_dir.mkdir()
        (bin_dir / "python").write_text(
            "#!/bin/sh\n"
            f'printf "%s\\n" "$*" >> "{self.calls}"\n'
            f'exec "{sys.executable}" "$@" --index-url "{index.simple}"'
            " --insecure-local-index --retries 0 --offline\n"
        )
        (bin_dir / "sleep").write_text(
            "#!/bin/sh\n"
            f'printf "%s\\n" "$*" >> "{self.sleeps}"\n'
            f'[ -e "{self.held}" ] || exit 0\n'
            f': > "{self.slept}"\n'
            f'while [ ! -e "{self.go}" ]; do /bin/sleep 0.05; done\n'
        )
        for tool in bin_dir.iterdir():
            tool.chmod(0o755)
        listed = build.step_outputs["files"]["sha256sums"]
        self.job = Job(
            workdir, root / "temp", "v0.1.0", {"rebuild": {"sha256sums": listed}}
        )
        # The steps before it: the version, and the rebuild's list in a file.
        before = ("Read the release version from the tag", "Keep the rebuild's list")
        self.job.run_all([s for s in steps if s.name.startswith(before)])
        self.job.path = [str(bin_dir)]

    def lines(self, path: Path) -> list[str]:
        return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def verify(renders: Any, builds: Builds, index: FakeIndex, tmp_path: Path) -> Verify:
    index.project = "acme-widget-tools"
    return Verify(
        builds.job(renders(representative(publishing_tool="pypa-action"))),
        index,
        tmp_path,
    )


STEP_COMMAND = (
    "-I scripts/verify_attestations.py release 0.1.0 --sha256sums {temp}/SHA256SUMS"
    f" --commit {SHA} --no-pyproject --package acme-widget-tools"
    " --repository acme-corp/widget-tools --workflow publish.yml --environment pypi"
)


def test_not_listed_yet_then_failed_ends_with_the_failure(
    verify: Verify, index: FakeIndex
) -> None:
    verify.held.touch()
    done: list[Any] = []
    running = threading.Thread(target=lambda: done.append(verify.job.run(verify.step)))
    running.start()
    deadline = time.monotonic() + 60
    while not verify.slept.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    # The first attempt found no project: the index lists it now, with bytes
    # this run did not build.
    assert verify.slept.exists() and len(verify.lines(verify.calls)) == 1
    index.add(SDIST, b"not the bytes this run built", None)
    verify.go.touch()
    running.join(60)
    (result,) = done
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        verify.lines(verify.calls)
        == [STEP_COMMAND.format(temp=verify.job.runner_temp)] * 2
    )
    assert verify.lines(verify.sleeps) == ["30"]
    assert "The index did not answer; attempt 2 in 30 s" in result.stdout
    # The rebuild's list is what names the wheel the index lacks.
    wheel = "acme_widget_tools-0.1.0-py3-none-any.whl"
    assert f"FAIL {wheel}: listed in --sha256sums, but not on the index" in (
        result.stdout
    )
    assert f"FAIL {SDIST}: no provenance" in result.stdout
    assert "2 files: 0 verified, 2 failed." in result.stdout


def test_an_index_that_never_lists_the_release_is_exit_2_after_5_attempts(
    verify: Verify,
) -> None:
    # Five runs of the script cost ten seconds: the first test shows its "not
    # yet" is exit status 2, which this `python` answers at once.
    python = Path(verify.job.path[0]) / "python"
    python.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{verify.calls}"\n'
        'echo "error: the index lists no project acme-widget-tools (yet)" >&2\n'
        "exit 2\n"
    )
    result = verify.job.run(verify.step)
    assert result.returncode == 2
    assert (
        verify.lines(verify.calls)
        == [STEP_COMMAND.format(temp=verify.job.runner_temp)] * 5
    )
    assert verify.lines(verify.sleeps) == ["30"] * 4
    assert result.stdout.splitlines()[-1] == (
        "::error::The index did not answer after 5 attempts"
    )
    assert result.stderr.count("lists no project acme-widget-tools (yet)") == 5
