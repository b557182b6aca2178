"""What `verify_attestations.py rebuild` costs over the workflow's own build.

A project is rendered (hatchling by default) and committed to a local git
repository. Then, in the same run and with the same warm uv cache (each
command once untimed first: uv's cache, and the script's environment), each
of these runs --runs times as a separate process:

- `uv build` of the repository, plain (into a fresh directory; for uv_build
  this is uv's built-in backend, without a build environment);
- the workflow's build: .github/scripts/build-dist.sh, as the build and
  rebuild jobs run it (the backend installed from the hash-pinned build
  constraints, SOURCE_DATE_EPOCH, the sdist normalized);
- the rendered script's `rebuild --dist DIR --commit SHA --source REPO` on
  the built files, by the Python of the environment `uv run --script` makes
  for it: start-up, a fresh clone of the commit, the workflow's build of it
  and the comparison. Every file must be reported reproduced.

It prints the median of each and the ratios of rebuild to the builds.

    uv run python benchmarks/bench_rebuild.py [--backend hatchling] [--runs 5]
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
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from conftest import (  # noqa: E402 - the tests' copy of the tree
    BACKENDS,
    LOCAL_UV,
    git_repository,
    render,
    working_tree_copy,
)


def timed(command: Sequence[str | Path], cwd: Path, env: dict[str, str]) -> float:
    """Seconds the command took; exits with its output if it fails (for
    rebuild: a file that is not reproduced)."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{command[0]} {command[1]} failed:\n{done.stdout}{done.stderr}")
    return elapsed


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS, default="hatchling")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = {**os.environ, **LOCAL_UV}
    env.pop("VIRTUAL_ENV", None)
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as tmp:
        root = Path(tmp)
        template = working_tree_copy(root / "template")
        project = render(template, root / "project", {"build_backend": args.backend})
        repository = git_repository(project, root / "repository")
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=repository,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        workflow_build = ["bash", ".github/scripts/build-dist.sh"]
        # The release, as the workflow builds it; this also warms uv's cache.
        timed(workflow_build, repository, env)
        released = shutil.copytree(repository / "dist", root / "released")
        # The environment `uv run --script` makes for the script, made once;
        # its Python runs it (uv's own check of the environment at every run
        # is uv's cost, not the verifier's).
        script = project / "scripts" / "verify_attestations.py"
        timed(["uv", "sync", "--quiet", "--script", script], project, env)
        python = subprocess.run(
            ["uv", "python", "find", "--script", script],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        rebuild: list[str | Path] = [python, script, "rebuild", "--dist", released]
        rebuild += ["--commit", commit, "--source", repository, "--offline", "--json"]
        timed(rebuild, project, env)
        names = sorted(p.name for p in released.glob("[!.]*"))
        plain: list[float] = []
        workflow: list[float] = []
        rebuilt: list[float] = []
        for run in range(args.runs):
            out = root / f"plain-{run}"
            plain.append(
                timed(["uv", "build", "--quiet", "--out-dir", out], repository, env)
            )
            shutil.rmtree(repository / "dist")
            workflow.append(timed(workflow_build, repository, env))
            rebuilt.append(timed(rebuild, project, env))
    uv_build = statistics.median(plain)
    workflow_time = statistics.median(workflow)
    rebuild_time = statistics.median(rebuilt)
    print(
        f"project: {args.backend}, {plural(len(names), 'file')} "
        f"({', '.join(names)}), {plural(args.runs, 'run')} each; every file reproduced"
    )
    print(f"plain uv build:                   {uv_build:6.2f} s (median)")
    print(f"the workflow's build-dist.sh:     {workflow_time:6.2f} s (median)")
    print(f"rebuild --dist (clone, build...): {rebuild_time:6.2f} s (median)")
    print(
        f"rebuild / plain uv build = {rebuild_time / uv_build:.1f}x; "
        f"rebuild / the workflow's build = {rebuild_time / workflow_time:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
