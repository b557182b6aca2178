"""Time `copier update` between adjacent template versions, and a rollout.

Builds the same tagged template repository as tests/test_update.py (v0.1.0,
v0.2.0 with a migration, v0.3.0 = the working tree), then times:

- `copier update --trust --defaults` of a project from each tag to the next
  (target: at most 3 s), median of --runs, the project reset in between,
  beside the same update from a copy of the template whose target tag has no
  after-update migration (hooks/after_update.py: the conflicts listing, `uv
  lock`, the CHANGELOG's steps and the render the project check compares
  with), so the line shows what that costs;
- that update followed by the project check it prints
  (scripts/check_project.py), the check's render cache emptied before each
  update: what a user waits for. Run from an older checkout's tree, this
  script measures the same there, for comparison;
- commands/rollout.py over --repos projects made from v0.2.0 (default 20), one
  at a time and with --jobs 2: the wall time and the time per repository;
  then the same command again with its --state file, everything done, which
  is what resuming costs on top of the repositories still to do.

    uv run --group test python benchmarks/bench_update.py [--runs N] [--repos N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from test_update import (  # noqa: E402 - the tests' release builder
    build_releases,
    copy_project,
)

from conftest import GIT_IDENTITY  # noqa: E402 - the tests' git identity

COPIER = Path(sys.executable).parent / "copier"
# The project check's render cache, emptied before each update.
RENDERS = Path(tempfile.mkdtemp(prefix="bench-renders-"))
os.environ["COPIER_PYPI_ATTESTED_RENDERS"] = str(RENDERS)
TARGET = 3.0


def timed(args: list[str], cwd: Path | None = None) -> tuple[float, str]:
    env = {**os.environ, **GIT_IDENTITY}
    start = time.perf_counter()
    done = subprocess.run(
        args, cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return time.perf_counter() - start, done.stdout


AFTER_UPDATE = re.compile(
    r"^  # After the merge, in the updated project.*?_stage == 'after' \}\}\"\n",
    re.MULTILINE | re.DOTALL,
)


def without_after_update(template: Path, dst: Path, tags: list[str]) -> Path:
    """A clone of `template` whose `tags` have no after-update migration."""
    env = {**os.environ, **GIT_IDENTITY}
    subprocess.run(["git", "clone", "--quiet", template, dst], check=True)
    for tag in tags:
        git = ["git", "-C", str(dst)]
        subprocess.run([*git, "checkout", "--quiet", "--detach", tag], check=True)
        copier_yml = dst / "copier.yml"
        text, removed = AFTER_UPDATE.subn("", copier_yml.read_text())
        assert removed == 1, "copier.yml has no after-update migration to remove"
        copier_yml.write_text(text)
        subprocess.run(
            [*git, "commit", "--quiet", "-am", "no after"], env=env, check=True
        )
        subprocess.run([*git, "tag", "--force", tag], check=True, capture_output=True)
    return dst


def update_times(
    projects: tuple[Path, Path], new: str, runs: int
) -> tuple[list[float], list[float], list[float]]:
    """Times of `copier update` to `new` in each project, taken in turn (so
    that a busy machine slows both alike), each reset after its update; and
    of the first one's update followed by the project check."""
    update = [str(COPIER), "update", "--trust", "--defaults", "--quiet"]
    check = [sys.executable, "scripts/check_project.py"]
    times: tuple[list[float], list[float], list[float]] = ([], [], [])
    for _ in range(runs):
        for project, taken in zip(projects, times[:2], strict=True):
            taken.append(timed([*update, f"--vcs-ref={new}"], cwd=project)[0])
            if project is projects[0]:
                start = time.perf_counter()
                subprocess.run(check, cwd=project, capture_output=True, check=False)
                times[2].append(taken[-1] + time.perf_counter() - start)
            reset(project)
    return times


def reset(project: Path) -> None:
    for args in (["reset", "--quiet", "--hard"], ["clean", "--quiet", "-fdx"]):
        subprocess.run(["git", *args], cwd=project, check=True)
    shutil.rmtree(RENDERS, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description="Time copier update and rollout.")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repos", type=int, default=20)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        template = build_releases(root / "template")
        bare = without_after_update(template, root / "bare", ["v0.2.0", "v0.3.0"])
        for old, new in (("v0.1.0", "v0.2.0"), ("v0.2.0", "v0.3.0")):
            project = copy_project(template, root / f"from-{old}", old)
            plain = copy_project(bare, root / f"bare-from-{old}", old)
            times = update_times((project, plain), new, options.runs)
            median, bare_median, checked = map(statistics.median, times)
            verdict = "ok" if median <= TARGET else "OVER TARGET"
            print(
                f"copier update {old} -> {new}  with the after-update task "
                f"{median:6.3f} s, without {bare_median:6.3f} s "
                f"({median - bare_median:+.3f} s; medians of {options.runs}, "
                f"target <= {TARGET} s: {verdict}); then the project check: "
                f"{checked:6.3f} s"
            )

        first = copy_project(template, root / "fleet" / "r0", "v0.2.0")
        fleet = [first]
        for i in range(1, options.repos):
            fleet.append(root / "fleet" / f"r{i}")
            shutil.copytree(first, fleet[-1], symlinks=True)
        rollout = [sys.executable, str(REPO / "commands/rollout.py"), "--trust"]
        rollout += ["--template", str(template)]
        for jobs in (1, 2):
            state = root / f"state-{jobs}.json"
            command = [*rollout, f"--jobs={jobs}", f"--state={state}", *map(str, fleet)]
            wall, report = timed(command)
            updated = sum(line.startswith("updated ") for line in report.splitlines())
            assert updated == options.repos, report
            resumed, again = timed(command)
            assert again.replace(" (recorded in the --state file)", "") == report
            for project in fleet:
                reset(project)
            print(
                f"rollout of {options.repos} repositories, --jobs={jobs}  "
                f"{wall:6.3f} s ({wall / options.repos:.3f} s a repository); "
                f"resumed with all done {resumed:.3f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
