"""Time `copier update` between adjacent template versions, and a rollout.

Builds the same tagged template repository as tests/test_update.py (v0.1.0,
v0.2.0 with a migration, v0.3.0 = the working tree), then times:

- `copier update --trust --defaults` of a project from each tag to the next
  (target: at most 3 s), median of --runs, the project reset in between;
- hooks/rollout.py over --repos projects made from v0.2.0 (default 20), one
  at a time and with --jobs 2: the wall time and the time per repository;
  then the same command again with its --state file, everything done, which
  is what resuming costs on top of the repositories still to do.

    uv run --group test python benchmarks/bench_update.py [--runs N] [--repos N]
"""

from __future__ import annotations

import argparse
import os
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
TARGET = 3.0


def timed(args: list[str], cwd: Path | None = None) -> tuple[float, str]:
    env = {**os.environ, **GIT_IDENTITY}
    start = time.perf_counter()
    done = subprocess.run(
        args, cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return time.perf_counter() - start, done.stdout


def reset(project: Path) -> None:
    for args in (["reset", "--quiet", "--hard"], ["clean", "--quiet", "-fdx"]):
        subprocess.run(["git", *args], cwd=project, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description="Time copier update and rollout.")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repos", type=int, default=20)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        template = build_releases(root / "template")
        update = [str(COPIER), "update", "--trust", "--defaults", "--quiet"]
        for old, new in (("v0.1.0", "v0.2.0"), ("v0.2.0", "v0.3.0")):
            project = copy_project(template, root / f"from-{old}", old)
            times = []
            for _ in range(options.runs):
                times.append(timed([*update, f"--vcs-ref={new}"], cwd=project)[0])
                reset(project)
            median = statistics.median(times)
            verdict = "ok" if median <= TARGET else "OVER TARGET"
            print(
                f"copier update {old} -> {new}      median {median:6.3f} s "
                f"(min {min(times):.3f}, n={options.runs}; target <= {TARGET} s: "
                f"{verdict})"
            )

        first = copy_project(template, root / "fleet" / "r0", "v0.2.0")
        fleet = [first]
        for i in range(1, options.repos):
            fleet.append(root / "fleet" / f"r{i}")
            shutil.copytree(first, fleet[-1], symlinks=True)
        rollout = [sys.executable, str(REPO / "hooks/rollout.py"), "--trust"]
        rollout += ["--template", str(template)]
        for jobs in (1, 2):
            state = root / f"state-{jobs}.json"
            command = [*rollout, f"--jobs={jobs}", f"--state={state}", *map(str, fleet)]
            wall, report = timed(command)
            updated = sum(line.startswith("updated ") for line in report.splitlines())
            assert updated == options.repos, report
            resumed, again = timed(command)
            assert again == report, again
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
