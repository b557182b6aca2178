"""Time the release jobs' shell steps, hardened design next to the first release's.

Renders the same project (publishing_tool=uv, the flow with the most steps)
from the template's first release (v0.1.0, main at 580fd9a) and from the
working tree, and runs each publish workflow's jobs one after another, with
fresh uv and pip caches each time (a release
uses no cache, so every package is downloaded, as on a runner).

What cannot run here is replaced by a stand-in, the same for both designs:

- checkout and the provenance action: nothing (the jobs share one folder);
- artifact upload and download: a copy of the uploaded files, and a copy
  back where the download asks;
- astral-sh/setup-uv (v0.1.0): `pip install --target DIR uv==<version>`, the
  same download as the hardened design's, without the hash check;
- `pypi-attestations sign` (needs GitHub's OIDC token): the same program,
  installed the same way, asked for `--help`, then an empty attestation is
  written beside each file;
- the verification (needs a real Sigstore attestation): the job's own command,
  on the real signed sdist of ../shared/fixtures/attestations, with the identity
  that signed it and Sigstore's bundled trust root (--offline);
- `uv publish` (needs PyPI): not run.

    uv run python benchmarks/bench_release.py [--runs N] [--baseline REF ...]

Wall time is the jobs' critical path, as GitHub runs them (a job starts when
the jobs it needs have finished; the rebuild runs beside the build);
runner time is their sum. Each baseline (a tag or commit of this repository;
v0.1.0 unless given) is rendered and run beside the working tree, in the same
runs. Budgets: at most 20% more wall time than v0.1.0's design (the
hardening's), at most 10% more than any later baseline (a change's: pass the
commit the change started from).
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from test_update import (  # noqa: E402 - the tests' release builder
    copy_project,
    template_with_releases,
)

from conftest import (  # noqa: E402 - the tests' workflow runner
    GIT_IDENTITY,
    LOCAL_UV,
    OUTPUT_EXPRESSION,
    SHARED,
    STEP_SHELL,
    git_repository,
    load_yaml,
    read_outputs,
)

FIRST_RELEASE = "v0.1.0"
BUDGETS = {FIRST_RELEASE: 1.20}
CHANGE_BUDGET = 1.10
FIXTURES = SHARED / "fixtures" / "attestations"
SIGNED = "pypi_attestations-0.0.19.tar.gz"
SIGNED_BY = [
    "--package",
    "pypi-attestations",
    "--repository",
    "trailofbits/pypi-attestations",
    "--workflow",
    "release.yml",
    "--offline",
]


class Runner:
    """Runs one design's jobs in order with GitHub's step environment."""

    def __init__(self, checkout: Path, scratch: Path) -> None:
        self.checkout = checkout
        self.scratch = scratch
        self.path: list[str] = []
        self.env = {
            **os.environ,
            **GIT_IDENTITY,
            **LOCAL_UV,
            "UV_CACHE_DIR": str(scratch / "uv-cache"),
            "PIP_CACHE_DIR": str(scratch / "pip-cache"),
            "GITHUB_REF": "refs/tags/v0.1.0",
            "GITHUB_REF_NAME": "v0.1.0",
            # The commit the signed fixture's certificate records, which the
            # verify step passes as --commit.
            "GITHUB_SHA": "08802efe1f8e5fec4ad842d6b8ce97656092ee72",
        }
        self.env.pop("VIRTUAL_ENV", None)
        # The runner's own Python and pip, not this environment's.
        here = str(Path(sys.executable).parent)
        self.env["PATH"] = os.pathsep.join(
            p for p in self.env["PATH"].split(os.pathsep) if p != here
        )
        # What each step wrote to GITHUB_OUTPUT, by step id, and each finished
        # job's outputs, by job: a step's `${{ needs.*.outputs.* }}` env.
        self.step_outputs: dict[str, dict[str, str]] = {}
        self.job_outputs: dict[str, dict[str, str]] = {}
        self.fixture_dist = scratch / "signed" / "dist"
        self.fixture_dist.mkdir(parents=True)
        for name in (SIGNED, f"{SIGNED}.publish.attestation"):
            shutil.copy(FIXTURES / name, self.fixture_dist / name)

    def shell(
        self, script: str, cwd: Path, extra: dict[str, str], step_id: str = ""
    ) -> None:
        github_path = self.scratch / "github_path"
        github_path.write_text("")
        github_output = self.scratch / "github_output"
        github_output.write_text("")
        env = {
            **self.env,
            **extra,
            "RUNNER_TEMP": str(self.scratch / "runner-temp"),
            "GITHUB_PATH": str(github_path),
            "GITHUB_OUTPUT": str(github_output),
            "PATH": os.pathsep.join([*self.path, self.env["PATH"]]),
        }
        done = subprocess.run(
            [*STEP_SHELL, script], cwd=cwd, env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SystemExit(f"step failed:\n{script}\n{done.stdout}\n{done.stderr}")
        added = [line for line in github_path.read_text().splitlines() if line]
        self.path = list(reversed(added)) + self.path
        if step_id:
            self.step_outputs[step_id] = read_outputs(github_output.read_text())

    def value(self, text: str) -> str:
        """An env value, with a step's or a finished job's output put in."""
        match = OUTPUT_EXPRESSION.match(text)
        if not match:
            return text
        kind, name, key = match.groups()
        source = self.step_outputs if kind == "steps" else self.job_outputs
        return source[name][key]

    def finish(self, job: Any) -> dict[str, str]:
        declared = dict(job.get("outputs") or {})
        return {key: self.value(str(value)) for key, value in declared.items()}

    def setup_uv(self, version: str) -> None:
        target = self.scratch / "runner-temp" / "setup-uv"
        self.shell(
            "python3 -m pip install --quiet --disable-pip-version-check "
            f'--target "{target}" uv=={version} '
            f'&& echo "{target}/bin" >> "$GITHUB_PATH"',
            self.checkout,
            {},
        )

    def step(self, step: Any, env: dict[str, str]) -> None:
        uses = str(step.get("uses", ""))
        if uses.startswith("astral-sh/setup-uv@"):
            self.setup_uv(str(step["with"]["version"]))
            return
        if uses.startswith(("actions/upload-artifact@", "actions/download-artifact@")):
            self.artifact(uses.startswith("actions/upload"), step["with"])
            return
        script = str(step.get("run", ""))
        if not script or "uv publish" in script:
            return
        cwd = self.checkout
        if "pypi-attestations" in script and " sign " in script:
            # Signing needs GitHub's OIDC token: run the signer, sign nothing.
            program = script.split(" sign ")[0]
            script = (
                f"{program} --help > /dev/null\n"
                "for f in dist/*.tar.gz dist/*.whl; do "
                ': > "$f.publish.attestation"; done'
            )
        elif "verify_attestations.py dist" in script:
            # The fixture's identity, last: a flag given twice takes the last.
            script = f"{script} {' '.join(SIGNED_BY)}"
            cwd = self.fixture_dist.parent
            shutil.copytree(
                self.checkout / "scripts", cwd / "scripts", dirs_exist_ok=True
            )
            if (self.checkout / "pyproject.toml").exists():
                shutil.copy(self.checkout / "pyproject.toml", cwd)
            if (self.checkout / ".github").exists():
                shutil.copytree(
                    self.checkout / ".github", cwd / ".github", dirs_exist_ok=True
                )
        step_env = {**env, **dict(step.get("env") or {})}
        self.shell(
            script,
            cwd,
            {k: self.value(str(v)) for k, v in step_env.items()},
            str(step.get("id", "")),
        )

    def artifact(self, upload: bool, options: Any) -> None:
        """Keep an upload's files; a download copies them where it asks (the
        compare job fetches the build's and the rebuild's)."""
        kept = self.scratch / "artifacts" / str(options["name"])
        if upload:
            kept.mkdir(parents=True)
            path = str(options["path"])
            pattern = f"{path}*" if path.endswith("/") else path
            for found in self.checkout.glob(pattern):
                shutil.copy(found, kept / found.name)
        else:
            target = self.checkout / str(options["path"])
            target.mkdir(parents=True, exist_ok=True)
            for found in kept.iterdir():
                shutil.copy(found, target / found.name)

    def jobs(self) -> Iterator[tuple[str, Any, dict[str, str], list[str]]]:
        workflow = load_yaml(self.checkout / ".github/workflows/publish.yml")
        top = dict(workflow.get("env") or {})
        for name, job in workflow["jobs"].items():
            if "steps" not in job:
                continue  # a reusable workflow: the project's CI
            if "verify_attestations.py release" in str(job["steps"]):
                continue  # verifies the release on PyPI
            if "== 'workflow_dispatch'" in str(job.get("if", "")):
                continue  # the release rehearsal's jobs
            needs = job.get("needs") or []
            needs = [needs] if isinstance(needs, str) else list(needs)
            yield (
                name,
                job,
                {**top, **dict(job.get("env") or {})},
                [n for n in needs if "steps" in workflow["jobs"][n]],
            )


def critical_path(times: dict[str, float], needs: dict[str, list[str]]) -> float:
    """Wall time of the jobs as GitHub runs them: each job starts when the
    jobs it needs have finished, jobs that need nothing of each other at once
    (jobs are listed after the jobs they need)."""
    done: dict[str, float] = {}
    for job, seconds in times.items():
        done[job] = max((done[n] for n in needs[job]), default=0.0) + seconds
    return max(done.values())


def run_design(
    project: Path, scratch: Path
) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Seconds per job for one release of `project`, and each job's needs."""
    files = scratch / "files"
    shutil.copytree(project, files, ignore=shutil.ignore_patterns(".git"))
    checkout = git_repository(files, scratch / "checkout")
    times: dict[str, float] = {}
    graph: dict[str, list[str]] = {}
    runner = Runner(checkout, scratch)
    for name, job, env, needs in runner.jobs():
        graph[name] = needs
        runner.path = []  # each job runs on a fresh runner
        runner.step_outputs = {}
        shutil.rmtree(scratch / "runner-temp", ignore_errors=True)
        (scratch / "runner-temp").mkdir()
        start = time.perf_counter()
        for step in job["steps"]:
            runner.step(step, env)
        times[name] = time.perf_counter() - start
        runner.job_outputs[name] = runner.finish(job)
    return times, graph


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--baseline",
        action="append",
        metavar="REF",
        help=f"a tag or commit to compare with (repeatable; default {FIRST_RELEASE})",
    )
    options = parser.parse_args()
    baselines = options.baseline or [FIRST_RELEASE]
    if not FIXTURES.is_dir():
        print(f"{FIXTURES} is absent: the verify stand-in needs the real fixtures")
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        template, newest = template_with_releases(root / "template")
        answers = {"publishing_tool": "uv", "distribution_name": "bench-pkg"}
        designs = {
            ref: copy_project(template, root / f"old{n}", ref, answers)
            for n, ref in enumerate(baselines)
        }
        designs[f"{newest} (working tree)"] = copy_project(
            template, root / "new", newest, answers
        )
        totals: dict[str, list[float]] = {name: [] for name in designs}
        walls: dict[str, list[float]] = {name: [] for name in designs}
        per_job: dict[str, dict[str, list[float]]] = {name: {} for name in designs}
        for run in range(options.runs):
            for n, (name, project) in enumerate(designs.items()):
                scratch = root / f"run{run}-{n}"
                times, graph = run_design(project, scratch)
                totals[name].append(sum(times.values()))
                walls[name].append(critical_path(times, graph))
                for job, seconds in times.items():
                    per_job[name].setdefault(job, []).append(seconds)
                shutil.rmtree(scratch)

    print(f"Release jobs' shell steps, fresh caches, median of {options.runs} runs:")
    medians = {name: statistics.median(values) for name, values in walls.items()}
    for name, median in medians.items():
        jobs = ", ".join(
            f"{job} {statistics.median(values):.1f} s"
            for job, values in per_job[name].items()
        )
        serial = statistics.median(totals[name])
        print(f"  {name}: {median:.1f} s wall, {serial:.1f} s runner time ({jobs})")
    *_, new = medians.values()
    for ref in baselines:
        ratio = new / medians[ref]
        budget = BUDGETS.get(ref, CHANGE_BUDGET)
        verdict = "within" if ratio <= budget else "OVER"
        print(
            f"wall-time ratio working tree/{ref}: {ratio:.2f} "
            f"({verdict} the {budget:.2f} budget)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
