"""Files per second that a generated verify_attestations.py verifies locally.

The real sdist and its attestation from ../shared/fixtures/attestations are
copied into N directories (the attestation's subject names the file, so each
copy keeps the name and stays genuinely verifiable). One run prints, each
measured:

- in one process, after start-up: the script's `dist` check of all N files
  with one trust root, as `dist` does for a directory (best and median of a
  few rounds: the machine is shared, and the load average is printed);
- one process from start to end: a fresh interpreter that imports the
  script, loads the trust root and checks the N files;
- a whole run of the script's command line on one file (start-up alone);
- `pypi-attestations verify attestation` once per file, as a shell loop
  over the files would run it;
- the same in-process check by the script as it was at --baseline (a git
  revision, a1af9ab by default: before issue 16 shortened it), its rounds
  taken in turn with the current script's, so that both see the same load.

All use the trust root bundled with sigstore (--offline) and must accept
every file. Targets: 500 files/s or more in one process; 100 files in under
1 s; at least 10x the per-file CLI; at least the baseline's files per second.

    uv run python benchmarks/bench_verify.py [--files N] [--rounds R] [--cli-files M]
        [--baseline REV]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import copier

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from conftest import import_script, working_tree_copy  # noqa: E402 - the tests' copy of the tree

FIXTURES = REPO.parent / "shared" / "fixtures" / "attestations"
SCRIPT = "template/scripts/verify_attestations.py"
SDIST = "pypi_attestations-0.0.19.tar.gz"
ATTESTATION = SDIST + ".publish.attestation"
REPOSITORY = "trailofbits/pypi-attestations"
# The certificate's identity, which the library's CLI checks instead of a
# trusted publisher.
SIGNER = (
    f"https://github.com/{REPOSITORY}/.github/workflows/release.yml@refs/tags/v0.0.19"
)
CLI = Path(sys.executable).parent / "pypi-attestations"
VERIFY_ATTESTATION = ["verify", "attestation", "--offline", "--identity", SIGNER]
OPTIONS = ["--offline", "--workflow", "release.yml"]


def render(dst: Path) -> Path:
    """The template's script rendered for the fixtures' repository."""
    template = working_tree_copy(dst / "template")
    copier.run_copy(
        str(template),
        str(dst / "project"),
        data={
            "distribution_name": "pypi-attestations",
            "github_repository": REPOSITORY,
        },
        defaults=True,
        skip_tasks=True,
        quiet=True,
    )
    return dst / "project" / "scripts" / "verify_attestations.py"


def copies(root: Path, count: int) -> list[Path]:
    directories = []
    for i in range(count):
        directory = root / f"dist{i:03}"
        directory.mkdir(parents=True)
        for name in (SDIST, ATTESTATION):
            shutil.copyfile(FIXTURES / name, directory / name)
        directories.append(directory)
    return directories


# A fresh interpreter verifying every directory given, with one trust root.
# (The script is run as __main__ would be, without the tests' helpers.)
ONE_PROCESS = """
import logging, runpy, sys
from pathlib import Path
verify = runpy.run_path(sys.argv[1], run_name="verify_attestations")
logging.getLogger("sigstore").setLevel(logging.ERROR)
identity = verify["Identity"](sys.argv[2], "release.yml", "pypi")
checker = verify["AttestationChecker"](identity, staging=False, offline=True)
for directory in sys.argv[3:]:
    results = verify["check_dist_dir"](Path(directory), "pypi-attestations", checker)
    assert [r.status for r in results] == ["OK"], results
