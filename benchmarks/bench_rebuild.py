"""What `verify_attestations.py rebuild` costs over a plain `uv build`.

A project is rendered (hatchling by default) and committed to a local git
repository; its files are built once as the publish workflow builds them.
Then, in the same run and with the same warm uv cache, each of these runs
--runs times as a separate process:

- `uv build` of the repository, plain (into a fresh directory; for uv_build
  this is uv's built-in backend, without a build environment);
- the workflow's build of it, as above (the backend installed from the
  hash-pinned build constraints, in a build environment);
- the rendered script's `rebuild --dist DIR --commit SHA --source REPO` on the
  built files: start-up, a fresh clone of the commit, the workflow's build
  (hash-pinned backend, SOURCE_DATE_EPOCH) and the comparison. Every file
  must be reported reproduced.

It prints the median of each and the ratios of rebuild to the builds.

    uv run python benchmarks/bench_rebuild.py [--backend hatchling] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
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
    LOCAL_UV,
    git_repository,
    import_script,
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
    # A setuptools sdist is not reproducible, so rebuild reports it as differing.
    parser.add_argument(
        "--backend", choices=["uv_build", "hatchling"], default="hatchling"
    )
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
        epoch = subprocess.run(
            ["git", "log", "-1", "--format=%ct"],
            cwd=repository,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        script = project / "scripts" / "verify_attestations.py"
        # The publish workflow's build command, as the script's rebuild runs it.
        workflow_build = ["uv", *import_script(script).BUILD_COMMAND, "--quiet"]
        # The release, as the workflow builds it; this also warms uv's cache.
        released = root / "released"
        workflow_env = {**env, "SOURCE_DATE_EPOCH": epoch}
        timed([*workflow_build, "--out-dir", released], repository, workflow_env)
        rebuild: list[str | Path] = [
            sys.executable,
            script,
            "rebuild",
            "--dist",
            released,
            "--commit",
            commit,
            "--source",
            repository,
            "--offline",
            "--json",
        ]
        names = sorted(p.name for p in released.glob("[!.]*"))
        plain: list[float] = []
        workflow: list[float] = []
        rebuilt: list[float] = []
        for run in range(args.runs):
            out = root / f"plain-{run}"
            plain.append(
                timed(["uv", "build", "--quiet", "--out-dir", out], repository, env)
            )
            out = root / f"workflow-{run}"
            workflow.append(
                timed([*workflow_build, "--out-dir", out], repository, workflow_env)
            )
            rebuilt.append(timed(rebuild, project, env))
    uv_build = statistics.median(plain)
    workflow_time = statistics.median(workflow)
    rebuild_time = statistics.median(rebuilt)
    print(
        f"project: {args.backend}, {plural(len(names), 'file')} "
        f"({', '.join(names)}), {plural(args.runs, 'run')} each; every file reproduced"
    )
    print(f"plain uv build:                   {uv_build:6.2f} s (median)")
    print(f"the workflow's uv build:          {workflow_time:6.2f} s (median)")
    print(f"rebuild --dist (clone, build...): {rebuild_time:6.2f} s (median)")
    print(
        f"rebuild / plain uv build = {rebuild_time / uv_build:.1f}x; "
        f"rebuild / the workflow's build = {rebuild_time / workflow_time:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