"""


def in_process(verify: ModuleType, directories: list[Path]) -> tuple[float, float]:
    """Seconds (wall clock, and this process's CPU time) to check every
    directory with one checker (one trust root)."""
    start, cpu = time.perf_counter(), time.process_time()
    identity = verify.Identity(REPOSITORY, "release.yml", "pypi")
    checker = verify.AttestationChecker(identity, staging=False, offline=True)
    results = [
        result
        for directory in directories
        for result in verify.check_dist_dir(directory, "pypi-attestations", checker)
    ]
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    failed = [r for r in results if r.status != "OK"]
    if len(results) != len(directories) or failed:
        raise SystemExit(f"not every file verified: {failed[:3]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--baseline",
        default="a1af9ab",
        help="git revision whose script is measured beside this one",
    )
    parser.add_argument(
        "--cli-files",
        type=int,
        default=10,
        help="files for the per-file CLI (about 1.5 s each; its rate is per file)",
    )
    options = parser.parse_args()
    if not FIXTURES.is_dir():
        print(f"{FIXTURES} is absent: the shared fixtures are needed", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        script = render(Path(tmp))
        directories = copies(Path(tmp) / "files", options.files)

        verify = import_script(script)
        # The baseline under another module name, so that both stay loaded.
        old = Path(tmp) / "verify_attestations_baseline.py"
        old.write_bytes(
            subprocess.run(
                ["git", "show", f"{options.baseline}:{SCRIPT}"],
                cwd=REPO,
                check=True,
                capture_output=True,
            ).stdout
        )
        baseline = import_script(old)
        # What the script's main() does: sigstore warns at every offline load.
        logging.getLogger("sigstore").setLevel(logging.ERROR)
        rounds, old_rounds = [], []
        for _ in range(options.rounds):
            rounds.append(in_process(verify, directories))
            old_rounds.append(in_process(baseline, directories))
        rounds.sort()
        old_rounds.sort()

        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-c",
                ONE_PROCESS,
                script,
                REPOSITORY,
                *directories,
            ],
            check=True,
        )
        one_process = time.perf_counter() - start

        start = time.perf_counter()
        subprocess.run(
            [sys.executable, script, "dist", directories[0], *OPTIONS],
            check=True,
            capture_output=True,
            cwd=script.parent.parent,
        )
        whole_run = time.perf_counter() - start

        cli_directories = directories[: options.cli_files]
        start = time.perf_counter()
        for directory in cli_directories:
            subprocess.run(
                [CLI, *VERIFY_ATTESTATION, directory / SDIST],
                check=True,
                capture_output=True,
            )
        theirs = time.perf_counter() - start

    files = options.files
    best, median = files / rounds[0][0], files / rounds[len(rounds) // 2][0]
    per_cpu = files / min(cpu for _, cpu in rounds)
    cli_rate = len(cli_directories) / theirs
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load}")
    print(
        f"verify_attestations.py, in one process after start-up: {files} files "
        f"in {rounds[0][0]:.3f} s = {best:.0f} files/s (best of {len(rounds)}; "
        f"median {median:.0f} files/s; {per_cpu:.0f} files per CPU second)"
    )
    print(
        f"verify_attestations.py, one process from start to end: {files} files "
        f"in {one_process:.2f} s = {files / one_process:.0f} files/s"
    )
    print(
        f"verify_attestations.py command line on one file (start-up, imports, "
        f"trust root): {whole_run:.2f} s"
    )
    print(
        f"pypi-attestations verify attestation, a process per file: "
        f"{len(cli_directories)} files in {theirs:.2f} s = {cli_rate:.2f} files/s"
    )
    old_best = files / old_rounds[0][0]
    old_median = files / old_rounds[len(old_rounds) // 2][0]
    old_per_cpu = files / min(cpu for _, cpu in old_rounds)
    print(
        f"the script at {options.baseline}, in one process, in turn with this one: "
        f"{old_best:.0f} files/s (best of {len(old_rounds)}; median "
        f"{old_median:.0f} files/s; {old_per_cpu:.0f} files per CPU second)"
    )
    print(
        f"this script / the baseline: {best / old_best:.2f}x best, "
        f"{median / old_median:.2f}x median, {per_cpu / old_per_cpu:.2f}x per CPU "
        "second"
    )
    print(f"ratio, in one process: {best / cli_rate:.0f}x")
    print(
        "targets: 500 files/s or more in one process; 100 files in under 1 s; "
        "at least 10x the per-file CLI; at least the baseline's files per second"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
